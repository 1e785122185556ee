//! Helpers shared by the measuring examples (`session`, `tower_bench`) and the `model` bench
//! (included there with `#[path]`): resident memory, and a label pack of random unit embeddings.
#![allow(dead_code)] // each includer uses a subset

use pelabel::{IndexOptions, LabelPack, PackLabel, PackLabelSet, PackMeta};

/// `VmRSS` / `VmHWM` of this process in MiB (Linux; 0 elsewhere).
pub fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Deterministic xorshift values in [-0.5, 0.5).
pub fn random_values(seed: &mut u64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

/// The bytes of an f16 pack of `n` labels with random embeddings of `dim`, made for the model
/// with `fingerprint` (the pack normalises the embeddings).
pub fn random_pack_bytes(
    n: usize,
    dim: usize,
    fingerprint: &str,
    created_by: &str,
    seed: &mut u64,
) -> pelabel::Result<Vec<u8>> {
    let embeddings = random_values(seed, n * dim);
    let meta = PackMeta {
        model_fingerprint: fingerprint.into(),
        label_set: PackLabelSet { name: "random".into(), version: "1.0.0".into(), description: None },
        created_unix_s: 0,
        created_by: created_by.into(),
        dim,
        embedding_dtype: pelabel::EmbeddingDType::F16,
        logit_scale: None,
        labels: (0..n)
            .map(|i| PackLabel {
                id: format!("l{i}"),
                name: format!("label {i}"),
                parent: None,
                min_score: None,
                synonyms: vec![],
                prompts: vec![],
                calibration: None,
            })
            .collect(),
    };
    LabelPack::new(meta, embeddings, &IndexOptions::default())?.to_bytes(&Default::default())
}
