//! Measures an on-device labeling session at real model dimensions: resident memory and
//! per-stage latency (convert/resize, image tower, search) for 1920×1080 BGRA camera frames.
//!
//! Weights are random (released PE weights cannot be downloaded here) but have the exact shapes
//! of the chosen variant, so time and memory are those of the real model.
//!
//! ```sh
//! cargo run --release -p pelabel --features testing --example session -- [VARIANT] [LABELS] [FRAMES] [THREADS] [PRECISION] [compare]
//! cargo run --release -p pelabel --features testing --example session -- T16-384 1000 20 2
//! cargo run --release -p pelabel --features testing --example session -- T16-384 1000 20 2 int8
//! cargo run --release -p pelabel --features testing --example session -- T16-384 1000 20 2 f32 compare
//! ```
//!
//! `PRECISION` is `f32` (default), `int8` (AVX512_VNNI CPUs) or `bf16` (AVX512_BF16 CPUs); both
//! fall back to f32 elsewhere, and the report says which ran. The start-up figure is process start to the first labelled frame;
//! memory is resident set size (`VmRSS`, peak `VmHWM`). With `compare`, after the session report,
//! the image tower runs on the same pixels alternately in four engines — the original candle-ops
//! graph and the fast f32, int8 and bf16 engines — for `FRAMES` rounds, and the medians,
//! the speed-ups and the embeddings' cosine to the candle reference are printed as a second JSON
//! object (alternating runs keep a background load from favouring one engine).

use std::time::Instant;

mod common;
use common::{memory_mib, random_pack_bytes};

