//! Golden parity of the PE Core towers against the official PyTorch outputs in the fixtures
//! (`tests/fixtures/pe-core`, `../shared/fixtures/pe-core`, `tests/fixtures/openclip-tiny`).
//! Tolerances from the fixture README: 1e-4 max abs on raw embeddings and debug tensors, 1e-5 on
//! probabilities and normalised embeddings, cosine ≥ 0.9999 end to end from the PNG files.

use std::collections::HashMap;
use std::path::Path;

use pelabel::{
    decode_image_file, preprocess_image, rope_angles, zero_shot_scores, Cpu, ModelFiles, PeCore, PreprocessConfig,
    Tensor, Towers, VisionTower,
};
use pelabel_tests::{
    cosine, fixture_config_dir, fixtures_dir, load_expected, load_expected_json, max_abs_diff, shared_fixtures_dir,
    Array,
};

const EMB_TOL: f32 = 1e-4;
const PROB_TOL: f32 = 1e-5;

fn tensor(a: &Array) -> Tensor {
    Tensor::from_vec(a.data.clone(), a.shape.clone(), &pelabel::Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

fn ids_rows(a: &Array) -> Vec<Vec<u32>> {
    let cols = a.shape[1];
    a.ints.chunks(cols).map(|r| r.iter().map(|&v| v as u32).collect()).collect()
}

fn assert_close(name: &str, got: &[f32], want: &[f32], tol: f32) -> f32 {
    let d = max_abs_diff(got, want);
    eprintln!("{name}: max abs diff {d:.3e} (tolerance {tol:.0e})");
    assert!(d <= tol, "{name}: max abs diff {d} > {tol}");
    d
}

/// Image tower from the reference input tensor, text tower from the reference ids, probabilities.
fn check_config(dir: &Path, model: &PeCore, exp: &HashMap<String, Array>) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let img = model.encode_image(&tensor(&exp["pixel_values"])).unwrap();
    assert_close(&format!("{name} image_embeds"), &values(&img), &exp["image_embeds"].data, EMB_TOL);
    let img_norm = pelabel::l2_normalize(&img).unwrap();
    assert_close(&format!("{name} image_embeds_norm"), &values(&img_norm), &exp["image_embeds_norm"].data, PROB_TOL);

    if let Some(ids) = exp.get("input_ids") {
        let txt = model.text().unwrap().encode_ids(&ids_rows(ids)).unwrap();
        assert_close(&format!("{name} text_embeds"), &values(&txt), &exp["text_embeds"].data, EMB_TOL);
        let scale = model.logit_scale().expect("logit_scale");
        assert_close(&format!("{name} logit_scale"), &[scale], &exp["logit_scale"].data, 0.0);
        let (logits, probs) = zero_shot_scores(&img, &txt, scale).unwrap();
        assert_close(&format!("{name} logits"), &values(&logits), &exp["logits_per_image"].data, 1e-3);
        assert_close(&format!("{name} probs"), &values(&probs), &exp["probs"].data, PROB_TOL);

        // Same from the raw prompt strings through the tokenizer.
        let json = load_expected_json(dir);
        let prompts: Vec<String> =
            json["prompts"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap().to_string()).collect();
        let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
        let txt2 = model.encode_text(&refs).unwrap();
        assert_close(&format!("{name} text_embeds from strings"), &values(&txt2), &exp["text_embeds"].data, EMB_TOL);
    }

    if let Some(angles) = exp.get("rope_angles") {
        let v = &model.config().vision;
        let g = v.grid_size();
        let got = rope_angles(g, g, v.head_dim(), v.rope_theta, v.use_cls_token);
        assert_close(&format!("{name} rope_angles"), &got, &angles.data, 1e-4);
    }

    if let Some(off) = exp.get("offgrid_pixel_values") {
        let emb = model.encode_image(&tensor(off)).unwrap();
        assert_close(
            &format!("{name} offgrid_image_embeds"),
            &values(&emb),
            &exp["offgrid_image_embeds"].data,
            EMB_TOL,
        );
        let pos = model.vision().unwrap().position_embedding(5, 7).unwrap().unwrap();
        assert_close(&format!("{name} offgrid_pos_embed"), &values(&pos), &exp["offgrid_pos_embed"].data, 1e-6);
        let v = &model.config().vision;
        let got = rope_angles(5, 7, v.head_dim(), v.rope_theta, v.use_cls_token);
        assert_close(&format!("{name} offgrid_rope_angles"), &got, &exp["offgrid_rope_angles"].data, 1e-4);
    }
}

/// End to end from the PNG files: decode → preprocess → image tower, cosine ≥ 0.9999.
fn check_end_to_end(dir: &Path, model: &PeCore, exp: &HashMap<String, Array>, images_dir: &Path) {
    let json = load_expected_json(dir);
    let size = model.config().vision.image_size as u32;
    let d = model.config().embed_dim();
    for (row, img) in json["images"].as_array().unwrap().iter().enumerate() {
        let file = img["file"].as_str().unwrap();
        let file = Path::new(file).file_name().unwrap();
        let decoded = decode_image_file(&images_dir.join(file)).unwrap();
        let pixels = preprocess_image(&decoded, &PreprocessConfig::pe_core(size), model.device()).unwrap();
        let emb = values(&model.encode_image(&pixels.unsqueeze(0).unwrap()).unwrap());
        let want = &exp["image_embeds"].data[row * d..(row + 1) * d];
        let c = cosine(&emb, want);
        eprintln!("{} end-to-end {file:?}: cosine {c:.7}, max abs {:.3e}", dir.display(), max_abs_diff(&emb, want));
        assert!(c >= 0.9999, "cosine {c}");
    }
}

/// Runs `check` with the model's image tower at every compute tier this CPU can be lowered to
/// (or those `PELABEL_TEST_TIERS` names, see [`pelabel_tests::test_tiers`]).
fn at_every_tier(model: &mut PeCore, mut check: impl FnMut(&PeCore)) {
    let cpu = Cpu::detect();
    for tier in pelabel_tests::test_tiers() {
        eprintln!("-- compute tier {tier}");
        model.set_cpu(cpu.lowered_to(tier));
        check(model);
    }
}

#[test]
fn tiny_matches_reference() {
    let dir = fixtures_dir().join("tiny");
    let mut model = PeCore::open(&dir, Towers::Available).unwrap();
    let exp = load_expected(&dir);
    at_every_tier(&mut model, |model| {
        check_config(&dir, model, &exp);
        check_end_to_end(&dir, model, &exp, &fixtures_dir().join("images"));
    });
}

#[test]
fn tiny_debug_tensors_match() {
    // The final embeddings of the single-image and single-prompt debug runs (the intermediate
    // tensors are checked implicitly: any of them off by more than ~1e-5 would move these).
    let dir = fixtures_dir().join("tiny");
    let model = PeCore::open(&dir, Towers::Available).unwrap();
    let exp = load_expected(&dir);
    let px = tensor(&exp["pixel_values"]).narrow(0, 0, 1).unwrap();
    let img = model.encode_image(&px).unwrap();
    assert_close("dbg.vision.embed", &values(&img), &exp["dbg.vision.embed"].data, EMB_TOL);
    let ids = ids_rows(&exp["input_ids"]);
    let txt = model.text().unwrap().encode_ids(&ids[..1]).unwrap();
    assert_close("dbg.text.embed", &values(&txt), &exp["dbg.text.embed"].data, EMB_TOL);
}

#[test]
fn tiny_from_pytorch_pickle_matches_reference() {
    let dir = fixtures_dir().join("tiny");
    let mut files = ModelFiles::discover(&dir, None).unwrap();
    files.weights = pelabel::WeightFiles::Checkpoint(dir.join("model.pt"));
    let model = PeCore::load(files, Towers::Available, &pelabel::Device::Cpu).unwrap();
    let exp = load_expected(&dir);
    let img = model.encode_image(&tensor(&exp["pixel_values"])).unwrap();
    assert_close("tiny model.pt image_embeds", &values(&img), &exp["image_embeds"].data, EMB_TOL);
    let txt = model.text().unwrap().encode_ids(&ids_rows(&exp["input_ids"])).unwrap();
    assert_close("tiny model.pt text_embeds", &values(&txt), &exp["text_embeds"].data, EMB_TOL);
}

#[test]
fn tiny_nocls_matches_reference() {
    let dir = fixtures_dir().join("tiny-nocls");
    let mut model = PeCore::open(&dir, Towers::Available).unwrap();
    assert!(model.text().is_err(), "tiny-nocls is vision-only");
    let exp = load_expected(&dir);
    at_every_tier(&mut model, |model| {
        check_config(&dir, model, &exp);
        check_end_to_end(&dir, model, &exp, &fixtures_dir().join("images"));
    });
}

#[test]
fn t16_384_l2_matches_reference() {
    let Some(shared) = shared_fixtures_dir() else { return };
    let dir = shared.join("t16-384-l2");
    assert!(dir.is_dir(), "{} missing", dir.display());
    let mut model = PeCore::open(&dir, Towers::Available).unwrap();
    let exp = load_expected(&dir);
    at_every_tier(&mut model, |model| {
        check_config(&dir, model, &exp);
        check_end_to_end(&dir, model, &exp, &shared.join("images"));
    });
}

#[test]
fn open_clip_layout_matches_open_clip() {
    let dir = fixtures_dir().parent().unwrap().join("openclip-tiny");
    let files = ModelFiles::discover(&dir, None).unwrap();
    assert!(
        matches!(&files.weights, pelabel::WeightFiles::Checkpoint(p) if p.ends_with("open_clip_model.safetensors"))
    );
    let mut model = PeCore::load(files, Towers::Available, &pelabel::Device::Cpu).unwrap();
    let exp = load_expected(&dir);
    at_every_tier(&mut model, |model| {
        check_config(&dir, model, &exp);
        check_end_to_end(&dir, model, &exp, &fixtures_dir().join("images"));
    });
}

#[test]
fn vision_tower_loads_alone() {
    let dir = fixtures_dir().join("tiny");
    let files = ModelFiles::discover(&dir, None).unwrap();
    let tower = VisionTower::load(&files, &pelabel::Device::Cpu).unwrap();
    let exp = load_expected(&dir);
    let img = tower.encode(&tensor(&exp["pixel_values"])).unwrap();
    assert_close("tiny vision-only image_embeds", &values(&img), &exp["image_embeds"].data, EMB_TOL);
    let model = PeCore::load(files, Towers::Image, &pelabel::Device::Cpu).unwrap();
    assert!(model.text().is_err());
    assert!(model.encode_text(&["a cat"]).is_err());
}

#[test]
fn fixture_dirs_resolve() {
    // Every committed fixture directory works as `--model` as it is.
    for name in ["tiny", "tiny-nocls"] {
        let dir = fixture_config_dir(name).unwrap();
        ModelFiles::discover(&dir, None).unwrap();
    }
}
