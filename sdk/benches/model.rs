//! Model latency per stage at real PE Core dimensions (random weights of the exact shapes):
//!
//! - `preprocess`: a 1920×1080 BGRA camera frame (padded rows) → `[3, S, S]` pixels;
//! - `image_tower/<variant>/<precision>/<stage>`: batch 1 through the image tower of T16-384,
//!   S16-384 and B16-224, split into `patch_embed` (patches, class token, position embedding,
//!   `ln_pre`), `blocks`, `pooling` (`ln_post`, attention pooling, projection) and `total`, for the
//!   f32 engine, the int8 engine (where the CPU has AVX512_VNNI), the bf16 engine (AVX512_BF16)
//!   and, for T16-384, the original candle-ops graph as the baseline;
//! - `text_tower_t16`: prompts/s of the T16 text tower, 32 prompts of 8 BPE tokens per call;
//! - `label_pack`: loading a 1000-label pack from bytes and top-10 search in it.
//!
//! ```sh
//! cargo bench -p pelabel --features testing --bench model -- --quick
//! RAYON_NUM_THREADS=2 cargo bench -p pelabel --features testing --bench model -- image_tower/T16-384
//! ```
//!
//! Stage times come from one forward pass each (`VisionTower::encode_timed` reads the clock between
//! stages), so the stages of an iteration always add up to its total. Weights are written once
//! under `target/pelabel-bench/`. Threads: the global rayon pool (`RAYON_NUM_THREADS`).

use std::path::PathBuf;
use std::time::Duration;

#[path = "../examples/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pelabel::{
    write_random_checkpoint, Device, Frame, FramePreprocessor, LabelPack, ModelFiles, PeCoreConfig, Precision,
    PreprocessConfig, Tensor, TextTower, TowerStageTimes, VisionTower,
};

fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    target.join("pelabel-bench")
}

/// Random weights of `variant` (image tower only unless `text`), written once.
fn model(variant: &str, text: bool) -> ModelFiles {
    let cfg = PeCoreConfig::preset(variant).expect("preset");
    let dir = bench_dir().join(format!("model-{variant}-{}", if text { "both" } else { "image" }));
    if !dir.join("model.safetensors").exists() {
        write_random_checkpoint(&cfg, text, 7, &dir).expect("write weights");
    }
    ModelFiles::discover(&dir, None).expect("discover")
}

/// A deterministic 1920×1080 BGRA frame with 64 bytes of row padding.
fn camera_frame() -> (Vec<u8>, u32, u32, usize) {
    let (w, h, stride) = (1920u32, 1080u32, 1920 * 4 + 64);
    ((0..stride * h as usize).map(|i| (i * 31 % 251) as u8).collect(), w, h, stride)
}

fn preprocess(c: &mut Criterion) {
    let (bgra, w, h, stride) = camera_frame();
    let frame = Frame::bgra(&bgra, w, h, stride).unwrap();
    let mut group = c.benchmark_group("preprocess");
    for size in [384u32, 224] {
        let mut pre = FramePreprocessor::new(PreprocessConfig::pe_core(size)).unwrap();
        group.bench_function(BenchmarkId::new("bgra_1920x1080", size), |b| {
            b.iter(|| pre.preprocess(&frame, &Device::Cpu).unwrap())
        });
    }
    group.finish();
}

/// Pixels for `variant`: the preprocessed camera frame, `[1, 3, S, S]`.
fn pixels(size: usize) -> Tensor {
    let (bgra, w, h, stride) = camera_frame();
    let frame = Frame::bgra(&bgra, w, h, stride).unwrap();
    let mut pre = FramePreprocessor::new(PreprocessConfig::pe_core(size as u32)).unwrap();
    pre.preprocess(&frame, &Device::Cpu).unwrap().unsqueeze(0).unwrap()
}

fn image_tower(c: &mut Criterion) {
    for variant in ["T16-384", "S16-384", "B16-224"] {
        let files = model(variant, false);
        let px = pixels(files.config.vision.image_size);
        let mut engines: Vec<(&str, VisionTower)> = Vec::new();
        if variant == "T16-384" {
            engines.push(("candle_reference", VisionTower::load_candle_reference(&files, &Device::Cpu).unwrap()));
        }
        engines.push(("f32", VisionTower::load(&files, &Device::Cpu).unwrap()));
        for (name, precision) in [("int8", Precision::Int8), ("bf16", Precision::Bf16)] {
            let mut tower = VisionTower::load(&files, &Device::Cpu).unwrap();
            if tower.set_precision(precision) == precision {
                engines.push((name, tower));
            }
        }
        let mut group = c.benchmark_group(format!("image_tower/{variant}"));
        group.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
        type Pick = fn(&TowerStageTimes) -> Duration;
        let stages: [(&str, Pick); 4] = [
            ("patch_embed", |t| t.patch_embed),
            ("blocks", |t| t.blocks),
            ("pooling", |t| t.pooling),
            ("total", |t| t.patch_embed + t.blocks + t.pooling),
        ];
        for (engine, tower) in &engines {
            for (stage, pick) in stages {
                group.bench_function(BenchmarkId::new(*engine, stage), |b| {
                    b.iter_custom(|iters| {
                        (0..iters).map(|_| pick(&tower.encode_timed(&px).unwrap().1)).sum::<Duration>()
                    })
                });
            }
        }
        group.finish();
    }
}

fn text_tower(c: &mut Criterion) {
    let files = model("T16-384", true);
    let tower = TextTower::load(&files, &Device::Cpu).unwrap();
    let cfg = tower.config().clone();
    let prompts = 32;
    let ids: Vec<Vec<u32>> = (0..prompts)
        .map(|i| {
            let mut row = vec![cfg.pad_id; cfg.context_length];
            row[0] = cfg.sot_id;
            for (j, id) in row[1..9].iter_mut().enumerate() {
                *id = ((i * 7919 + j * 104_729) % 49_000) as u32 + 256;
            }
            row[9] = cfg.eot_id;
            row
        })
        .collect();
    let mut group = c.benchmark_group("text_tower_t16");
    group.sample_size(10).throughput(Throughput::Elements(prompts as u64));
    group.bench_function("encode_32_prompts", |b| b.iter(|| tower.encode_ids(&ids).unwrap()));
    group.finish();
}

fn label_pack(c: &mut Criterion) {
    let (n, dim) = (1000usize, 512usize);
    let mut seed = 0x1234_5678_u64;
    let bytes = common::random_pack_bytes(n, dim, "bench", "model bench", &mut seed).unwrap();
    let pack = LabelPack::from_bytes(&bytes, &Default::default()).unwrap();
    let query: Vec<f32> = {
        let q = common::random_values(&mut seed, dim);
        let norm = q.iter().map(|v| v * v).sum::<f32>().sqrt();
        q.iter().map(|v| v / norm).collect()
    };
    let mut group = c.benchmark_group("label_pack");
    group.bench_function("load_1000", |b| b.iter(|| LabelPack::from_bytes(&bytes, &Default::default()).unwrap()));
    group.bench_function("search_top10_1000", |b| b.iter(|| pack.search(&query, 10).unwrap().len()));
    group.finish();
}

criterion_group!(benches, preprocess, image_tower, text_tower, label_pack);
criterion_main!(benches);
