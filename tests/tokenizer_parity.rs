//! Tokenizer parity with the reference (`SimpleTokenizer`, `clean="lower"`).
//!
//! The eight fixture prompts cover plain text, upper case, a combining accent and an em dash,
//! emoji, curly quotes with `&amp;` and a ligature, whitespace with CJK, digits, and a caption
//! longer than the context. For each, the cleaned text, the untruncated BPE ids, the framed
//! `input_ids` and the EOT index must be equal, in `tiny` (context 16) and in the shared
//! `t16-384-l2` fixture (context 32), and so must the `input_ids` array the reference model
//! consumed (`expected.safetensors`).

use std::path::Path;

use pelabel::{ClipTokenizer, TokenizedText};
use pelabel_tests::{fixtures_dir, load_expected, load_expected_json, shared_fixtures_dir};

fn bundled() -> ClipTokenizer {
    ClipTokenizer::bundled().expect("bundled CLIP vocabulary")
}

fn ids_of(value: &serde_json::Value) -> Vec<u32> {
    value.as_array().expect("an array of ids").iter().map(|v| v.as_u64().expect("an id") as u32).collect()
}

/// Checks every prompt of `dir/expected.json` and `dir/expected.safetensors`; returns how many
/// prompts were compared.
fn check_fixture(tok: &ClipTokenizer, dir: &Path, context_length: usize) -> usize {
    let expected = load_expected_json(dir);
    let prompts = expected["prompts"].as_array().expect("prompts");
    assert_eq!(prompts.len(), 8, "{}: prompt count", dir.display());
    let arrays = load_expected(dir);
    let input_ids = &arrays["input_ids"];
    assert_eq!(input_ids.shape, [prompts.len(), context_length], "{}: input_ids shape", dir.display());

    let texts: Vec<&str> = prompts.iter().map(|p| p["text"].as_str().expect("text")).collect();
    let batch = tok.encode_batch(&texts, context_length).expect("encode_batch");
    for (i, (p, text)) in prompts.iter().zip(&texts).enumerate() {
        let what = format!("{} prompt {i} {text:?}", dir.display());
        assert_eq!(ClipTokenizer::clean(text), p["cleaned"].as_str().unwrap(), "{what}: cleaned");
        assert_eq!(tok.bpe_ids(text).unwrap(), ids_of(&p["bpe_ids_untruncated"]), "{what}: bpe ids");

        let t: &TokenizedText = &batch[i];
        assert_eq!(t, &tok.encode(text, context_length).unwrap(), "{what}: batch vs single");
        assert_eq!(t.ids, ids_of(&p["input_ids"]), "{what}: input_ids");
        assert_eq!(t.eot_index as u64, p["eot_index"].as_u64().unwrap(), "{what}: eot_index");
        assert_eq!(t.truncated, p["truncated"].as_bool().unwrap(), "{what}: truncated");
        let row = &input_ids.ints[i * context_length..(i + 1) * context_length];
        let ours: Vec<i64> = t.ids.iter().map(|&id| id as i64).collect();
        assert_eq!(ours, row, "{what}: expected.safetensors input_ids");
    }
    prompts.len()
}

#[test]
fn tiny_fixture_prompts_match_the_reference() {
    assert_eq!(check_fixture(&bundled(), &fixtures_dir().join("tiny"), 16), 8);
}

#[test]
fn t16_fixture_prompts_match_the_reference() {
    let Some(shared) = shared_fixtures_dir() else {
        return;
    };
    let dir = shared.join("t16-384-l2");
    if !dir.is_dir() {
        eprintln!("\n!! SKIPPED: {} not found; the t16-384-l2 tokenizer parity did NOT run.\n", dir.display());
        return;
    }
    assert_eq!(check_fixture(&bundled(), &dir, 32), 8);
}

#[test]
fn saved_tokenizer_json_encodes_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    let original = bundled();
    original.save(&path).unwrap();
    let loaded = ClipTokenizer::from_file(&path).unwrap();
    assert_eq!(loaded.fingerprint_bytes(), original.fingerprint_bytes());
    assert_eq!(check_fixture(&loaded, &fixtures_dir().join("tiny"), 16), 8);
}
