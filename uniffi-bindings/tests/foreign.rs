//! The generated bindings, tested from the languages that use them.
//!
//! This test prepares one scenario with the sdk (a model, label packs compiled at test time,
//! camera frames with padded strides, the labels the sdk itself gives those frames), generates
//! the Python and Kotlin bindings from the compiled `pelabel-ffi` library with the workspace's
//! UniFFI, and runs the same scenario written in each language (`tests/scenario/`). The foreign
//! code checks the glue: that frames, packs, options, results, callbacks and every error cross the
//! boundary intact. The behaviour itself is tested in the sdk.
//!
//! Toolchains: `python3`; `kotlinc` (npm package `kotlin-compiler`, found on PATH, in `$KOTLINC`,
//! or under `npm root -g`) and JNA (`/usr/share/java/jna.jar` from Debian's `libjna-java`, or
//! `$JNA_JAR`). A missing toolchain is a loud SKIPPED, and a failure when
//! `PELABEL_REQUIRE_FOREIGN_TESTS=1` (as in `.ci/run`).
//!
//! The model: the bundled demo model `models/demo/pe-core-demo` when present (then the frames are
//! a held-out test image whose true label the scenario expects), else the random `tiny` fixture
//! (labels arbitrary but deterministic: the scenario expects what the sdk says).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use pelabel::{
    compile_label_set, split_checkpoint, CompileOptions, Frame, LabelOptions, LabelPack, LabelSet, Labeler,
    LabelerOptions, ModelFiles, PackWriteOptions, PeCore, SigningKey, StorageDType, Towers, YuvMatrix, YuvRange,
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("uniffi-bindings has a parent").to_path_buf()
}

/// The cargo profile directory this test binary was built into (`target/debug`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>").to_path_buf()
}

