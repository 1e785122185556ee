//! HNSW graph bytes (`HnswIndex::from_bytes`), the graph section of a label pack.
//!
//! Input: the graph bytes without their trailing CRC-32, which the target appends, so every
//! input reaches the structural checks. The embedding matrix is generated to the `n` and `d` the
//! header claims when those are small (`n ≤ 4096`, `1 ≤ d ≤ 64`), else a fixed 16 × 8 one.
//!
//! Checks on an accepted graph: it re-encodes to exactly the input bytes (encoding is a pure
//! function of the graph), and searches return at most `k` distinct valid rows with finite scores.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pelabel::{HnswIndex, HnswOptions, LabelIndex};
use pelabel_fuzz::*;

limited_alloc!();

fn with_crc(body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    b.extend_from_slice(&crc32(body).to_le_bytes());
    b
}

/// CRC-32 (IEEE 802.3, as zlib), bitwise: the seeds and inputs are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn le_u32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

fn seeds(dir: &std::path::Path) {
    for (n, d, m) in [(40, 8, 4), (200, 4, 2), (1, 8, 4), (0, 8, 4), (64, 16, 8)] {
        let v = Rng(n as u64 + 1).unit_vectors(n, d);
        let idx = HnswIndex::build(v, d, &HnswOptions { m, ef_construction: 16, ef_search: 8, ..Default::default() })
            .unwrap();
        let bytes = idx.to_bytes();
        assert_eq!(with_crc(&bytes[..bytes.len() - 4]), bytes, "CRC-32 differs from the sdk's");
        seed(dir, &format!("n{n}-d{d}-m{m}"), &bytes[..bytes.len() - 4]);
    }
}

fuzz_target!(init: maybe_write_seeds("hnsw", seeds), |data: &[u8]| {
    let bytes = with_crc(data);
    let (n, d) = match (le_u32(data, 16), le_u32(data, 12)) {
        (Some(n), Some(d)) if n <= 4096 && (1..=64).contains(&d) => (n, d),
        _ => (16, 8),
    };
    let vectors = Rng(n as u64 + 1).unit_vectors(n, d);
    let Ok(idx) = HnswIndex::from_bytes(vectors, d, &bytes) else { return };
    trace(|| format!("graph accepted: n {n}, d {d}"));
    assert_eq!(idx.to_bytes(), bytes, "an accepted graph does not re-encode to its bytes");
    assert_eq!((idx.len(), idx.dim()), (n, d));
    for (i, q) in Rng(3).unit_vectors(3, d).chunks_exact(d).enumerate() {
        let k = [1, 5, 50][i];
        let hits = idx.search(q, k).expect("search with a unit query");
        assert!(hits.len() <= k.min(n));
        let mut rows: Vec<usize> = hits.iter().map(|h| h.index).collect();
        assert!(hits.iter().all(|h| h.index < n && h.score.is_finite()), "{hits:?}");
        rows.sort_unstable();
        rows.dedup();
        assert_eq!(rows.len(), hits.len(), "duplicate rows in {hits:?}");
    }
});
