//! Checkpoint formats and `split`: every wrapper the official loader accepts, typed errors for
//! missing / extra / wrongly shaped / corrupt tensors, and split halves that reproduce the whole.

use std::path::{Path, PathBuf};

use pelabel::{
    split_checkpoint, Error, ModelFiles, PeCore, StorageDType, Tensor, Towers, WeightFiles, FINGERPRINT_KEY,
    IMAGE_TOWER_FILE, TEXT_TOWER_FILE,
};
use pelabel_tests::{cosine, fixtures_dir, load_expected, max_abs_diff, shared_fixtures_dir, Array};

fn tensor(a: &Array) -> Tensor {
    Tensor::from_vec(a.data.clone(), a.shape.clone(), &pelabel::Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

fn tiny_dir() -> PathBuf {
    fixtures_dir().join("tiny")
}

fn wrappers_dir() -> PathBuf {
    fixtures_dir().parent().unwrap().join("pt-wrappers")
}

/// The tiny config with another weights file.
fn tiny_files_with(weights: &Path) -> ModelFiles {
    let mut files = ModelFiles::discover(&tiny_dir(), None).unwrap();
    files.weights = WeightFiles::Checkpoint(weights.to_path_buf());
    files
}

fn tiny_image_embeds(model: &PeCore) -> Vec<f32> {
    let exp = load_expected(&tiny_dir());
    values(&model.encode_image(&tensor(&exp["pixel_values"])).unwrap())
}

#[test]
fn pytorch_wrappers_load() {
    let want = load_expected(&tiny_dir())["image_embeds"].data.clone();
    for name in ["tiny-state_dict.pt", "tiny-weights.pt", "tiny-module-prefix.pt"] {
        let files = tiny_files_with(&wrappers_dir().join(name));
        let model = PeCore::load(files, Towers::Image, &pelabel::Device::Cpu).unwrap();
        let d = max_abs_diff(&tiny_image_embeds(&model), &want);
        assert!(d < 1e-4, "{name}: {d}");
        assert!(model.logit_scale().is_some(), "{name}: logit_scale");
    }
}

#[test]
fn half_precision_checkpoints_are_upcast() {
    let want = load_expected(&tiny_dir())["image_embeds"].data.clone();
    for (name, min_cos) in [("tiny-f16.pt", 0.9999), ("tiny-bf16.pt", 0.999)] {
        let files = tiny_files_with(&wrappers_dir().join(name));
        let model = PeCore::load(files, Towers::Available, &pelabel::Device::Cpu).unwrap();
        let got = tiny_image_embeds(&model);
        for (g, w) in got.chunks(32).zip(want.chunks(32)) {
            let c = cosine(g, w);
            assert!(c >= min_cos, "{name}: cosine {c}");
        }
        assert!(model.text().is_ok());
    }
}

#[test]
fn wrong_shape_names_key_and_both_shapes() {
    let files = tiny_files_with(&wrappers_dir().join("tiny-wrong-shape.pt"));
    let err = PeCore::load(files, Towers::Image, &pelabel::Device::Cpu).unwrap_err();
    match &err {
        Error::ShapeMismatch { key, expected, found } => {
            assert_eq!(key, "visual.proj");
            assert_eq!(expected, &vec![64, 32]);
            assert_eq!(found, &vec![32, 64]);
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("visual.proj") && msg.contains("[64, 32]") && msg.contains("[32, 64]"), "{msg}");
}

#[test]
fn missing_tensor_is_named() {
    let files = tiny_files_with(&wrappers_dir().join("tiny-missing-key.pt"));
    let err = PeCore::load(files, Towers::Image, &pelabel::Device::Cpu).unwrap_err();
    assert!(
        matches!(&err, Error::MissingTensor { key, expected } if key == "visual.ln_post.weight" && expected == &vec![64]),
        "{err:?}"
    );
    // The text tower does not need that key: a text-only load of the same file works.
    let files = tiny_files_with(&wrappers_dir().join("tiny-missing-key.pt"));
    PeCore::load(files, Towers::Text, &pelabel::Device::Cpu).unwrap();
}

/// Writes a copy of the tiny safetensors with `edit` applied to its tensor list.
fn edited_tiny(dir: &Path, edit: impl FnOnce(&mut Vec<(String, Tensor)>)) -> PathBuf {
    let src = tiny_dir().join("model.safetensors");
    let map = candle_core::safetensors::load(&src, &candle_core::Device::Cpu).unwrap();
    let mut list: Vec<(String, Tensor)> = map.into_iter().collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    edit(&mut list);
    let out = dir.join("edited.safetensors");
    safetensors::serialize_to_file(list.iter().map(|(k, t)| (k.as_str(), t)), None, &out).unwrap();
    out
}

#[test]
fn extra_tensor_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let path = edited_tiny(tmp.path(), |list| {
        list.push((
            "visual.transformer.resblocks.7.ln_1.weight".into(),
            Tensor::zeros(64, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
        ));
    });
    let err = PeCore::load(tiny_files_with(&path), Towers::Image, &pelabel::Device::Cpu).unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedTensor { key, found } if key == "visual.transformer.resblocks.7.ln_1.weight" && found == &vec![64]),
        "{err:?}"
    );
}

#[test]
fn integer_tensor_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let path = edited_tiny(tmp.path(), |list| {
        for (k, t) in list.iter_mut() {
            if k == "visual.ln_pre.bias" {
                *t = t.to_dtype(candle_core::DType::I64).unwrap();
            }
        }
    });
    let err = PeCore::load(tiny_files_with(&path), Towers::Image, &pelabel::Device::Cpu).unwrap_err();
    assert!(matches!(&err, Error::UnsupportedDtype { key, .. } if key == "visual.ln_pre.bias"), "{err:?}");
}