fn cdylib_name() -> String {
    format!("{}pelabel_ffi{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// The cdylib cargo built with this test: `target/<profile>/libpelabel_ffi.so`, else the one in
/// `deps/` (cargo leaves it there when it builds the library only for tests), else the newest hashed copy.
fn cdylib() -> PathBuf {
    let path = profile_dir().join(cdylib_name());
    for p in [path.clone(), profile_dir().join("deps").join(cdylib_name())] {
        if p.is_file() {
            return p;
        }
    }
    let (prefix, suffix) = (format!("{}pelabel_ffi-", std::env::consts::DLL_PREFIX), std::env::consts::DLL_SUFFIX);
    let newest = std::fs::read_dir(profile_dir().join("deps"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix) && n.ends_with(suffix))
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    newest.unwrap_or_else(|| panic!("{} was not built with the tests", path.display()))
}

fn require_foreign() -> bool {
    std::env::var("PELABEL_REQUIRE_FOREIGN_TESTS").is_ok_and(|v| v == "1")
}

/// Fails under `PELABEL_REQUIRE_FOREIGN_TESTS=1`, otherwise prints a loud SKIPPED.
fn skip(what: &str) {
    if require_foreign() {
        panic!("{what}, and PELABEL_REQUIRE_FOREIGN_TESTS=1");
    }
    eprintln!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !! SKIPPED: {what}.\n\
         !! The generated bindings were NOT tested in this language (.ci/run installs it).\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
}

/// BT.601 full-range RGB → NV12 with padded strides (what an iPhone camera delivers as
/// `…420YpCbCr8BiPlanarFullRange`, without the 709 matrix).
fn rgb_to_nv12(rgb: &[u8], w: usize, h: usize, y_stride: usize, c_stride: usize) -> (Vec<u8>, Vec<u8>) {
    let mut y = vec![0x11u8; y_stride * h];
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut c = vec![0x22u8; c_stride * ch];
    let px = |x: usize, yy: usize| {
        let i = (yy * w + x) * 3;
        (rgb[i] as f32, rgb[i + 1] as f32, rgb[i + 2] as f32)
    };
    for yy in 0..h {
        for x in 0..w {
            let (r, g, b) = px(x, yy);
            y[yy * y_stride + x] = (0.299 * r + 0.587 * g + 0.114 * b).round().clamp(0.0, 255.0) as u8;
        }
    }
    for cy in 0..ch {
        for cx in 0..cw {
            let (mut cb, mut cr, mut n) = (0.0, 0.0, 0.0);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (x, yy) = (2 * cx + dx, 2 * cy + dy);
                if x < w && yy < h {
                    let (r, g, b) = px(x, yy);
                    cb += 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
                    cr += 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
                    n += 1.0;
                }
            }
            c[cy * c_stride + 2 * cx] = (cb / n).round().clamp(0.0, 255.0) as u8;
            c[cy * c_stride + 2 * cx + 1] = (cr / n).round().clamp(0.0, 255.0) as u8;
        }
    }
    (y, c)
}

fn top1(labeler: &Labeler, frame: &Frame) -> String {
    let out = labeler.label_frame(frame, &LabelOptions { top_k: 3, ..Default::default() }).unwrap();
    let best = out.labels().first().cloned();
    best.expect("the scenario's options recognise at least one label").id
}

fn compile(set: &LabelSet, model: &PeCore) -> LabelPack {
    compile_label_set(set, model, &CompileOptions::default()).unwrap().0
}

/// Everything the foreign scenarios need, as `key=value` lines (read by both languages without
/// a JSON library).
struct Scenario {
    dir: PathBuf,
    props: PathBuf,
}

fn prepare() -> Scenario {
    let dir = profile_dir().join("ffi-scenario");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = repo_root();
    let tiny = root.join("tests/fixtures/pe-core/tiny");
    let demo = root.join("models/demo/pe-core-demo");
    let mut p = BTreeMap::<&str, String>::new();
    let s = |path: &Path| path.display().to_string();

    // Model, label set, a second model for the wrong-model pack, the picture and its true label.
    // PELABEL_FFI_MODEL=tiny runs the tiny fixture even where the demo model exists.
    let use_demo = demo.join("image-tower.safetensors").is_file()
        && root.join("models/demo/testset/truth.json").is_file()
        && std::env::var("PELABEL_FFI_MODEL").map_or(true, |m| m != "tiny");
    let (model_dir, set_a, other_model, picture, truth) = if use_demo {
        let set = LabelSet::from_file(&root.join("label-sets/demo-shapes.toml")).unwrap();
        let (picture, truth) = demo_picture(&root);
        (demo.clone(), set, tiny.clone(), picture, Some(truth))
    } else {
        let model = dir.join("model");
        split_checkpoint(&ModelFiles::discover(&tiny, None).unwrap(), &model, StorageDType::F32).unwrap();
        let text = "name = \"scenario\"\nversion = \"1.0.0\"\n\
                    [[labels]]\nid = \"cat\"\nname = \"cat\"\n[[labels]]\nid = \"dog\"\nname = \"dog\"\n\
                    [[labels]]\nid = \"stripes\"\nname = \"striped pattern\"\n\
                    [[labels]]\nid = \"gradient\"\nname = \"colour gradient\"\n\
                    [[labels]]\nid = \"checker\"\nname = \"grey checkerboard\"\n\
                    [[labels]]\nid = \"shapes\"\nname = \"geometric shapes\"\n";
        let set = LabelSet::from_toml_str(text, Path::new("scenario.toml")).unwrap();
        let other = dir.join("other-model");
        let cfg = pelabel::PeCoreConfig::from_file(&tiny.join("config.json")).unwrap();
        pelabel::write_random_checkpoint(&cfg, true, 99, &other).unwrap();
        (model, set, other, tiny.join("../images/img0_gradient_shapes_500x375.png"), None)
    };
    p.insert("mode", if truth.is_some() { "demo" } else { "tiny" }.into());
    p.insert("model_dir", s(&model_dir));
    p.insert("image_tower", s(&model_dir.join(pelabel::IMAGE_TOWER_FILE)));
    p.insert("config_json", s(&model_dir.join(pelabel::CONFIG_FILE)));

    // Packs: A, B (the same labels under another name and version, for the hot swap), one for
    // another model, A signed, and a tampered copy of the signed one.
    let text_model = PeCore::open(&model_dir, Towers::Text).unwrap();
    let pack_a = compile(&set_a, &text_model);
    let mut set_b = set_a.clone();
    set_b.name = format!("{}-b", set_a.name);
    set_b.version = "2.0.0".into();
    let pack_b = compile(&set_b, &text_model);
    let wrong = compile(&set_a, &PeCore::open(&other_model, Towers::Text).unwrap());
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let other_key = SigningKey::from_bytes(&[9u8; 32]);
    let signed = PackWriteOptions { signing_key: Some(key.clone()), ..Default::default() };
    for (name, pack, options) in [
        ("pack_a", &pack_a, PackWriteOptions::default()),
        ("pack_b", &pack_b, PackWriteOptions::default()),
        ("pack_wrong_model", &wrong, PackWriteOptions::default()),
        ("pack_signed", &pack_a, signed),
    ] {
        let path = dir.join(format!("{name}.pack"));
        pack.write(&path, &options).unwrap();
        p.insert(name, s(&path));
    }
    // A calibrated version of pack A (`pelabel calibrate --sigmoid` writes such packs): the
    // scenarios check that calibrated probabilities cross the boundary, flagged.
    let mut calibrated_meta = pack_a.meta().clone();
    calibrated_meta.label_set.version = "1.0.1".into();
    for l in &mut calibrated_meta.labels {
        l.calibration = Some(pelabel::Calibration { slope: 20.0, intercept: -4.0, margin_slope: 5.0 });
    }
    let pack_calibrated = pack_a.with_meta(calibrated_meta).unwrap();
    pack_calibrated.write(&dir.join("pack_calibrated.pack"), &PackWriteOptions::default()).unwrap();
    p.insert("pack_calibrated", s(&dir.join("pack_calibrated.pack")));
    let mut bytes = std::fs::read(dir.join("pack_signed.pack")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(dir.join("pack_tampered.pack"), bytes).unwrap();
    p.insert("pack_tampered", s(&dir.join("pack_tampered.pack")));
    p.insert("pack_a_name", set_a.name.clone());
    p.insert("pack_a_version", set_a.version.clone());
    p.insert("pack_b_name", set_b.name.clone());
    p.insert("pack_b_version", set_b.version.clone());
    p.insert("pack_label_count", set_a.labels.len().to_string());
    p.insert("public_key_hex", hex(&key.verifying_key().to_bytes()));
    p.insert("other_public_key_hex", hex(&other_key.verifying_key().to_bytes()));
    p.insert("missing_path", s(&dir.join("no-such-file.pack")));

    // Frames: BGRA with 64 bytes of row padding, NV12 with padded Y and CbCr strides.
    let rgb = image::open(&picture).unwrap().to_rgb8();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let bgra_stride = 4 * w + 64;
    let mut bgra = vec![0xABu8; bgra_stride * h];
    for (i, px) in rgb.pixels().enumerate() {
        let o = (i / w) * bgra_stride + (i % w) * 4;
        bgra[o..o + 4].copy_from_slice(&[px[2], px[1], px[0], 255]);
    }
    let (y_stride, c_stride) = (w + 32, 2 * w.div_ceil(2) + 48);
    let (y, cbcr) = rgb_to_nv12(rgb.as_raw(), w, h, y_stride, c_stride);
    std::fs::write(dir.join("frame.bgra"), &bgra).unwrap();
    std::fs::write(dir.join("frame.y"), &y).unwrap();
    std::fs::write(dir.join("frame.cbcr"), &cbcr).unwrap();
    for (k, v) in [
        ("frame_width", w),
        ("frame_height", h),
        ("bgra_bytes_per_row", bgra_stride),
        ("y_bytes_per_row", y_stride),
        ("cbcr_bytes_per_row", c_stride),
    ] {
        p.insert(k, v.to_string());
    }
    p.insert("bgra_file", s(&dir.join("frame.bgra")));
    p.insert("y_file", s(&dir.join("frame.y")));
    p.insert("cbcr_file", s(&dir.join("frame.cbcr")));
    p.insert("image_file", s(&picture));

    // The labels the sdk gives these inputs: what the bindings must return.
    let labeler =
        Labeler::new(&ModelFiles::discover(&model_dir, None).unwrap(), pack_a, &LabelerOptions::default()).unwrap();
    let (wu, hu) = (w as u32, h as u32);
    let bgra_top = top1(&labeler, &Frame::bgra(&bgra, wu, hu, bgra_stride).unwrap());
    let nv12_frame = Frame::nv12(&y, y_stride, &cbcr, c_stride, wu, hu, YuvRange::Full, YuvMatrix::Bt601).unwrap();
    let nv12_top = top1(&labeler, &nv12_frame);
    let image = pelabel::decode_image_file(&picture).unwrap();
    let image_out = labeler.label_image(&image, &LabelOptions { top_k: 3, ..Default::default() }).unwrap();
    let image_top = image_out.labels()[0].id.clone();
    assert!(!image_out.labels()[0].calibrated);
    let calibrated_labeler = Labeler::new(
        &ModelFiles::discover(&model_dir, None).unwrap(),
        LabelPack::load(&dir.join("pack_calibrated.pack"), &Default::default()).unwrap(),
        &LabelerOptions::default(),
    )
    .unwrap();
    let calibrated_out =
        calibrated_labeler.label_image(&image, &LabelOptions { top_k: 3, ..Default::default() }).unwrap();
    let calibrated_top = &calibrated_out.labels()[0];
    assert!(calibrated_top.calibrated && calibrated_top.id == image_top);
    p.insert("calibrated_probability", calibrated_top.probability.to_string());
    if let Some(truth) = &truth {
        // The demo model must get this held-out picture right in every form, or the scenario
        // would test nothing about real labels.
        for (what, got) in [("BGRA", &bgra_top), ("NV12", &nv12_top), ("PNG", &image_top)] {
            assert_eq!(got, truth, "the demo model labels the {what} scenario picture {got}, truth {truth}");
        }
    }
    // Whether this CPU (at the tier the tests run, PELABEL_CPU_TIER included) has an int8 kernel:
    // the scenarios check that asking for int8 gets it exactly then, and f32 otherwise.
    let int8 = pelabel::Precision::Int8.is_supported_on(pelabel::Cpu::from_env().unwrap());
    p.insert("int8_kernel", int8.to_string());
    // Typed labels: a pack without the label the picture gets, and that label's name and prompts
    // to type on the device (the scenarios then see it recognised, in the demo mode as the top).
    let typed = set_a.labels.iter().position(|l| l.id == bgra_top).expect("the expected label is in the set");
    let mut without = set_a.clone();
    without.labels.remove(typed);
    let prompts = set_a.all_prompts().swap_remove(typed);
    assert!(prompts.iter().all(|q| !q.contains('|')), "prompts are joined with |");
    compile(&without, &text_model).write(&dir.join("pack_without.pack"), &PackWriteOptions::default()).unwrap();
    p.insert("pack_without", s(&dir.join("pack_without.pack")));
    p.insert("typed_id", format!("typed-{bgra_top}"));
    p.insert("typed_removed_id", bgra_top.clone());
    p.insert("typed_name", set_a.labels[typed].name.clone());
    p.insert("typed_prompts", prompts.join("|"));
    p.insert("expected_bgra", bgra_top);
    p.insert("expected_nv12", nv12_top);
    p.insert("expected_image", image_top);

    let props = dir.join("scenario.properties");
    let text: String = p.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&props, text).unwrap();
    Scenario { dir, props }
}

/// A held-out picture of the demo test set that the truth file labels `red circle`.
fn demo_picture(root: &Path) -> (PathBuf, String) {
    let testset = root.join("models/demo/testset");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(testset.join("truth.json")).unwrap()).unwrap();
    let entries = truth.as_array().or_else(|| truth.get("images").and_then(|v| v.as_array())).unwrap();
    let e = entries.iter().find(|e| e["label"] == "red circle").expect("a red circle in the demo test set");
    (testset.join(e["file"].as_str().unwrap()), "red_circle".into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Prepared once per test process, with the bindings generated into `target/<profile>/ffi-scenario`.
fn scenario() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| {
        let s = prepare();
        // The Python module loads the library from its own directory, the JVM from
        // jna.library.path; UniFFI takes the library's name from the file name.
        let out = s.dir.join("bindings");
        std::fs::create_dir_all(&out).unwrap();
        let lib = out.join(cdylib_name());
        std::fs::copy(cdylib(), &lib).unwrap();
        uniffi::generate(uniffi::GenerateOptions {
            languages: vec![
                uniffi::TargetLanguage::Python,
                uniffi::TargetLanguage::Kotlin,
                uniffi::TargetLanguage::Swift,
            ],
            source: lib.try_into().unwrap(),
            out_dir: out.try_into().unwrap(),
            metadata_no_deps: true,
            ..Default::default()
        })
        .unwrap();
        s
    })
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed ({})", out.status);
}

