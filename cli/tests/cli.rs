//! The `pelabel` binary as a user runs it: JSON-lines output, exit codes, errors on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/pe-core")
}

fn pelabel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pelabel")).args(args).current_dir(repo()).output().unwrap()
}

fn stdout_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Rows of a float32 array in `expected.safetensors`.
fn expected_rows(dir: &Path, name: &str) -> Vec<Vec<f32>> {
    let bytes = std::fs::read(dir.join("expected.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let view = st.tensor(name).unwrap();
    let cols = view.shape()[1];
    let v: Vec<f32> = view.data().chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    v.chunks(cols).map(<[f32]>::to_vec).collect()
}

fn as_f32s(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

#[test]
fn embed_image_prints_reference_embeddings() {
    let tiny = fixtures().join("tiny");
    let img0 = fixtures().join("images/img0_gradient_shapes_500x375.png");
    let img3 = fixtures().join("images/img3_gray_checker_120x90.png");
    let out =
        pelabel(&["embed-image", "--model", tiny.to_str().unwrap(), img0.to_str().unwrap(), img3.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 2);
    let want = expected_rows(&tiny, "image_embeds");
    for (line, row) in lines.iter().zip([0, 3]) {
        let got = as_f32s(&line["embedding"]);
        let d = got.iter().zip(&want[row]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(d < 1e-4, "row {row}: {d}");
    }
    assert_eq!(lines[0]["input"], img0.to_str().unwrap());

    let out = pelabel(&["embed-image", "--normalize", "--model", tiny.to_str().unwrap(), img0.to_str().unwrap()]);
    let got = as_f32s(&stdout_lines(&out)[0]["embedding"]);
    let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "{norm}");
}

#[test]
fn embed_text_prints_reference_embeddings() {
    let tiny = fixtures().join("tiny");
    let out = pelabel(&["embed-text", "--model", tiny.to_str().unwrap(), "a photo of a cat.", "A PHOTO OF A DOG!!!"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout_lines(&out);
    let want = expected_rows(&tiny, "text_embeds");
    for (i, line) in lines.iter().enumerate() {
        let got = as_f32s(&line["embedding"]);
        let d = got.iter().zip(&want[i]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(d < 1e-4, "prompt {i}: {d}");
    }
    assert_eq!(lines[1]["input"], "A PHOTO OF A DOG!!!");
}

#[test]
fn split_then_embed_from_the_halves() {
    let tmp = tempfile::tempdir().unwrap();
    let tiny = fixtures().join("tiny");
    let out =
        pelabel(&["split", tiny.to_str().unwrap(), "--out", tmp.path().to_str().unwrap(), "--dtype", "f32", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = &stdout_lines(&out)[0];
    assert_eq!(report["files"].as_array().unwrap().len(), 4);
    assert_eq!(report["fingerprint"].as_str().unwrap().len(), 64);
    let out = pelabel(&["split", tiny.to_str().unwrap(), "--out", tmp.path().join("h").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("image-tower.safetensors") && text.contains("KiB"), "{text}");

    let img = fixtures().join("images/img1_noise_300x300.png");
    let a = pelabel(&["embed-image", "--model", tmp.path().to_str().unwrap(), img.to_str().unwrap()]);
    let b = pelabel(&["embed-image", "--model", tiny.to_str().unwrap(), img.to_str().unwrap()]);
    assert!(a.status.success());
    assert_eq!(stdout_lines(&a)[0]["embedding"], stdout_lines(&b)[0]["embedding"]);
}

#[test]
fn classify_ranks_prompts() {
    let tiny = fixtures().join("tiny");
    let img = fixtures().join("images/img0_gradient_shapes_500x375.png");
    let out = pelabel(&[
        "classify",
        "--json",
        "--top-k",
        "2",
        "--model",
        tiny.to_str().unwrap(),
        "-t",
        "a photo of a cat.",
        "-t",
        "A PHOTO OF A DOG!!!",
        "-t",
        "Pi is 3.14159, not 42%",
        img.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = &stdout_lines(&out)[0];
    let labels = line["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 2);
    let p0 = labels[0]["probability"].as_f64().unwrap();
    assert!(p0 >= labels[1]["probability"].as_f64().unwrap());
    assert!(p0 > 0.0 && p0 <= 1.0);
}

#[test]
fn errors_exit_nonzero_with_a_message() {
    let tiny = fixtures().join("tiny");
    // Unreadable image: exit 1, the good image is still printed.
    let good = fixtures().join("images/img1_noise_300x300.png");
    let out = pelabel(&["embed-image", "--model", tiny.to_str().unwrap(), "/nonexistent.png", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_lines(&out).len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.png"));
    // Not an image.
    let out = pelabel(&["embed-image", "--model", tiny.to_str().unwrap(), tiny.join("config.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    // Bad model path.
    let out = pelabel(&["embed-text", "--model", "/nonexistent-model", "hi"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonexistent-model"));
    // Text tower requested from a vision-only model.
    let out = pelabel(&["embed-text", "--model", fixtures().join("tiny-nocls").to_str().unwrap(), "hi"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("text"));
    // Usage errors exit 2.
    assert_eq!(pelabel(&["embed-image"]).status.code(), Some(2));
    assert_eq!(pelabel(&["split", "x", "--out", "y", "--dtype", "f8"]).status.code(), Some(2));
    assert!(pelabel(&["--help"]).status.success());
}

#[test]
fn compile_inspect_diff_and_signed_updates() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let tiny = fixtures().join("tiny");
    let tiny = tiny.to_str().unwrap();
    let set_v1 = t("pets.toml");
    std::fs::write(
        &set_v1,
        "name = \"pets\"\nversion = \"1.0.0\"\n[[labels]]\nid = \"cat\"\nname = \"cat\"\n[[labels]]\nid = \"dog\"\nname = \"dog\"\n",
    )
    .unwrap();
    let set_v2 = t("pets2.toml");
    std::fs::write(
        &set_v2,
        "name = \"pets\"\nversion = \"1.1.0\"\n[[labels]]\nid = \"cat\"\nname = \"house cat\"\n[[labels]]\nid = \"bird\"\nname = \"bird\"\n",
    )
    .unwrap();
    let cache = t("cache.redb");

    // keygen, then a signed compile.
    let key = t("keys/release.key");
    let out = pelabel(&["keygen", &key]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(Path::new(&format!("{key}.pub")).exists());
    assert_eq!(pelabel(&["keygen", &key]).status.code(), Some(1), "refuses to overwrite");

    let v1 = t("v1.pack");
    let out = pelabel(&["compile", &set_v1, "--model", tiny, "-o", &v1, "--cache", &cache, "--sign", &key, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = &stdout_lines(&out)[0];
    assert_eq!(summary["signed"], true);
    assert_eq!(summary["report"]["embedded"], 2);
    let out = pelabel(&["compile", &set_v2, "--model", tiny, "-o", &t("v2.pack"), "--cache", &cache, "--json"]);
    let summary = &stdout_lines(&out)[0];
    assert_eq!(summary["report"]["cache_hits"], 0, "house cat and bird are new prompts");
    assert_eq!(summary["report"]["embedded"], 2);

    // inspect: integrity and signature.
    let public = format!("{key}.pub");
    let out = pelabel(&["inspect", &v1, "--public-key", &public, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info = &stdout_lines(&out)[0];
    assert_eq!(info["signature"], "verified");
    assert_eq!(info["meta"]["labels"].as_array().unwrap().len(), 2);
    let out = pelabel(&["inspect", &v1]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("checksum ok"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT verified"));
    // Without a key, a signature is reported as present but unchecked, never as verified.
    let out = pelabel(&["inspect", &v1, "--json"]);
    assert_eq!(stdout_lines(&out)[0]["signature"], "unchecked");
    // A weak (small-order) public key, such as a placeholder of zeros, is refused.
    std::fs::write(t("zeros.pub"), format!("{}\n", "0".repeat(64))).unwrap();
    let out = pelabel(&["inspect", &v1, "--public-key", &t("zeros.pub")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("weak"), "{}", String::from_utf8_lossy(&out.stderr));
    // The unsigned v2 is refused by a key-configured loader.
    let out = pelabel(&["inspect", &t("v2.pack"), "--public-key", &public]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed"));
    // A tampered pack is refused.
    let mut bytes = std::fs::read(&v1).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(t("tampered.pack"), bytes).unwrap();
    let out = pelabel(&["inspect", &t("tampered.pack")]);
    assert_eq!(out.status.code(), Some(1));

    // diff: renamed cat, removed dog, added bird, re-embedded cat.
    let out = pelabel(&["diff", &v1, &t("v2.pack"), "--json"]);
    assert!(out.status.success());
    let d = &stdout_lines(&out)[0];
    assert_eq!(d["added"], serde_json::json!(["bird"]));
    assert_eq!(d["removed"], serde_json::json!(["dog"]));
    assert_eq!(d["renamed"][0][0], "cat");
    assert_eq!(d["reembedded"][0][0], "cat");

    // cache stats and clear.
    let out = pelabel(&["cache", "stats", "--cache", &cache, "--json"]);
    assert_eq!(stdout_lines(&out)[0]["entries"], 4);
    let out = pelabel(&["cache", "clear", "--cache", &cache, "--model", tiny, "--json"]);
    assert_eq!(stdout_lines(&out)[0]["removed"], 4);

    // A broken label set is reported with file, line and column.
    std::fs::write(t("bad.toml"), "name = \"x\"\nversion = \"1.0.0\"\n[[labels]]\nid = \"a\"\nnmae = \"a\"\n").unwrap();
    let out = pelabel(&["compile", &t("bad.toml"), "--model", tiny, "-o", &t("bad.pack"), "--no-cache"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:5:"), "{err}");
    assert!(!Path::new(&t("bad.pack")).exists());
}

#[test]
fn label_and_live_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let tiny = fixtures().join("tiny");
    let tiny = tiny.to_str().unwrap();
    let pack = t("coco.pack");
    let out = pelabel(&["compile", "label-sets/coco-80.toml", "--model", tiny, "-o", &pack, "--no-cache"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let images = fixtures().join("images");

    // label: a directory, JSON lines, one per image, top-k labels best first.
    let out = pelabel(&["label", "--model", tiny, "--pack", &pack, "--top-k", "3", "--json", images.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 4);
    for line in &lines {
        assert_eq!(line["result"]["outcome"], "recognised");
        let labels = line["result"]["labels"].as_array().unwrap();
        assert_eq!(labels.len(), 3);
        assert!(labels[0]["score"].as_f64() >= labels[1]["score"].as_f64());
    }
    // The table form, and a threshold nothing passes.
    let out = pelabel(&["label", "--model", tiny, "--pack", &pack, "--min-score", "0.99", images.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing recognised"));
    // A pack for another model is refused.
    let other = t("other.pack");
    let split_dir = t("split");
    pelabel(&["split", tiny, "--out", &split_dir, "--dtype", "f16"]);
    let out = pelabel(&["label", "--model", &split_dir, "--pack", &pack, images.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "a split of the same checkpoint keeps the fingerprint: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&other, b"not a pack").unwrap();
    let out = pelabel(&["label", "--model", tiny, "--pack", &other, images.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad magic"));

    // live: replay a frame directory as fast as possible; results and statistics as JSON.
    let frames = tmp.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    for i in 0..12 {
        let src = std::fs::read_dir(&images)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .nth(i % 4)
            .unwrap();
        std::fs::copy(src, frames.join(format!("frame{i:03}.png"))).unwrap();
    }
    let out = pelabel(&[
        "live",
        "--model",
        tiny,
        "--pack",
        &pack,
        "--fps",
        "0",
        "--enter-score=-1",
        "--json",
        frames.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout_lines(&out);
    let stats = &lines.last().unwrap()["stats"];
    assert_eq!(stats["frames_in"], 12);
    assert_eq!(stats["labelled"].as_u64().unwrap() + stats["dropped"].as_u64().unwrap(), 12, "{stats}");
    let results = &lines[..lines.len() - 1];
    assert_eq!(results.len() as u64, stats["labelled"].as_u64().unwrap());
    assert_eq!(
        results.last().unwrap()["timestamp_ms"],
        (11.0f64 * 1000.0 / 30.0) as u64,
        "the last frame is always labelled"
    );
    assert!(results.iter().all(|r| !r["labels"].as_array().unwrap().is_empty()));
    // An empty frame directory is an error.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = pelabel(&["live", "--model", tiny, "--pack", &pack, empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

fn pelabel_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pelabel"));
    cmd.args(args).current_dir(repo()).env_remove("PELABEL_MODEL").env_remove("PELABEL_DEMO_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The README's first command: no --model and no --pack label the bundled example images with the
/// bundled demo model and its pack, and every top label is the one in the file's name.
#[test]
fn default_model_labels_the_bundled_examples_correctly() {
    let out = pelabel_env(&["label", "--json", "--top-k", "3", "models/demo/examples"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 8, "one line per example image");
    for line in &lines {
        let file = Path::new(line["input"].as_str().unwrap());
        let want = file.file_stem().unwrap().to_str().unwrap().replace('-', " ");
        assert_eq!(line["result"]["labels"][0]["name"], want.as_str(), "{}", file.display());
    }
    // classify uses the same default model.
    let out = pelabel_env(
        &[
            "classify",
            "--json",
            "-t",
            "a photo of a yellow star.",
            "-t",
            "a photo of a blue circle.",
            "models/demo/examples/yellow-star.png",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("yellow star"));
}

/// `--precision int8` labels the examples like f32 (or falls back to f32 with a note); an unknown
/// precision is a usage error.
#[test]
fn precision_option() {
    let f32_out = pelabel_env(&["label", "--json", "--top-k", "1", "models/demo/examples"], &[]);
    let int8_out =
        pelabel_env(&["label", "--json", "--top-k", "1", "--precision", "int8", "models/demo/examples"], &[]);
    assert!(int8_out.status.success(), "{}", String::from_utf8_lossy(&int8_out.stderr));
    let (a, b) = (stdout_lines(&f32_out), stdout_lines(&int8_out));
    assert_eq!(a.len(), 8);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["result"]["labels"][0]["name"], y["result"]["labels"][0]["name"], "{}", x["input"]);
    }
    let bad = pelabel_env(&["label", "--precision", "int4", "models/demo/examples"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("unknown precision"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn default_model_choice_and_its_errors() {
    let tiny = fixtures().join("tiny");
    let tiny = tiny.to_str().unwrap();
    let images = fixtures().join("images");
    // Another model has no default pack: a usage error (exit 2) that says what to pass.
    let out = pelabel_env(&["label", "--model", tiny, images.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pack is required"));
    // PELABEL_MODEL replaces the default model (and so needs --pack too).
    let out = pelabel_env(&["label", images.to_str().unwrap()], &[("PELABEL_MODEL", tiny)]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = pelabel_env(&["embed-text", "hello"], &[("PELABEL_MODEL", tiny)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout_lines(&out)[0]["embedding"].as_array().unwrap().len(), 32, "the tiny model's embedding");
    // A missing bundled model is a runtime error naming where it looked.
    let out = pelabel_env(&["embed-text", "hello"], &[("PELABEL_DEMO_DIR", "/nonexistent-demo")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent-demo"));
}

/// Finding 6 of issue 9: `--threads` was passed on unbounded; above the cap it is an error
/// naming the option and the limit, before the model is loaded.
#[test]
fn threads_above_the_cap_are_refused() {
    let out = pelabel_env(&["label", "--threads", "100000", "models/demo/examples"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("threads") && stderr.contains("100000") && stderr.contains("256"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// A sample of the demo test set as a CSV dataset (absolute image paths), every `step`-th image
/// from `first`.
fn demo_sample(dir: &Path, name: &str, first: usize, step: usize) -> (PathBuf, Vec<(String, String)>) {
    let testset = repo().join("models/demo/testset");
    let text = std::fs::read_to_string(testset.join("labels.csv")).unwrap();
    let rows: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .skip(first)
        .step_by(step)
        .map(|l| {
            let (img, label) = l.split_once(',').unwrap();
            (testset.join(img).display().to_string(), label.to_string())
        })
        .collect();
    let mut csv = String::from("image,labels\n");
    for (img, label) in &rows {
        csv.push_str(&format!("{img},{label}\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    (path, rows)
}

/// `pelabel eval`, `--compare`, `--html` and `pelabel calibrate` on the demo model and test set,
/// cross-checked against `pelabel label` and `pelabel diff`; bad input gives typed errors.
#[test]
fn eval_compare_and_calibrate_on_the_demo_test_set() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, rows) = demo_sample(tmp.path(), "a.csv", 0, 8);
    let (b, _) = demo_sample(tmp.path(), "b.csv", 4, 8);
    let s = |p: &Path| p.display().to_string();
    let html = tmp.path().join("report.html");
    let out = pelabel_env(&["eval", "--json", "--html", &s(&html), &s(&a)], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["images"], rows.len());
    assert_eq!(report["pack"]["name"], "demo-shapes");
    // Top-1 accuracy is what `pelabel label --top-k 1` gets right on the same images.
    let images: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let mut args = vec!["label", "--json", "--top-k", "1"];
    args.extend(&images);
    let labels = pelabel_env(&args, &[]);
    let right = stdout_lines(&labels)
        .iter()
        .zip(&rows)
        .filter(|(line, row)| line["result"]["labels"][0]["id"] == row.1.as_str())
        .count();
    let top1 = report["top1_accuracy"].as_f64().unwrap();
    assert!((top1 - right as f64 / rows.len() as f64).abs() < 1e-12, "{top1} vs {right}/{}", rows.len());
    assert!(top1 > 0.6, "the demo model gets about 83% of its test set: {top1}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.matches("<svg").count() == 3);

    // Calibrate on sample A: a new pack version (and label set) with a threshold for every label.
    let (pack, set) = (tmp.path().join("cal.pelpack"), tmp.path().join("cal.toml"));
    let out = pelabel_env(
        &[
            "calibrate",
            "--json",
            "--target-precision",
            "0.95",
            "--sigmoid",
            "--min-support",
            "2",
            "-o",
            &s(&pack),
            "--label-set",
            "label-sets/demo-shapes.toml",
            "--label-set-out",
            &s(&set),
            &s(&a),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cal: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cal["version"], "1.0.1");
    let labels = cal["calibration"]["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 64);
    assert!(labels.iter().all(|l| l["min_score"].is_f64() && l["calibration"]["slope"].as_f64().unwrap() > 0.0));
    // pelabel diff shows the new version and the settings of every label; embeddings unchanged.
    let diff = pelabel_env(&["diff", "--json", "models/demo/demo-shapes.pelpack", &s(&pack)], &[]);
    let diff: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    assert!(diff["header"].as_array().unwrap().iter().any(|h| h[0] == "label_set.version" && h[2] == "1.0.1"));
    assert_eq!(diff["changed"].as_array().unwrap().len(), 64);
    assert!(diff["changed"][0][1].as_array().unwrap().iter().any(|f| f == "calibration"));
    assert!(diff["reembedded"].as_array().unwrap().is_empty());
    // The calibrated label set compiles to a pack with the same settings.
    let recompiled = tmp.path().join("recompiled.pelpack");
    let out = pelabel_env(&["compile", &s(&set), "--no-cache", "-o", &s(&recompiled)], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let inspect = |p: &Path| -> serde_json::Value {
        serde_json::from_slice(&pelabel_env(&["inspect", "--json", &s(p)], &[]).stdout).unwrap()
    };
    let (x, y) = (inspect(&pack), inspect(&recompiled));
    for (l, m) in x["meta"]["labels"].as_array().unwrap().iter().zip(y["meta"]["labels"].as_array().unwrap()) {
        assert_eq!((&l["min_score"], &l["calibration"]), (&m["min_score"], &m["calibration"]), "{}", l["id"]);
    }
    assert_eq!(y["meta"]["label_set"]["version"], "1.0.1");
    // The labeler reports calibrated probabilities with the new pack.
    let out = pelabel_env(&["label", "--json", "--pack", &s(&pack), "models/demo/examples"], &[]);
    for line in stdout_lines(&out) {
        let r = &line["result"];
        let best = if r["outcome"] == "recognised" { &r["labels"][0] } else { &r["best"] };
        assert_eq!(best["calibrated"], true, "{line}");
    }

    // Compare the packs on sample B, which calibration never saw.
    let out = pelabel_env(
        &["eval", "--json", "--pack", &s(&pack), "--compare", "models/demo/demo-shapes.pelpack", &s(&b)],
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cmp: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (cmp["old"]["pack"]["version"].as_str(), cmp["new"]["pack"]["version"].as_str()),
        (Some("1.0.0"), Some("1.0.1"))
    );
    // Same embeddings: the same best label everywhere, only what passes the thresholds differs.
    assert_eq!((cmp["fixed_images"].as_u64(), cmp["broken_images"].as_u64()), (Some(0), Some(0)));
    assert_eq!(cmp["old"]["top1_accuracy"], cmp["new"]["top1_accuracy"]);
    assert!(cmp["new"]["nothing_recognised"].as_u64().unwrap() > 0, "thresholds now hold some images back");
    let human =
        pelabel_env(&["eval", "--pack", &s(&pack), "--compare", "models/demo/demo-shapes.pelpack", &s(&b)], &[]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("compared with demo-shapes 1.0.0") && text.contains("F1 per label"), "{text}");

    // Bad input: typed errors, exit codes 1 (runtime) and 2 (usage).
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "image,labels\nx.png,a\n,b\n").unwrap();
    let out = pelabel_env(&["eval", &s(&bad)], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.csv:3: empty image path"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = tmp.path().join("missing.csv");
    std::fs::write(&missing, format!("image,labels\n{},red_circle\nnope.png,red_circle\n", images[0])).unwrap();
    let out = pelabel_env(&["eval", "--json", &s(&missing)], &[]);
    assert_eq!(out.status.code(), Some(1), "an image failed");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failed"].as_array().unwrap().len(), 1, "the report is written anyway");
    let out = pelabel_env(&["calibrate", "-o", &s(&tmp.path().join("x.pelpack")), &s(&a)], &[]);
    assert_eq!(out.status.code(), Some(2), "no target");
    let out =
        pelabel_env(&["calibrate", "--target-precision", "1.5", "-o", &s(&tmp.path().join("x.pelpack")), &s(&a)], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in (0, 1]"));
    assert!(!tmp.path().join("x.pelpack").exists());
}