#[test]
fn corrupt_files_are_typed_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let good = std::fs::read(tiny_dir().join("model.safetensors")).unwrap();
    let pt = std::fs::read(tiny_dir().join("model.pt")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.safetensors", vec![]),
        ("short.safetensors", good[..100].to_vec()),
        ("truncated.safetensors", good[..good.len() / 2].to_vec()),
        ("garbage.safetensors", vec![0xAB; 4096]),
        ("huge-header.safetensors", [u64::MAX.to_le_bytes().as_slice(), &[b'{'; 64]].concat()),
        ("bad-json.safetensors", [16u64.to_le_bytes().as_slice(), b"{\"a\": [1, 2, 3x"].concat()),
        ("truncated.pt", pt[..pt.len() / 2].to_vec()),
        ("zip-garbage.pt", [b"PK\x03\x04".as_slice(), &[7u8; 2000]].concat()),
    ];
    for (name, bytes) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let result =
            std::panic::catch_unwind(|| PeCore::load(tiny_files_with(&path), Towers::Available, &pelabel::Device::Cpu));
        let result = result.unwrap_or_else(|_| panic!("{name}: loader panicked"));
        let err = result.expect_err(name);
        assert!(matches!(err, Error::Checkpoint { .. } | Error::Io { .. }), "{name}: {err:?}");
    }
    let missing = tmp.path().join("nope.safetensors");
    let err = PeCore::load(tiny_files_with(&missing), Towers::Image, &pelabel::Device::Cpu).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[test]
fn model_source_errors() {
    let tmp = tempfile::tempdir().unwrap();
    // Empty directory: no weights.
    let err = ModelFiles::discover(tmp.path(), None).unwrap_err();
    assert!(matches!(err, Error::ModelSource { .. }), "{err:?}");
    // A weights file without config or recognisable name.
    let w = tmp.path().join("weights.safetensors");
    std::fs::copy(tiny_dir().join("model.safetensors"), &w).unwrap();
    let err = ModelFiles::discover(&w, None).unwrap_err();
    assert!(matches!(err, Error::ModelSource { .. }), "{err:?}");
    assert!(err.to_string().contains("PE-Core-T16-384"), "lists presets: {err}");
    // With a preset it resolves, and loading reports the real mismatch with the key.
    let files = ModelFiles::discover(&w, Some("PE-Core-T16-384")).unwrap();
    let err = PeCore::load(files, Towers::Image, &pelabel::Device::Cpu).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err:?}");
    // A name that carries the preset.
    let named = tmp.path().join("PE-Core-S16-384.pt");
    std::fs::write(&named, b"x").unwrap();
    let files = ModelFiles::discover(&named, None).unwrap();
    assert_eq!(files.config.vision.width, 384);
    // Two candidate weight files are ambiguous.
    std::fs::copy(tiny_dir().join("model.safetensors"), tmp.path().join("other.safetensors")).unwrap();
    std::fs::remove_file(&named).unwrap();
    let err = ModelFiles::discover(tmp.path(), None).unwrap_err();
    assert!(err.to_string().contains("several weight files"), "{err}");
    // A config.json beside the weights overrides the preset and is validated.
    std::fs::write(tmp.path().join("config.json"), "{\"vision\": {\"image_size\": 64}}").unwrap();
    let err = ModelFiles::discover(&w, Some("PE-Core-T16-384")).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
}

