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
