//! Recall of the HNSW index against exact search on a 100k-label synthetic pack at d = 512.
//!
//! The issue asks for recall@10 >= 0.99; the test checks it with the default search beam
//! (`ef_search` 96) on a graph built with half the default build beam. The pack is drawn to
//! look like CLIP text embeddings: a shared direction (unrelated labels have cosine ~0.25),
//! 1000 topics, and within a topic a low-rank spread plus a little isotropic noise. Queries are
//! labels perturbed like an image of them would be, and fresh draws from the same topics.
//!
//! `random_unit_vectors_recall` (ignored: slow, and not what packs look like) reports the
//! recall on isotropic random unit vectors, the worst case for any graph index.

use std::time::Instant;

use pelabel::{ExactIndex, HnswIndex, HnswOptions, LabelIndex};

const D: usize = 512;
const N: usize = 100_000;
const QUERIES: usize = 240;
const K: usize = 10;

use pelabel_tests::synthetic::{clustered, normalize, Rng};

fn random_unit(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed);
    (0..n)
        .flat_map(|_| {
            let mut v = rng.direction(d);
            normalize(&mut v);
            v
        })
        .collect()
}

/// Exact top-k ids of every query.
fn truth(exact: &ExactIndex, queries: &[f32]) -> Vec<Vec<usize>> {
    queries.chunks_exact(D).map(|q| exact.search(q, K).unwrap().iter().map(|h| h.index).collect()).collect()
}

/// Mean recall@k of `index` against `truth`, for the perturbed (even) and fresh (odd) queries
/// separately.
fn recall(index: &HnswIndex, truth: &[Vec<usize>], queries: &[f32]) -> (f64, f64) {
    let mut found = [0usize; 2];
    let mut asked = [0usize; 2];
    for (i, q) in queries.chunks_exact(D).enumerate() {
        let got = index.search(q, K).unwrap();
        assert_eq!(got.len(), K);
        found[i % 2] += got.iter().filter(|h| truth[i].contains(&h.index)).count();
        asked[i % 2] += K;
    }
    (found[0] as f64 / asked[0] as f64, found[1] as f64 / asked[1] as f64)
}

#[test]
fn hnsw_recall_at_10_on_100k_labels() {
    let t = Instant::now();
    let (labels, queries) = clustered(N, QUERIES, D, 2024);
    let exact = ExactIndex::new(labels.clone(), D).unwrap();
    let gen_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    // The default graph is built with ef_construction 128; the test builds a cheaper one (half
    // the build time in the unoptimised test profile) and checks that even it reaches the bar
    // with the default search beam. A wider build beam only improves the graph.
    let opts = HnswOptions { ef_construction: 64, ..HnswOptions::default() };
    let index = HnswIndex::build(labels, D, &opts).unwrap();
    let build_s = t.elapsed().as_secs_f64();
    let bytes = index.to_bytes();
    let t = Instant::now();
    let index = HnswIndex::from_bytes(index.into_vectors(), D, &bytes).unwrap();
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let truth = truth(&exact, &queries);
    let exact_s = t.elapsed().as_secs_f64();
    let (perturbed, fresh) = recall(&index, &truth, &queries);
    let overall = (perturbed + fresh) / 2.0;
    eprintln!(
        "100k x {D}, {opts:?}: recall@10 {overall:.4} (perturbed labels {perturbed:.4}, fresh draws {fresh:.4}); \
         data {gen_s:.1}s, build {build_s:.1}s, graph {} bytes, load {load_ms:.1}ms, exact truth for {QUERIES} queries {exact_s:.1}s",
        bytes.len(),
    );
    // How recall falls with a narrower beam (reported, not asserted).
    let mut index = index;
    for ef in [16, 32, 64] {
        index.set_ef_search(ef);
        let (a, b) = recall(&index, &truth, &queries);
        eprintln!("  ef_search {ef}: recall@10 {:.4}", (a + b) / 2.0);
    }
    assert!(overall >= 0.99, "recall@10 = {overall:.4} < 0.99");
    assert!(perturbed >= 0.98 && fresh >= 0.98, "recall@10 perturbed {perturbed:.4}, fresh {fresh:.4}");
}

#[test]
#[ignore = "slow (100k random vectors); run with --ignored to report the worst case"]
fn random_unit_vectors_recall() {
    let labels = random_unit(N, D, 7);
    let queries = random_unit(QUERIES, D, 8);
    let exact = ExactIndex::new(labels.clone(), D).unwrap();
    let truth = truth(&exact, &queries);
    let t = Instant::now();
    let mut index = HnswIndex::build(labels, D, &HnswOptions::default()).unwrap();
    eprintln!("random 100k x {D}: build {:.1}s", t.elapsed().as_secs_f64());
    for ef in [96, 256, 1024, 4096] {
        index.set_ef_search(ef);
        let t = Instant::now();
        let (a, b) = recall(&index, &truth, &queries);
        eprintln!(
            "random 100k x {D}: ef_search {ef}: recall@10 {:.4} ({:.1}s)",
            (a + b) / 2.0,
            t.elapsed().as_secs_f64()
        );
    }
}