#[test]
fn split_halves_reproduce_the_whole_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_dir();
    let exp = load_expected(&dir);
    let source = ModelFiles::discover(&dir, None).unwrap();
    let source_fp = source.fingerprint().unwrap();
    let report = split_checkpoint(&source, tmp.path(), StorageDType::F32).unwrap();
    assert_eq!(report.fingerprint, source_fp);
    let names: Vec<String> =
        report.files.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().to_string()).collect();
    assert_eq!(names, [IMAGE_TOWER_FILE, TEXT_TOWER_FILE, "config.json", "tokenizer.json"]);
    assert!(report.files.iter().all(|(_, n)| *n > 0));

    // Both halves record the source fingerprint.
    for half in [IMAGE_TOWER_FILE, TEXT_TOWER_FILE] {
        let bytes = std::fs::read(tmp.path().join(half)).unwrap();
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        assert_eq!(meta.metadata().as_ref().unwrap()[FINGERPRINT_KEY], source_fp, "{half}");
    }

    let whole = PeCore::open(&dir, Towers::Available).unwrap();
    let split = PeCore::open(tmp.path(), Towers::Available).unwrap();
    assert_eq!(split.fingerprint().unwrap(), source_fp);
    assert_eq!(split.logit_scale(), whole.logit_scale());
    let px = tensor(&exp["pixel_values"]);
    assert_eq!(values(&split.encode_image(&px).unwrap()), values(&whole.encode_image(&px).unwrap()));
    let prompts = ["a photo of a cat.", "it’s a “quoted” word &amp; a ﬁne ligature"];
    assert_eq!(values(&split.encode_text(&prompts).unwrap()), values(&whole.encode_text(&prompts).unwrap()));

    // The image half alone is enough for the phone path.
    std::fs::remove_file(tmp.path().join(TEXT_TOWER_FILE)).unwrap();
    let image_only = PeCore::open(tmp.path(), Towers::Available).unwrap();
    assert!(image_only.text().is_err());
    assert_eq!(values(&image_only.encode_image(&px).unwrap()), values(&whole.encode_image(&px).unwrap()));
    let err = PeCore::open(tmp.path(), Towers::Text).unwrap_err();
    assert!(matches!(err, Error::TowerUnavailable { tower: "text", .. }), "{err:?}");
}

#[test]
fn split_in_half_precision_stays_close_and_halves_the_size() {
    let dir = tiny_dir();
    let exp = load_expected(&dir);
    let source = ModelFiles::discover(&dir, None).unwrap();
    let f32_dir = tempfile::tempdir().unwrap();
    let f16_dir = tempfile::tempdir().unwrap();
    let r32 = split_checkpoint(&source, f32_dir.path(), StorageDType::F32).unwrap();
    let r16 = split_checkpoint(&source, f16_dir.path(), StorageDType::F16).unwrap();
    let (s32, s16) = (r32.files[0].1 as f64, r16.files[0].1 as f64);
    assert!(s16 < 0.55 * s32, "f16 image half {s16} vs f32 {s32}");
    let model = PeCore::open(f16_dir.path(), Towers::Available).unwrap();
    let got = values(&model.encode_image(&tensor(&exp["pixel_values"])).unwrap());
    for (g, w) in got.chunks(32).zip(exp["image_embeds"].data.chunks(32)) {
        assert!(cosine(g, w) > 0.9999, "cosine {}", cosine(g, w));
    }
}

#[test]
fn split_of_an_open_clip_checkpoint_is_official_layout() {
    let dir = fixtures_dir().parent().unwrap().join("openclip-tiny");
    let tmp = tempfile::tempdir().unwrap();
    let source = ModelFiles::discover(&dir, None).unwrap();
    split_checkpoint(&source, tmp.path(), StorageDType::F32).unwrap();
    let bytes = std::fs::read(tmp.path().join(IMAGE_TOWER_FILE)).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let names = st.names();
    assert!(names.contains(&"visual.proj"));
    assert!(names.contains(&"visual.attn_pool.attn.in_proj_weight"));
    assert!(!names.iter().any(|n| n.contains("trunk")));
    let exp = load_expected(&dir);
    let model = PeCore::open(tmp.path(), Towers::Available).unwrap();
    let got = values(&model.encode_image(&tensor(&exp["pixel_values"])).unwrap());
    assert!(max_abs_diff(&got, &exp["image_embeds"].data) < 1e-4);
}

