//! The bundled demo model (`models/demo/`, issue [4]): parity of the Rust towers with PyTorch on
//! its f16 weights, the committed label pack being the one `demo-shapes.toml` compiles to, and the
//! end-to-end zero-shot accuracy of the Rust pipeline (decode → preprocess → image tower → pack →
//! labels) on the committed held-out test set, against PyTorch's accuracy on the same images.
//!
//! The PyTorch side (`tests/fixtures/demo/`) is written by
//! `models/demo/evaluate.py models/demo/pe-core-demo models/demo/testset --predictions
//! tests/fixtures/demo/pytorch_predictions.json --fixture tests/fixtures/demo` (see
//! models/demo/README.md).

use std::collections::BTreeMap;
use std::path::PathBuf;

use pelabel::{
    compile_label_set, decode_image_file, preprocess_image, CompileOptions, LabelOptions, LabelPack, LabelSet, Labeler,
    LabelerOptions, ModelFiles, PackLoadOptions, PeCore, Precision, PreprocessConfig, Towers,
};
use pelabel_tests::{cosine, load_expected, max_abs_diff, repo_root};
use serde::Deserialize;

fn demo() -> PathBuf {
    repo_root().join("models/demo")
}

fn model_dir() -> PathBuf {
    demo().join("pe-core-demo")
}

fn fixture_dir() -> PathBuf {
    repo_root().join("tests/fixtures/demo")
}

#[derive(Deserialize)]
struct Truth {
    labels: Vec<String>,
    eval_template: String,
    images: Vec<TruthImage>,
}

#[derive(Deserialize)]
struct TruthImage {
    file: String,
    label: String,
    split: String,
}

fn truth() -> Truth {
    let text = std::fs::read_to_string(demo().join("testset/truth.json")).expect("read testset/truth.json");
    serde_json::from_str(&text).expect("parse truth.json")
}

/// The test set for the accuracy tests; every `PELABEL_DEMO_EVERY`-th image only when that is set
/// (the aarch64 run under qemu, whose software floating point makes one demo-model image cost
/// about a second: the same assertions on a fixed sample of the same images).
fn truth_sample() -> Truth {
    let mut truth = truth();
    if let Ok(every) = std::env::var("PELABEL_DEMO_EVERY") {
        let every: usize = every.parse().expect("PELABEL_DEMO_EVERY is a count");
        let all = truth.images.len();
        truth.images = truth.images.into_iter().step_by(every.max(1)).collect();
        eprintln!("PELABEL_DEMO_EVERY={every}: {} of {all} test images", truth.images.len());
    }
    truth
}

#[derive(Deserialize)]
struct TorchPredictions {
    predictions: Vec<TorchPrediction>,
}

#[derive(Deserialize)]
struct TorchPrediction {
    file: String,
    pred: String,
    correct: bool,
}

/// The evaluation prompt of a label ("red star" → "a photo of a red star.").
fn prompt(template: &str, label: &str) -> String {
    let (colour, shape) = label.split_once(' ').expect("labels are '<colour> <shape>'");
    template.replace("{colour}", colour).replace("{shape}", shape)
}

#[test]
fn towers_match_pytorch_on_the_bundled_f16_weights() {
    let model = PeCore::open(&model_dir(), Towers::Available).unwrap();
    let expected = load_expected(&fixture_dir());
    let truth = truth();

    // Image tower, from the PNG files through the Pillow-exact preprocessing.
    let want = &expected["image_embeds"];
    let (k, d) = (want.shape[0], want.shape[1]);
    assert!(k >= 8, "fixture has {k} image embeddings");
    let size = model.config().vision.image_size as u32;
    let mut worst = 0f32;
    for (i, entry) in truth.images.iter().take(k).enumerate() {
        let img = decode_image_file(&demo().join("testset").join(&entry.file)).unwrap();
        let px = preprocess_image(&img, &PreprocessConfig::pe_core(size), model.device()).unwrap();
        let got = model.encode_image(&px.unsqueeze(0).unwrap()).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let w = &want.data[i * d..(i + 1) * d];
        let diff = max_abs_diff(&got, w);
        assert!(cosine(&got, w) > 0.99999, "{}: cosine {}", entry.file, cosine(&got, w));
        worst = worst.max(diff);
    }
    eprintln!("demo model image tower vs PyTorch, {k} test images: max abs {worst:.2e}");
    assert!(worst < 1e-4, "image embeddings differ from PyTorch by {worst}");

    // Text tower, on every label prompt.
    let prompts: Vec<String> = truth.labels.iter().map(|l| prompt(&truth.eval_template, l)).collect();
    let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
    let got = model.encode_text(&refs).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let diff = max_abs_diff(&got, &expected["text_embeds"].data);
    eprintln!("demo model text tower vs PyTorch, {} prompts: max abs {diff:.2e}", prompts.len());
    assert!(diff < 1e-4, "text embeddings differ from PyTorch by {diff}");

    let scale = model.logit_scale().expect("the demo model has a logit_scale");
    assert!((scale - expected["logit_scale"].data[0]).abs() < 1e-3, "logit_scale {scale}");
}

