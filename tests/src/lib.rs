//! Shared helpers of the end-to-end and parity tests: where the fixtures are and how to read
//! the reference arrays.
#![deny(missing_docs)]

pub mod synthetic;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Root of the repository (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The fixtures committed to the repository (`tests/fixtures/pe-core`): `tiny`, `tiny-nocls`,
/// `images`.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures/pe-core")
}

/// The shared fixture directory next to the checkout (`../shared/fixtures/pe-core`), or the
/// directory named by `PELABEL_SHARED_FIXTURES`. `None` (with a loud message on stderr) when it
/// does not exist.
pub fn shared_fixtures_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PELABEL_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/fixtures/pe-core"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !! SKIPPED: shared fixtures not found at {}\n\
             !! (set PELABEL_SHARED_FIXTURES). The t16-384-l2 parity check did NOT run.\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n",
            dir.display()
        );
        None
    }
}

/// A fixture config directory: committed ones first, then the shared ones.
pub fn fixture_config_dir(name: &str) -> Option<PathBuf> {
    let local = fixtures_dir().join(name);
    if local.is_dir() {
        return Some(local);
    }
    shared_fixtures_dir().map(|d| d.join(name)).filter(|d| d.is_dir())
}

/// One array of `expected.safetensors`, as f32 values (int64 arrays converted) with its shape.
#[derive(Debug, Clone)]
pub struct Array {
    /// Shape.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
    /// Row-major values as i64, for integer arrays (empty for float arrays).
    pub ints: Vec<i64>,
}

/// All arrays of `DIR/expected.safetensors`.
pub fn load_expected(dir: &Path) -> HashMap<String, Array> {
    let bytes = std::fs::read(dir.join("expected.safetensors")).expect("read expected.safetensors");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("parse expected.safetensors");
    let mut out = HashMap::new();
    for (name, view) in st.tensors() {
        let shape = view.shape().to_vec();
        let raw = view.data();
        let (data, ints) = match view.dtype() {
            safetensors::Dtype::F32 => {
                (raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(), Vec::new())
            }
            safetensors::Dtype::I64 => {
                let ints: Vec<i64> = raw.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect();
                (ints.iter().map(|&v| v as f32).collect(), ints)
            }
            other => panic!("unexpected dtype {other:?} for {name}"),
        };
        out.insert(name, Array { shape, data, ints });
    }
    out
}

/// `DIR/expected.json`, parsed.
pub fn load_expected_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("read expected.json");
    serde_json::from_str(&text).expect("parse expected.json")
}

/// Largest absolute difference between two equally long slices (panics on length mismatch).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    (dot / (na * nb)) as f32
}

/// The compute tiers the parity and demo-model tests run at: every tier this CPU can be lowered
/// to, or those of them named in `PELABEL_TEST_TIERS` (comma-separated) when it is set — the
/// aarch64 run under qemu, whose software floating point makes each tier cost minutes, takes
/// `neon` (the f32 code of `neon-dotprod` and `neon-i8mm` is `neon`'s).
pub fn test_tiers() -> Vec<pelabel::CpuTier> {
    let tiers = pelabel::Cpu::detect().tiers();
    match std::env::var("PELABEL_TEST_TIERS") {
        Ok(names) => {
            let wanted: Vec<pelabel::CpuTier> =
                names.split(',').map(|n| n.parse().expect("PELABEL_TEST_TIERS names tiers")).collect();
            tiers.into_iter().filter(|t| wanted.contains(t)).collect()
        }
        Err(_) => tiers,
    }
}