#[test]
fn split_halves_from_different_checkpoints_are_refused() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    split_checkpoint(&ModelFiles::discover(&tiny_dir(), None).unwrap(), a.path(), StorageDType::F16).unwrap();
    let files = tiny_files_with(&wrappers_dir().join("tiny-f16.pt"));
    split_checkpoint(&files, b.path(), StorageDType::F16).unwrap();
    std::fs::copy(b.path().join(TEXT_TOWER_FILE), a.path().join(TEXT_TOWER_FILE)).unwrap();
    let files = ModelFiles::discover(a.path(), None).unwrap();
    let err = files.fingerprint().unwrap_err();
    assert!(err.to_string().contains("different checkpoints"), "{err}");
}

#[test]
fn t16_split_in_f16_is_lossless() {
    // The t16-384-l2 weights are stored in f16, so an f16 split must give bit-identical embeddings.
    let Some(shared) = shared_fixtures_dir() else { return };
    let dir = shared.join("t16-384-l2");
    let tmp = tempfile::tempdir().unwrap();
    let report = split_checkpoint(&ModelFiles::discover(&dir, None).unwrap(), tmp.path(), StorageDType::F16).unwrap();
    let total: u64 = report.files.iter().map(|(_, n)| n).sum();
    eprintln!("t16-384-l2 split: {:?} (total {total} bytes)", report.files);
    let exp = load_expected(&dir);
    let px = tensor(&exp["pixel_values"]).narrow(0, 0, 1).unwrap();
    let whole = PeCore::open(&dir, Towers::Available).unwrap();
    let split = PeCore::open(tmp.path(), Towers::Available).unwrap();
    assert_eq!(values(&split.encode_image(&px).unwrap()), values(&whole.encode_image(&px).unwrap()));
    assert_eq!(
        values(&split.encode_text(&["a photo of a cat."]).unwrap()),
        values(&whole.encode_text(&["a photo of a cat."]).unwrap())
    );
}

#[test]
fn splitting_a_vision_only_model_into_a_used_directory_removes_the_old_text_half() {
    let tmp = tempfile::tempdir().unwrap();
    split_checkpoint(&ModelFiles::discover(&tiny_dir(), None).unwrap(), tmp.path(), StorageDType::F16).unwrap();
    assert!(tmp.path().join(TEXT_TOWER_FILE).exists());
    let nocls = ModelFiles::discover(&fixtures_dir().join("tiny-nocls"), None).unwrap();
    split_checkpoint(&nocls, tmp.path(), StorageDType::F16).unwrap();
    assert!(!tmp.path().join(TEXT_TOWER_FILE).exists());
    assert!(!tmp.path().join("tokenizer.json").exists());
    let files = ModelFiles::discover(tmp.path(), None).unwrap();
    assert_eq!(files.fingerprint().unwrap(), nocls.fingerprint().unwrap());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2, "no temporary files left");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join(IMAGE_TOWER_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o644, 0o644, "readable by others: {mode:o}");
    }
}

#[test]
fn a_config_with_mlp_ratio_and_its_resolved_twin_share_a_fingerprint() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = ModelFiles::discover(&tiny_dir(), None).unwrap().config;
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    for (dir, ratio) in [(&a, true), (&b, false)] {
        std::fs::create_dir(dir).unwrap();
        std::fs::copy(tiny_dir().join("model.safetensors"), dir.join("model.safetensors")).unwrap();
        if ratio {
            cfg.vision.mlp_width = None;
            cfg.vision.mlp_ratio = Some(3.0);
            cfg.vision.attn_pooler_mlp_width = None;
        } else {
            cfg.vision.mlp_width = Some(192);
            cfg.vision.mlp_ratio = None;
            cfg.vision.attn_pooler_mlp_width = Some(256);
        }
        std::fs::write(dir.join("config.json"), cfg.to_json_string()).unwrap();
    }
    let fa = ModelFiles::discover(&a, None).unwrap().fingerprint().unwrap();
    let fb = ModelFiles::discover(&b, None).unwrap().fingerprint().unwrap();
    assert_eq!(fa, fb);
}