#[test]
fn committed_pack_is_what_the_label_set_compiles_to() {
    let set = LabelSet::from_file(&repo_root().join("label-sets/demo-shapes.toml")).unwrap();
    let model = PeCore::open(&model_dir(), Towers::Text).unwrap();
    let (fresh, _) = compile_label_set(&set, &model, &CompileOptions::default()).unwrap();
    let committed = LabelPack::load(&demo().join("demo-shapes.pelpack"), &PackLoadOptions::default()).unwrap();
    let (a, b) = (fresh.meta(), committed.meta());
    assert_eq!(a.model_fingerprint, b.model_fingerprint, "pack made for another model: re-run the compile");
    assert_eq!(a.label_set.name, b.label_set.name);
    assert_eq!(a.label_set.version, b.label_set.version);
    assert_eq!(a.labels.len(), 64);
    assert_eq!(b.labels.len(), a.labels.len());
    for (i, (x, y)) in a.labels.iter().zip(&b.labels).enumerate() {
        assert_eq!((&x.id, &x.name, &x.prompts), (&y.id, &y.name, &y.prompts), "label {i}");
        let diff = max_abs_diff(fresh.embedding(i).unwrap(), committed.embedding(i).unwrap());
        assert!(diff < 1e-3, "label {}: embedding differs by {diff}: the committed pack is stale", x.id);
    }
}

#[test]
fn rust_pipeline_accuracy_matches_pytorch_and_reaches_90_percent_on_seen_combinations() {
    let files = ModelFiles::discover(&model_dir(), None).unwrap();
    let pack = LabelPack::load(&demo().join("demo-shapes.pelpack"), &PackLoadOptions::default()).unwrap();
    // One thread: the tests of this binary run in parallel, and the model is tiny.
    let mut labeler = Labeler::new(&files, pack, &LabelerOptions { threads: Some(1) }).unwrap();
    // At every compute tier this CPU can be lowered to (PELABEL_TEST_TIERS may choose some).
    let truth = truth_sample();
    let images: Vec<_> =
        truth.images.iter().map(|e| decode_image_file(&demo().join("testset").join(&e.file)).unwrap()).collect();
    let cpu = pelabel::Cpu::detect();
    for tier in pelabel_tests::test_tiers() {
        eprintln!("-- compute tier {tier}");
        labeler.set_cpu(cpu.lowered_to(tier));
        check_accuracy(&labeler, &truth, &images);
    }
}

