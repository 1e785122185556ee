//! Why the index does not use the `hnsw_rs` crate (0.3.5, default features) for packs: each
//! reported sharp edge, pinned down as a test that fails if `hnsw_rs` fixes it.
//!
//! The third edge — a reloaded index borrows its loader — is a compile-time fact; the
//! `compile_fail` doctest on [`super::hnsw_rs_loader_borrow`] shows it.

use std::panic::{catch_unwind, AssertUnwindSafe};

use hnsw_rs::prelude::*;

use super::testutil::*;

/// A unit vector whose self dot product, summed left to right in f32 as `hnsw_rs`'s scalar
/// `DistDot` does, rounds above 1.
fn vector_with_dot_above_one(d: usize) -> Vec<f32> {
    for seed in 0..10_000 {
        let v = unit_vectors(1, d, seed);
        if v.iter().fold(0f32, |acc, x| acc + x * x) > 1.0 {
            return v;
        }
    }
    panic!("no vector found");
}

/// `1 - dot` without the clamp: what a user writes for normalised vectors.
#[derive(Default, Clone, Copy)]
struct RawDot;
impl Distance<f32> for RawDot {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        1.0 - a.iter().zip(b).fold(0f32, |acc, (x, y)| acc + x * y)
    }
}

#[test]
fn dist_dot_panics_on_normalised_vectors_without_simd_feature() {
    let v = vector_with_dot_above_one(512);
    // Default features (neither `simdeez_f` nor `stdsimd`): the scalar path asserts
    // `1 - dot >= 0`, which rounding breaks for about half of all unit vectors.
    assert!(catch_unwind(|| DistDot.eval(&v, &v)).is_err(), "DistDot no longer panics on 1 - dot < 0");
    // DistCosine sums in f64, tolerates -2e-5 and clamps at 0: usable, at three products per
    // component.
    assert_eq!(DistCosine.eval(&v, &v), 0.0);
}

#[test]
fn hnsw_rs_search_panics_on_negative_distances() {
    // Even with a distance that does not assert, hnsw_rs's own search asserts distances >= 0:
    // an unclamped `1 - dot` panics as soon as a query meets its own vector.
    let v = vector_with_dot_above_one(64);
    let hnsw: Hnsw<f32, RawDot> = Hnsw::new(16, 10, 16, 32, RawDot);
    hnsw.insert((&v, 0));
    assert!(RawDot.eval(&v, &v) < 0.0);
    let r = catch_unwind(AssertUnwindSafe(|| hnsw.search(&v, 1, 16)));
    assert!(r.is_err(), "hnsw_rs accepted a negative distance");
    // A NaN query does not panic with DistCosine, and is no error either: the f64 sums are
    // NaN, `NaN > 0` is false, so every distance is 0 and the "hits" are arbitrary labels.
    let hnsw: Hnsw<f32, DistCosine> = Hnsw::new(16, 10, 16, 32, DistCosine);
    for i in 0..3 {
        hnsw.insert((&unit_vectors(1, 64, i), i as usize));
    }
    let mut q = v.clone();
    q[0] = f32::NAN;
    let hits = hnsw.search(&q, 2, 16);
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h.distance == 0.0), "{hits:?}");
}

#[test]
fn file_dump_needs_16_layers_and_writes_two_files() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (200, 16);
    let data = unit_vectors(n, d, 3);
    let build = |max_layer: usize| {
        let h: Hnsw<f32, DistCosine> = Hnsw::new(8, n, max_layer, 32, DistCosine);
        for (i, r) in data.chunks_exact(d).enumerate() {
            h.insert((r, i));
        }
        h
    };
    assert!(build(8).file_dump(dir.path(), "eight").is_err(), "file_dump accepted max_layer != 16");
    build(16).file_dump(dir.path(), "sixteen").unwrap();
    // Output is a pair of files named from a directory and a basename: no Write or Vec<u8>
    // target exists (DumpInit's only constructor opens files), so a single-file pack would have
    // to round-trip through temporary files. The data file repeats every vector (the pack
    // already holds them), in native endianness.
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert!(
        names.contains(&"sixteen.hnsw.data".to_string()) && names.contains(&"sixteen.hnsw.graph".to_string()),
        "{names:?}"
    );
    let data_len = std::fs::metadata(dir.path().join("sixteen.hnsw.data")).unwrap().len() as usize;
    assert!(data_len >= n * d * 4, "the data file should hold every vector: {data_len} bytes");
}

#[test]
fn reload_of_a_corrupt_dump_panics() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (100, 8);
    let h: Hnsw<f32, DistCosine> = Hnsw::new(8, n, 16, 32, DistCosine);
    for (i, r) in unit_vectors(n, d, 4).chunks_exact(d).enumerate() {
        h.insert((r, i));
    }
    h.file_dump(dir.path(), "dump").unwrap();
    // Intact, it reloads.
    let mut io = HnswIo::new(dir.path(), "dump");
    let back: Hnsw<f32, DistCosine> = io.load_hnsw().unwrap();
    assert_eq!(back.get_nb_point(), n);
    // One flipped bit in the data file's magic: `assert_eq!` panic instead of an error. (Other
    // corruptions reach `std::process::exit(1)` in `load_point`, which no test can catch.)
    let path = dir.path().join("dump.hnsw.data");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut io = HnswIo::new(dir.path(), "dump");
        io.load_hnsw::<f32, DistCosine>().map(|h| h.get_nb_point())
    }));
    assert!(r.is_err(), "hnsw_rs now rejects a corrupt dump without panicking: {r:?}");
}
