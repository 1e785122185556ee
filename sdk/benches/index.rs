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

struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn gauss(&mut self) -> f32 {
        let (u1, u2) = (self.uniform(), self.uniform());
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }
    fn direction(&mut self, d: usize) -> Vec<f32> {
        let s = 1.0 / (d as f32).sqrt();
        (0..d).map(|_| self.gauss() * s).collect()
    }
}

fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
}

/// Same generator as `tests/index_recall.rs`: `(labels [n, d], queries [q, d])`.
fn clustered(n: usize, q: usize, d: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    const TOPICS: usize = 1000;
    const RANK: usize = 64;
    let mut rng = Rng(seed);
    let mu = rng.direction(d);
    let topics: Vec<Vec<f32>> = (0..TOPICS).map(|_| rng.direction(d)).collect();
    let basis: Vec<Vec<f32>> = (0..RANK).map(|_| rng.direction(d)).collect();
    let draw = |rng: &mut Rng| {
        let t = &topics[(rng.next_u64() % TOPICS as u64) as usize];
        let z: Vec<f32> = (0..RANK).map(|_| rng.gauss() / (RANK as f32).sqrt()).collect();
        let noise = rng.direction(d);
        let mut v: Vec<f32> = (0..d)
            .map(|i| {
                0.5 * mu[i]
                    + 0.7 * t[i]
                    + 0.45 * basis.iter().zip(&z).map(|(b, z)| b[i] * z).sum::<f32>()
                    + 0.25 * noise[i]
            })
            .collect();
        normalize(&mut v);
        v
    };
    let labels: Vec<f32> = (0..n).flat_map(|_| draw(&mut rng)).collect();
    let mut queries = Vec::with_capacity(q * d);
    for i in 0..q {
        let mut v = if i % 2 == 0 {
            let r = (rng.next_u64() % n as u64) as usize;
            let noise = rng.direction(d);
            labels[r * d..(r + 1) * d].iter().zip(noise).map(|(x, e)| x + 0.4 * e).collect()
        } else {
            draw(&mut rng)
        };
        normalize(&mut v);
        queries.extend(v);
    }
    (labels, queries)
}

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