fn check_accuracy(labeler: &Labeler, truth: &Truth, images: &[pelabel::Image8]) {
    let torch: TorchPredictions = serde_json::from_str(
        &std::fs::read_to_string(fixture_dir().join("pytorch_predictions.json")).expect("read PyTorch predictions"),
    )
    .unwrap();
    let torch: BTreeMap<&str, &TorchPrediction> = torch.predictions.iter().map(|p| (p.file.as_str(), p)).collect();
    assert!(torch.len() >= truth.images.len(), "PyTorch predictions cover a different test set");

    let options = LabelOptions { top_k: 1, min_score: None, min_probability: None };
    // split -> (rust correct, torch correct, n)
    let mut by_split: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for (entry, img) in truth.images.iter().zip(images) {
        let outcome = labeler.label_image(img, &options).unwrap();
        let top = &outcome.labels()[0];
        let t = torch.get(entry.file.as_str()).unwrap_or_else(|| panic!("no PyTorch prediction for {}", entry.file));
        let s = by_split.entry(entry.split.as_str()).or_default();
        s.0 += usize::from(top.name == entry.label);
        s.1 += usize::from(t.correct);
        s.2 += 1;
        if top.name != t.pred {
            disagreements.push(format!("{}: rust {:?} pytorch {:?}", entry.file, top.name, t.pred));
        }
    }
    let pct = |c: usize, n: usize| 100.0 * c as f64 / n as f64;
    let (mut rc, mut tc, mut n) = (0, 0, 0);
    for (split, (r, t, m)) in &by_split {
        eprintln!("demo accuracy {split:>6}: rust {:6.2} %  pytorch {:6.2} %  ({m} images)", pct(*r, *m), pct(*t, *m));
        rc += r;
        tc += t;
        n += m;
    }
    eprintln!("demo accuracy    all: rust {:6.2} %  pytorch {:6.2} %  ({n} images)", pct(rc, n), pct(tc, n));
    eprintln!("top-1 disagreements with PyTorch: {} {:?}", disagreements.len(), disagreements);

    for (split, (r, t, m)) in &by_split {
        let gap = (pct(*r, *m) - pct(*t, *m)).abs();
        assert!(gap <= 0.5, "{split}: Rust and PyTorch top-1 differ by {gap:.2} points");
    }
    assert!((pct(rc, n) - pct(tc, n)).abs() <= 0.5);
    let (r, _, m) = by_split["seen"];
    assert!(pct(r, m) >= 90.0, "seen-combination top-1 {:.2} % is below 90 %", pct(r, m));
    assert!(by_split.contains_key("unseen"), "the test set has no held-out combinations");
}

/// The int8 image tower on a trained model (outlier weights and peaked attention, unlike random
/// weights): embeddings stay within cosine 0.995 of f32 on every test image, and top-1 labels and
/// accuracy stay with f32's — at every tier with an int8 kernel (x86-64 VNNI; aarch64 `SDOT` and
/// `SMMLA`).
#[test]
fn int8_keeps_the_demo_models_labels() {
    let files = ModelFiles::discover(&model_dir(), None).unwrap();
    let pack = LabelPack::load(&demo().join("demo-shapes.pelpack"), &PackLoadOptions::default()).unwrap();
    let options = LabelerOptions { threads: Some(1) };
    let pack = std::sync::Arc::new(pack);
    let f32_labeler = Labeler::new(&files, pack.clone(), &options).unwrap();
    let mut int8 = Labeler::new(&files, pack, &options).unwrap();
    let cpu = pelabel::Cpu::detect();
    let int8_tiers: Vec<_> =
        cpu.tiers().into_iter().filter(|&t| Precision::Int8.is_supported_on(cpu.lowered_to(t))).collect();
    if int8_tiers.is_empty() {
        eprintln!("no int8 kernel tier here: the int8 path falls back to f32, nothing to compare");
        assert_eq!(int8.set_precision(Precision::Int8), Precision::F32);
        assert!(!Precision::Int8.is_supported());
        return;
    }
    // The f32 side once (pixels, embedding, top label), then each int8 tier against it.
    let top1 = LabelOptions { top_k: 1, min_score: None, min_probability: None };
    let truth = truth_sample();
    let reference: Vec<_> = truth
        .images
        .iter()
        .map(|entry| {
            let img = decode_image_file(&demo().join("testset").join(&entry.file)).unwrap();
            let px = preprocess_image(&img, f32_labeler.preprocess_config(), &pelabel::Device::Cpu).unwrap();
            let a = f32_labeler.embed_pixels(&px).unwrap();
            let fa = f32_labeler.label_embedding(&a, &top1).unwrap().labels()[0].name.clone();
            (px, a, fa, entry.label.clone())
        })
        .collect();
    for tier in int8_tiers {
        eprintln!("-- compute tier {tier}");
        int8.set_cpu(cpu.lowered_to(tier));
        assert_eq!(int8.set_precision(Precision::Int8), Precision::Int8);
        int8_agrees_with_f32(&reference, &int8);
    }
}

/// Per test image: pixels, f32 embedding, f32 top label, true label.
type Reference = (candle_core::Tensor, Vec<f32>, String, String);

