//! Measures an on-device labeling session at real model dimensions: resident memory and
//! per-stage latency (convert/resize, image tower, search) for 1920×1080 BGRA camera frames.
//!
//! Weights are random (released PE weights cannot be downloaded here) but have the exact shapes
//! of the chosen variant, so time and memory are those of the real model.
//!
//! ```sh
//! cargo run --release -p pelabel --example session -- [VARIANT] [LABELS] [FRAMES] [THREADS]
//! cargo run --release -p pelabel --example session -- T16-384 1000 20 2
//! ```

use std::time::Instant;

use pelabel::{
    write_random_checkpoint, Frame, FramePreprocessor, IndexOptions, LabelOptions, LabelPack, Labeler, LabelerOptions,
    ModelFiles, PackLabel, PackLabelSet, PackMeta, PeCoreConfig,
};

/// `VmRSS` / `VmHWM` of this process in MiB (Linux; 0 elsewhere).
fn memory_mib() -> (f64, f64) {
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

    let cfg = PeCoreConfig::preset(variant)?;
    let dir = std::env::temp_dir().join(format!("pelabel-session-{}", cfg.name.clone().unwrap_or_default()));
    if !dir.join("model.safetensors").exists() {
        eprintln!("writing random {variant} image-tower weights to {}", dir.display());
        write_random_checkpoint(&cfg, false, 7, &dir)?;
    }
    let files = ModelFiles::discover(&dir, None)?;
    let dim = cfg.embed_dim();

    // A pack of random unit label embeddings for this model.
    let mut seed = 0x1234_5678_u64;
    let embeddings: Vec<f32> = (0..n_labels * dim)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    let meta = PackMeta {
        model_fingerprint: files.fingerprint()?,
        label_set: PackLabelSet { name: "random".into(), version: "1.0.0".into(), description: None },
        created_unix_s: 0,
        created_by: "session example".into(),
        dim,
        embedding_dtype: pelabel::EmbeddingDType::F16,
        logit_scale: None,
        labels: (0..n_labels)
            .map(|i| PackLabel {
                id: format!("l{i}"),
                name: format!("label {i}"),
                parent: None,
                min_score: None,
                synonyms: vec![],
                prompts: vec![],
            })
            .collect(),
    };
    let pack_bytes = LabelPack::new(meta, embeddings, &IndexOptions::default())?.to_bytes(&Default::default())?;

    let (rss_before, _) = memory_mib();
    let t = Instant::now();
    let pack = LabelPack::from_bytes(&pack_bytes, &Default::default())?;
    drop(pack_bytes);
    let labeler = Labeler::new(&files, pack, &LabelerOptions { threads })?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let (rss_loaded, _) = memory_mib();

    // A 1920×1080 BGRA frame with a padded row, as AVFoundation delivers it.
    let (w, h, stride) = (1920u32, 1080u32, 1920 * 4 + 64);
    let bgra: Vec<u8> = (0..stride * h as usize).map(|i| (i * 31 % 251) as u8).collect();
    let frame = Frame::bgra(&bgra, w, h, stride)?;
    let mut pre = FramePreprocessor::new(labeler.preprocess_config().clone())?;
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
        "load_ms": load_ms, "first_frame_ms_since_process_start": first,
        "median_ms": {"convert_resize": median(&mut convert), "image_tower": median(&mut tower), "search": median(&mut search)},
        "rss_mib": {"before_load": rss_before, "after_load": rss_loaded, "running": rss_running, "peak": peak,
                     "session": rss_running - rss_before},
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    Ok(())
}
