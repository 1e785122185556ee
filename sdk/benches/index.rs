//! Label search latency: exact vs HNSW top-10 at d = 512, and loading a 20k-label graph.
//!
//! `cargo bench -p pelabel --bench index` (add `-- --quick` for a short run). The labels are
//! the clustered, CLIP-text-like synthetic set of `tests/index_recall.rs`. HNSW graphs use the
//! default `HnswOptions` (recall@10 >= 0.99 at 100k in that test); they are built once and
//! cached under `target/pelabel-bench/` (keyed by a checksum of the data), which bounds the
//! setup of later runs to a load. The sizes between 1k and 20k locate the exact/HNSW
//! crossover that sets `HNSW_MIN_LABELS`.

use std::path::PathBuf;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use pelabel::{ExactIndex, HnswIndex, HnswOptions, LabelIndex};

const D: usize = 512;
const K: usize = 10;
const SIZES: [usize; 6] = [1_000, 2_000, 5_000, 10_000, 20_000, 100_000];

#[path = "../../tests/src/synthetic.rs"]
mod synthetic;
use synthetic::clustered;

fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    target.join("pelabel-bench")
}

/// Build the HNSW index of `labels`, or load it from the bench cache.
fn hnsw(labels: &[f32], opts: &HnswOptions) -> HnswIndex {
    let bytes: Vec<u8> = labels.iter().flat_map(|x| x.to_le_bytes()).collect();
    let key = format!("{:08x}-{}-{}-{}", crc32fast::hash(&bytes), labels.len() / D, opts.m, opts.ef_construction);
    let path = cache_dir().join(format!("hnsw-{key}.bin"));
    if let Ok(graph) = std::fs::read(&path) {
        if let Ok(index) = HnswIndex::from_bytes(labels.to_vec(), D, &graph) {
            return index;
        }
    }
    let t = Instant::now();
    let index = HnswIndex::build(labels.to_vec(), D, opts).expect("build");
    eprintln!("built HNSW over {} labels in {:.1}s", labels.len() / D, t.elapsed().as_secs_f64());
    let _ = std::fs::create_dir_all(cache_dir());
    let _ = std::fs::write(&path, index.to_bytes());
    index
}

fn search(c: &mut Criterion) {
    let max = *SIZES.iter().max().unwrap();
    let (all, queries) = clustered(max, 64, D, 2024);
    let opts = HnswOptions::default();
    let mut group = c.benchmark_group("search_top10");
    for &n in &SIZES {
        let labels = &all[..n * D];
        let exact = ExactIndex::new(labels.to_vec(), D).unwrap();
        let graph = hnsw(labels, &opts);
        let mut qs = queries.chunks_exact(D).cycle();
        group.bench_function(BenchmarkId::new("exact", n), |b| b.iter(|| exact.search(qs.next().unwrap(), K).unwrap()));
        group.bench_function(BenchmarkId::new("hnsw", n), |b| b.iter(|| graph.search(qs.next().unwrap(), K).unwrap()));
        if n == max {
            // Is the parallel scan worth it? The same search on one thread.
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            group.bench_function(BenchmarkId::new("exact_1thread", n), |b| {
                pool.install(|| b.iter(|| exact.search(qs.next().unwrap(), K).unwrap()))
            });
        }
    }
    group.finish();
}

fn load(c: &mut Criterion) {
    let n = 20_000;
    let (labels, _) = clustered(n, 0, D, 2024);
    let bytes = hnsw(&labels, &HnswOptions::default()).to_bytes();
    eprintln!("graph of {n} labels: {} bytes", bytes.len());
    let mut group = c.benchmark_group("load_20k");
    group.bench_function("hnsw_from_bytes", |b| {
        b.iter_batched(|| labels.clone(), |v| HnswIndex::from_bytes(v, D, &bytes).unwrap(), BatchSize::LargeInput)
    });
    group.bench_function("exact_new", |b| {
        b.iter_batched(|| labels.clone(), |v| ExactIndex::new(v, D).unwrap(), BatchSize::LargeInput)
    });
    group.finish();
}

criterion_group!(benches, search, load);
criterion_main!(benches);