use pelabel::{
    write_random_checkpoint, Frame, FramePreprocessor, LabelOptions, LabelPack, Labeler, LabelerOptions, ModelFiles,
    PeCoreConfig, Precision, Tensor, VisionTower,
};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> pelabel::Result<()> {
    let process_start = Instant::now();
    let args: Vec<String> = std::env::args().collect();
    let variant = args.get(1).map(String::as_str).unwrap_or("T16-384");
    let n_labels: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let n_frames: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let threads: Option<usize> = args.get(4).and_then(|s| s.parse().ok());
    let precision: Precision = match args.get(5) {
        Some(p) => p.parse().map_err(|reason| pelabel::Error::Config { path: None, reason })?,
        None => Precision::F32,
    };
    let compare = args.get(6).is_some_and(|a| a == "compare");

    let cfg = PeCoreConfig::preset(variant)?;
    let dir = std::env::temp_dir().join(format!("pelabel-session-{}", cfg.name.clone().unwrap_or_default()));
    if !dir.join("model.safetensors").exists() {
        eprintln!("writing random {variant} image-tower weights to {}", dir.display());
        write_random_checkpoint(&cfg, false, 7, &dir)?;
    }
    let files = ModelFiles::discover(&dir, None)?;
    let dim = cfg.embed_dim();

    // A pack of random unit label embeddings for this model.
    let pack_bytes = random_pack_bytes(n_labels, dim, &files.fingerprint()?, "session example", &mut 0x1234_5678_u64)?;

    let (rss_before, _) = memory_mib();
    let t = Instant::now();
    let pack = LabelPack::from_bytes(&pack_bytes, &Default::default())?;
    drop(pack_bytes);
    let mut labeler = Labeler::new(&files, pack, &LabelerOptions { threads })?;
    let precision_in_effect = labeler.set_precision(precision);
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let (rss_loaded, _) = memory_mib();

    // A 1920×1080 BGRA frame with a padded row, as AVFoundation delivers it.
    let (w, h, stride) = (1920u32, 1080u32, 1920 * 4 + 64);
    let bgra: Vec<u8> = (0..stride * h as usize).map(|i| (i * 31 % 251) as u8).collect();
    let frame = Frame::bgra(&bgra, w, h, stride)?;
    let mut pre = FramePreprocessor::new(*labeler.preprocess_config())?;
    let device = pelabel::Device::Cpu;
    let options = LabelOptions::default();

    let first = {
        let px = pre.preprocess(&frame, &device)?;
        let e = labeler.embed_pixels(&px)?;
        labeler.label_embedding(&e, &options)?;
        process_start.elapsed().as_secs_f64() * 1e3
    };
    let (mut convert, mut tower, mut search) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n_frames {
        let t0 = Instant::now();
        let px = pre.preprocess(&frame, &device)?;
        let t1 = Instant::now();
        let e = labeler.embed_pixels(&px)?;
        let t2 = Instant::now();
        let out = labeler.label_embedding(&e, &options)?;
        let t3 = Instant::now();
        std::hint::black_box(out);
        convert.push((t1 - t0).as_secs_f64() * 1e3);
        tower.push((t2 - t1).as_secs_f64() * 1e3);
        search.push((t3 - t2).as_secs_f64() * 1e3);
    }
    let (rss_running, peak) = memory_mib();
    let report = serde_json::json!({
        "variant": variant, "labels": n_labels, "frames": n_frames,
        "threads": threads.map(|t| t.to_string()).unwrap_or_else(|| "all".into()),
        "precision_requested": format!("{precision:?}"), "precision": format!("{precision_in_effect:?}"),
        "load_ms": load_ms, "first_frame_ms_since_process_start": first,
        "median_ms": {"convert_resize": median(&mut convert), "image_tower": median(&mut tower), "search": median(&mut search)},
        "rss_mib": {"before_load": rss_before, "after_load": rss_loaded, "running": rss_running, "peak": peak,
                     "session": rss_running - rss_before},
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    if compare {
        let px = pre.preprocess(&frame, &device)?.unsqueeze(0)?;
        drop(labeler);
        compare_engines(&files, &px, n_frames, threads)?;
    }
    Ok(())
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// The candle-ops reference and the fast f32, int8 and bf16 engines on the same pixels, alternating.
fn compare_engines(files: &ModelFiles, px: &Tensor, rounds: usize, threads: Option<usize>) -> pelabel::Result<()> {
    let device = pelabel::Device::Cpu;
    let reference = VisionTower::load_candle_reference(files, &device)?;
    let fast = VisionTower::load(files, &device)?;
    let mut int8 = VisionTower::load(files, &device)?;
    let int8_in_effect = int8.set_precision(Precision::Int8);
    let mut bf16 = VisionTower::load(files, &device)?;
    let bf16_in_effect = bf16.set_precision(Precision::Bf16);
    let engines: [(&str, &VisionTower); 4] =
        [("candle_reference", &reference), ("fast_f32", &fast), ("fast_int8", &int8), ("fast_bf16", &bf16)];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| pelabel::Error::Config { path: None, reason: format!("thread pool: {e}") })?;
    let mut embeddings = Vec::new();
    let mut times = vec![Vec::new(); engines.len()];
    pool.install(|| -> pelabel::Result<()> {
        for (_, tower) in &engines {
            embeddings.push(tower.encode(px)?.flatten_all()?.to_vec1::<f32>()?);
            // also warms up
        }
        for _ in 0..rounds {
            for (i, (_, tower)) in engines.iter().enumerate() {
                let t = Instant::now();
                std::hint::black_box(tower.encode(px)?);
                times[i].push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        Ok(())
    })?;
    let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
    let gflop = tower_gflop(files.config.vision.clone());
    let mut out = serde_json::Map::new();
    out.insert("rounds".into(), rounds.into());
    out.insert("threads".into(), pool.current_num_threads().into());
    out.insert("model_gflop".into(), gflop.into());
    out.insert("int8_in_effect".into(), format!("{int8_in_effect:?}").into());
    out.insert("bf16_in_effect".into(), format!("{bf16_in_effect:?}").into());
    for (i, (name, _)) in engines.iter().enumerate() {
        out.insert(
            (*name).into(),
            serde_json::json!({
                "median_ms": medians[i],
                "gflop_per_s": gflop / (medians[i] / 1e3),
                "speedup_vs_candle_reference": medians[0] / medians[i],
                "cosine_to_candle_reference": cosine(&embeddings[i], &embeddings[0]),
                "max_abs_diff_to_candle_reference":
                    embeddings[i].iter().zip(&embeddings[0]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max),
            }),
        );
    }
    out.insert("int8_speedup_vs_fast_f32".into(), (medians[1] / medians[2]).into());
    out.insert("bf16_speedup_vs_fast_f32".into(), (medians[1] / medians[3]).into());
    println!("{}", serde_json::to_string_pretty(&serde_json::Value::Object(out)).unwrap_or_default());
    Ok(())
}

/// Multiply-adds ×2 of the image tower at its native grid (matrix products and attention only).
fn tower_gflop(v: pelabel::VisionConfig) -> f64 {
    let g = v.image_size / v.patch_size;
    let n = (g * g + usize::from(v.use_cls_token)) as f64;
    let (w, mlp, p) = (v.width as f64, v.mlp_width() as f64, v.patch_size as f64);
    let block = 2.0 * n * w * (3.0 * w + w + 2.0 * mlp) + 2.0 * 2.0 * n * n * w;
    let patch = 2.0 * (g * g) as f64 * 3.0 * p * p * w;
    let pool = 2.0 * n * w * 2.0 * w + 2.0 * 2.0 * n * w;
    (v.layers as f64 * block + patch + pool) / 1e9
}