fn int8_agrees_with_f32(reference: &[Reference], int8: &Labeler) {
    let top1 = LabelOptions { top_k: 1, min_score: None, min_probability: None };
    let (mut agree, mut f32_correct, mut int8_correct, mut worst) = (0usize, 0usize, 0usize, 1f64);
    for (px, a, fa, label) in reference {
        let b = int8.embed_pixels(px).unwrap();
        worst = worst.min(f64::from(cosine(a, &b)));
        let fb = int8.label_embedding(&b, &top1).unwrap().labels()[0].name.clone();
        agree += usize::from(*fa == fb);
        f32_correct += usize::from(fa == label);
        int8_correct += usize::from(fb == *label);
    }
    let n = reference.len();
    let pct = |c: usize| 100.0 * c as f64 / n as f64;
    eprintln!(
        "int8 vs f32 on {n} demo test images: worst cosine {worst:.5}, top-1 agreement {:.2} %, accuracy {:.2} % vs {:.2} %",
        pct(agree),
        pct(int8_correct),
        pct(f32_correct)
    );
    assert!(worst >= 0.995, "int8 embedding cosine to f32 {worst}");
    assert!(pct(agree) >= 97.0, "int8 changes the top label on {} of {n} images", n - agree);
    assert!((pct(int8_correct) - pct(f32_correct)).abs() <= 1.5, "int8 accuracy moves by more than 1.5 points");
}

/// The demo pack compiled with the int8 text tower labels the demo test set exactly as the f32
/// pack does (top-1 per image, f32 image tower), and its label embeddings stay at cosine ≥ 0.9999
/// (the issue asks 0.995; measured ≥ 0.99999).
#[test]
fn an_int8_text_tower_keeps_the_demo_packs_top1() {
    let set = LabelSet::from_file(&repo_root().join("label-sets/demo-shapes.toml")).unwrap();
    let mut model = PeCore::open(&model_dir(), Towers::Text).unwrap();
    if model.set_text_precision(Precision::Int8).unwrap() != Precision::Int8 {
        eprintln!("SKIPPED: no int8 kernel here: the text tower stays f32");
        return;
    }
    let (int8_pack, _) = compile_label_set(&set, &model, &CompileOptions::default()).unwrap();
    let f32_pack = LabelPack::load(&demo().join("demo-shapes.pelpack"), &PackLoadOptions::default()).unwrap();
    for i in 0..f32_pack.len() {
        let c = cosine(int8_pack.embedding(i).unwrap(), f32_pack.embedding(i).unwrap());
        assert!(c >= 0.9999, "label {i}: cosine {c}");
    }
    let files = ModelFiles::discover(&model_dir(), None).unwrap();
    let options = LabelerOptions { threads: Some(1) };
    let f32_labeler = Labeler::new(&files, std::sync::Arc::new(f32_pack), &options).unwrap();
    let int8_labeler = Labeler::new(&files, std::sync::Arc::new(int8_pack), &options).unwrap();
    let top2 = LabelOptions { top_k: 2, min_score: None, min_probability: None };
    let truth = truth_sample();
    let (mut changed, mut f32_right, mut int8_right) = (Vec::new(), 0, 0);
    for entry in &truth.images {
        let img = decode_image_file(&demo().join("testset").join(&entry.file)).unwrap();
        let px = preprocess_image(&img, f32_labeler.preprocess_config(), &pelabel::Device::Cpu).unwrap();
        let e = f32_labeler.embed_pixels(&px).unwrap();
        let a = f32_labeler.label_embedding(&e, &top2).unwrap();
        let b = int8_labeler.label_embedding(&e, &top2).unwrap();
        let (a, b) = (a.labels(), b.labels());
        f32_right += usize::from(a[0].name == entry.label);
        int8_right += usize::from(b[0].name == entry.label);
        if a[0].id != b[0].id {
            // The f32 pack's margin between its top two labels on this image.
            changed.push((entry.file.clone(), a[0].id.clone(), b[0].id.clone(), a[0].score - a[1].score));
        }
    }
    eprintln!(
        "int8 text tower: top-1 changed on {} of {} images {changed:?}; correct f32 {f32_right}, int8 {int8_right}",
        changed.len(),
        truth.images.len()
    );
    // The bar: no top-1 changes. It is a narrow one: the f32 pack's closest call
    // (0022.png, red star over red cross) is 1.4e-4 apart, and int8 label embeddings sit at mean
    // `1 - cos` 2.0e-6 from f32 (1.2e-5 before the projections stayed f32, when four images
    // flipped). A change of the int8 arithmetic that fails here may only have moved such a tie:
    // the printed margins say which.
    assert!(changed.is_empty(), "{changed:?}");
    assert_eq!(f32_right, int8_right);
}