#[test]
fn open_clip_head_bias_must_be_zero_and_well_shaped() {
    let dir = fixtures_dir().parent().unwrap().join("openclip-tiny");
    let src = dir.join("open_clip_model.safetensors");
    let map = candle_core::safetensors::load(&src, &candle_core::Device::Cpu).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for (name, bias) in [
        ("nonzero", Tensor::ones(32, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap()),
        ("misshapen", Tensor::zeros(33, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap()),
    ] {
        let mut list: Vec<(String, Tensor)> = map.clone().into_iter().collect();
        for (k, t) in list.iter_mut() {
            if k == "visual.trunk.head.bias" {
                *t = bias.clone();
            }
        }
        let path = tmp.path().join(format!("{name}.safetensors"));
        safetensors::serialize_to_file(list.iter().map(|(k, t)| (k.as_str(), t)), None, &path).unwrap();
        let mut files = ModelFiles::discover(&dir, None).unwrap();
        files.weights = WeightFiles::Checkpoint(path);
        let err = PeCore::load(files, Towers::Image, &pelabel::Device::Cpu).unwrap_err();
        assert!(err.to_string().contains("head.bias"), "{name}: {err}");
    }
}

/// Writes a torch.save-like zip archive (`archive/data.pkl`, `archive/data/<key>`).
fn write_pt(path: &Path, pickle: &[u8], storages: &[(&str, &[u8])]) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("archive/data.pkl", opts).unwrap();
    w.write_all(pickle).unwrap();
    for (key, bytes) in storages {
        w.start_file(format!("archive/data/{key}"), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

/// BINUNICODE.
fn pkl_str(s: &str) -> Vec<u8> {
    [b"X".as_slice(), &(s.len() as u32).to_le_bytes(), s.as_bytes()].concat()
}

/// BININT.
fn pkl_int(v: u32) -> Vec<u8> {
    [b"J".as_slice(), &v.to_le_bytes()].concat()
}

/// `{key: _rebuild_tensor_v2(FloatStorage "0" of `numel` elements, 0, shape, row-major strides)}`.
fn pkl_state_dict(key: &str, numel: u32, shape: &[u32]) -> Vec<u8> {
    let ints = |v: Vec<u32>| [b"(".to_vec(), v.into_iter().flat_map(pkl_int).collect(), b"t".to_vec()].concat();
    let strides: Vec<u32> = (0..shape.len()).map(|i| shape[i + 1..].iter().product()).collect();
    [
        b"\x80\x02}".to_vec(),
        pkl_str(key),
        b"ctorch._utils\n_rebuild_tensor_v2\n((".to_vec(),
        pkl_str("storage"),
        b"ctorch\nFloatStorage\n".to_vec(),
        pkl_str("0"),
        pkl_str("cpu"),
        pkl_int(numel),
        b"tQ".to_vec(),
        pkl_int(0),
        ints(shape.to_vec()),
        ints(strides),
        b"\x89ccollections\nOrderedDict\n)RtRs.".to_vec(),
    ]
    .concat()
}

/// Loads `path` as the tiny model's weights on a thread with a 512 KiB stack (a phone's
/// secondary-thread size), within `secs` seconds.
fn load_on_small_stack(path: PathBuf, secs: u64) -> Error {
    let start = std::time::Instant::now();
    let err = std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(move || PeCore::load(tiny_files_with(&path), Towers::Image, &pelabel::Device::Cpu).unwrap_err())
        .unwrap()
        .join()
        .expect("the loader must not panic or overflow its stack");
    assert!(start.elapsed().as_secs() < secs, "took {:?}", start.elapsed());
    err
}

#[test]
fn hostile_pytorch_files_are_typed_errors_quickly_on_a_small_stack() {
    // Finding 5 of issue 9: each of these aborted the process or exhausted memory.
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| tmp.path().join(name);

    // 200 000 nested TUPLE1 (200 KB): a stack overflow when candle dropped the value.
    let mut nested = b"\x80\x02N".to_vec();
    nested.extend(std::iter::repeat_n(0x85u8, 200_000));
    nested.push(b'.');
    write_pt(&path("nested.pt"), &nested, &[]);
    let err = load_on_small_stack(path("nested.pt"), 10);
    assert!(matches!(&err, Error::LimitExceeded { what, limit: 64, .. } if what.contains("nesting depth")), "{err:?}");
    assert!(err.to_string().contains("nested.pt"), "{err}");

    // A 286-byte memo bomb: each level is a tuple of two memo references to the previous one.
    let mut bomb = b"\x80\x02]q\x00".to_vec();
    for _ in 0..40 {
        bomb.extend_from_slice(b"h\x00h\x00\x86q\x00");
    }
    bomb.push(b'.');
    assert_eq!(bomb.len(), 286);
    write_pt(&path("bomb.pt"), &bomb, &[]);
    let err = load_on_small_stack(path("bomb.pt"), 10);
    assert!(matches!(&err, Error::Pickle { .. }), "{err:?}");

    // A BINUNICODE length of 0xFFFFFFF0 with 3 bytes behind it: 4 GiB allocated up front.
    let huge = [b"\x80\x02X".as_slice(), &0xFFFF_FFF0u32.to_le_bytes(), b"abc"].concat();
    write_pt(&path("huge-string.pt"), &huge, &[]);
    let err = load_on_small_stack(path("huge-string.pt"), 10);
    assert!(matches!(&err, Error::Pickle { offset: 2, reason, .. } if reason.contains("4294967280 bytes")), "{err:?}");

    // A storage declaring 10^9 floats in a 8 KB entry.
    let pickle = pkl_state_dict("visual.proj", 1_000_000_000, &[64, 32]);
    write_pt(&path("storage.pt"), &pickle, &[("0", &[0u8; 8192])]);
    let err = load_on_small_stack(path("storage.pt"), 10);
    match &err {
        Error::CheckpointStorage { path: p, key, entry, needed_bytes, available_bytes } => {
            assert_eq!(p, &path("storage.pt"));
            assert_eq!((key.as_str(), entry.as_str()), ("visual.proj", "archive/data/0"));
            assert_eq!((*needed_bytes, *available_bytes), (4_000_000_000, 8192));
        }
        other => panic!("{other:?}"),
    }
    // The same tensor with a storage that fits its entry is read (and then fails validation as
    // the only tensor of the file: proof the reader got that far).
    write_pt(&path("fits.pt"), &pkl_state_dict("visual.proj", 2048, &[64, 32]), &[("0", &[0u8; 8192])]);
    let err = load_on_small_stack(path("fits.pt"), 10);
    assert!(matches!(&err, Error::MissingTensor { .. }), "{err:?}");

    // Code execution through a global is refused by name.
    let evil = [b"\x80\x02cos\nsystem\n".as_slice(), &pkl_str("true"), b"\x85R."].concat();
    write_pt(&path("evil.pt"), &evil, &[]);
    let err = load_on_small_stack(path("evil.pt"), 10);
    assert!(matches!(&err, Error::Pickle { reason, .. } if reason.contains("os.system")), "{err:?}");
}

#[test]
fn file_name_and_content_must_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let pt = wrappers_dir().join("tiny-state_dict.pt");
    // A zip archive named .safetensors is not handed to the pickle reader.
    let disguised = tmp.path().join("model.safetensors");
    std::fs::copy(&pt, &disguised).unwrap();
    let err = PeCore::load(tiny_files_with(&disguised), Towers::Image, &pelabel::Device::Cpu).unwrap_err();
    assert!(
        matches!(&err, Error::Checkpoint { path, reason } if path == &disguised && reason.contains("zip archive")),
        "{err:?}"
    );
    // A .pt / .pth / .bin that is not a zip archive is not read as safetensors.
    for name in ["model.pt", "model.pth", "pytorch_model.bin"] {
        let fake = tmp.path().join(name);
        std::fs::copy(tiny_dir().join("model.safetensors"), &fake).unwrap();
        let err = PeCore::load(tiny_files_with(&fake), Towers::Image, &pelabel::Device::Cpu).unwrap_err();
        assert!(matches!(&err, Error::Checkpoint { reason, .. } if reason.contains("not a zip archive")), "{err:?}");
    }
    // Any other name goes by content.
    let other = tmp.path().join("weights.ckpt");
    std::fs::copy(&pt, &other).unwrap();
    PeCore::load(tiny_files_with(&other), Towers::Image, &pelabel::Device::Cpu).unwrap();
}