fn found(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).output().is_ok_and(|o| o.status.success())
}

#[test]
fn python_scenario() {
    if !found("python3", "--version") {
        return skip("python3 not found");
    }
    let s = scenario();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenario/scenario.py");
    run(
        Command::new("python3").arg(script).arg(&s.props).env("PYTHONPATH", s.dir.join("bindings")),
        "the Python scenario",
    );
}

fn kotlinc() -> Option<PathBuf> {
    if let Some(k) = std::env::var_os("KOTLINC") {
        return Some(k.into());
    }
    if found("kotlinc", "-version") {
        return Some("kotlinc".into());
    }
    let root = Command::new("npm").args(["root", "-g"]).output().ok()?;
    let k = PathBuf::from(String::from_utf8_lossy(&root.stdout).trim()).join("kotlin-compiler/bin/kotlinc");
    k.is_file().then_some(k)
}

#[test]
fn kotlin_scenario() {
    let jna = std::env::var_os("JNA_JAR").map(PathBuf::from).unwrap_or_else(|| "/usr/share/java/jna.jar".into());
    let Some(kotlinc) = kotlinc() else {
        return skip("kotlinc not found (npm install -g kotlin-compiler)");
    };
    if !jna.is_file() || !found("java", "-version") {
        return skip("JNA or java not found (apt-get install libjna-java)");
    }
    let s = scenario();
    let jar = s.dir.join("scenario.jar");
    let generated = s.dir.join("bindings/uniffi/pelabel_ffi/pelabel_ffi.kt");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenario/Scenario.kt");
    run(
        Command::new(&kotlinc)
            .arg(&generated)
            .arg(&script)
            .arg("-classpath")
            .arg(&jna)
            .args(["-include-runtime", "-nowarn", "-d"])
            .arg(&jar),
        "kotlinc",
    );
    let classpath = std::env::join_paths([&jna, &jar]).unwrap();
    run(
        Command::new("java")
            .arg(format!("-Djna.library.path={}", s.dir.join("bindings").display()))
            .arg("-classpath")
            .arg(classpath)
            .arg("ScenarioKt")
            .arg(&s.props),
        "the Kotlin scenario",
    );
}

/// The Swift package ships the generated Swift; it must be what this UniFFI generates from this
/// library (no Swift compiler here, so this is the check that keeps it from drifting).
#[test]
fn committed_swift_is_current() {
    let s = scenario();
    let swift = Path::new(env!("CARGO_MANIFEST_DIR")).join("swift");
    for (generated, committed) in [
        ("pelabel_ffi.swift", "Sources/Pelabel/pelabel_ffi.swift"),
        // The header of the Linux C module (Package.swift); on Apple platforms the xcframework
        // carries its own copy, made by build-xcframework.sh.
        ("pelabel_ffiFFI.h", "Sources/pelabel_ffiFFI/pelabel_ffiFFI.h"),
    ] {
        let generated = std::fs::read_to_string(s.dir.join("bindings").join(generated)).unwrap();
        let committed_path = swift.join(committed);
        let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
        assert!(
            generated == committed,
            "{} is not what UniFFI generates from pelabel-ffi: run uniffi-bindings/generate.sh",
            committed_path.display()
        );
    }
}