/// A label the signed pack lacks, typed on the device through the text encoder, is recognised;
/// it stays across a pack swap, and leaves when removed. Bad user labels are typed errors.
#[test]
fn a_typed_label_the_pack_lacks_is_recognised() {
    let full = std::fs::read_to_string(repo_root().join("label-sets/demo-shapes.toml")).unwrap();
    let without = full.replace("[[labels]]\nid = \"red_circle\"\nname = \"red circle\"\n", "");
    assert_ne!(without, full, "the demo label set lists red_circle as expected");
    let set = LabelSet::from_toml_str(&without, std::path::Path::new("without-red-circle.toml")).unwrap();
    let text_model = PeCore::open(&model_dir(), Towers::Text).unwrap();
    let (pack, _) = compile_label_set(&set, &text_model, &CompileOptions::default()).unwrap();
    let files = ModelFiles::discover(&model_dir(), None).unwrap();
    let labeler = Labeler::new(&files, pack, &LabelerOptions { threads: Some(1) }).unwrap();
    let full_pack =
        std::sync::Arc::new(LabelPack::load(&demo().join("demo-shapes.pelpack"), &PackLoadOptions::default()).unwrap());
    let full_labeler = Labeler::new(&files, full_pack.clone(), &LabelerOptions { threads: Some(1) }).unwrap();
    let top1 = LabelOptions { top_k: 1, min_score: None, min_probability: None };
    // Red circles the full pack recognises (the demo model's own errors are not this test's).
    let embeddings: Vec<Vec<f32>> = truth()
        .images
        .iter()
        .filter(|e| e.label == "red circle")
        .filter_map(|e| {
            let img = decode_image_file(&demo().join("testset").join(&e.file)).unwrap();
            let px = preprocess_image(&img, labeler.preprocess_config(), &pelabel::Device::Cpu).unwrap();
            let emb = labeler.embed_pixels(&px).unwrap();
            let top = full_labeler.label_embedding(&emb, &top1).unwrap().labels()[0].id.clone();
            (top == "red_circle").then_some(emb)
        })
        .take(6)
        .collect();
    assert!(embeddings.len() >= 3, "red circles the full pack gets right: {}", embeddings.len());
    let top = |l: &Labeler, e: &[f32]| l.label_embedding(e, &top1).unwrap().labels()[0].id.clone();
    assert!(embeddings.iter().all(|e| top(&labeler, e) != "red_circle"), "the pack lacks it");

    let encoder = pelabel::TextEncoder::open(&files, Precision::Int8).unwrap();
    assert_eq!(encoder.fingerprint(), labeler.fingerprint(), "the text encoder of the labeler's model");
    let typed = encoder.user_label("my-red-circle", "red circle", &["a photo of a red circle."], None).unwrap();
    labeler.add_user_label(typed.clone()).unwrap();
    let hits = embeddings.iter().filter(|e| top(&labeler, e) == "my-red-circle").count();
    assert_eq!(hits, embeddings.len(), "the typed label is the top-1 on every red circle");

    // Kept across a swap of the signed pack; a pack label with the same id would win.
    labeler.swap_pack(full_pack).unwrap();
    assert_eq!(labeler.user_labels(), vec![typed.clone()]);
    let both = labeler.label_embedding(&embeddings[0], &LabelOptions { top_k: 2, ..top1.clone() }).unwrap();
    let ids: Vec<&str> = both.labels().iter().map(|l| l.id.as_str()).collect();
    assert!(ids.contains(&"my-red-circle") && ids.contains(&"red_circle"), "{ids:?}");
    assert!(labeler.remove_user_label("my-red-circle"));
    assert!(!labeler.remove_user_label("my-red-circle"));
    assert_eq!(top(&labeler, &embeddings[0]), "red_circle");

    // Typed errors, nothing added.
    let bad = |l: pelabel::UserLabel| matches!(labeler.add_user_label(l), Err(pelabel::Error::InvalidUserLabel { .. }));
    assert!(bad(pelabel::UserLabel { id: String::new(), ..typed.clone() }), "empty id");
    assert!(bad(pelabel::UserLabel { embedding: vec![0.0; typed.embedding.len()], ..typed.clone() }), "zero vector");
    assert!(bad(pelabel::UserLabel { embedding: vec![1.0; 3], ..typed.clone() }), "wrong size");
    assert!(bad(pelabel::UserLabel { min_score: Some(2.0), ..typed.clone() }), "threshold");
    assert!(bad(pelabel::UserLabel { name: "a\u{7}".into(), ..typed.clone() }), "control character");
    assert!(labeler.user_labels().is_empty());
    assert!(encoder.embed(&[]).is_err());
}
