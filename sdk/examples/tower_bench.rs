//! A long-lived image-tower harness for the side-by-side runtime comparison in
//! `benchmarks/compare/compare.py`, and candle's f32 matmul peak on this machine.
//!
//! The comparison alternates pelabel with PyTorch, ONNX Runtime and ExecuTorch in one session, so
//! pelabel must run without process start-up inside the timing: this program loads the tower
//! once and then answers line commands on stdin, one JSON line per answer on stdout.
//!
//! ```sh
//! cargo build --release -p pelabel --example tower_bench
//! RAYON_NUM_THREADS=2 target/release/examples/tower_bench serve --model ckpt.safetensors --preset PE-Core-T16-384
//! RAYON_NUM_THREADS=2 target/release/examples/tower_bench serve --model ckpt.safetensors --precision int8
//! RAYON_NUM_THREADS=2 target/release/examples/tower_bench peak [--seconds 1.0]
//! ```
//!
//! `--precision f32|int8|bf16` selects the arithmetic of the tower's matrix products
//! ([`VisionTower::set_precision`]); the `ready` line says which one is in effect (int8 falls back
//! to f32 on CPUs without AVX512_VNNI, bf16 on CPUs without AVX512_BF16).
//!
//! `serve` commands (one per line):
//! - `input PATH H W` — pixels `[1, 3, H, W]` as raw little-endian f32 (already normalised);
//! - `embed` — `{"embedding": [...]}`, the raw image embedding (before L2 normalisation);
//! - `run N` — N timed forward passes: `{"ms": [...]}`;
//! - `stats` — resident memory: `{"rss_mib": .., "peak_rss_mib": ..}`;
//! - `quit`.
//!
//! Threads: candle's CPU matmul and the tower's parallel loops use `RAYON_NUM_THREADS`
//! (candle reads it, see `candle_core::utils::get_num_threads`); `--threads N` sets it for this
//! process before any candle call, and the value in force is echoed in the `ready` line.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use pelabel::{Device, ModelFiles, Precision, Tensor, VisionTower};

mod common;
use common::memory_mib;

type BoxResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The value after `--name` in `args`, if any.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn apply_threads(args: &[String]) -> String {
    if let Some(n) = flag(args, "--threads") {
        // Before any candle or rayon call: both read the variable once, lazily.
        std::env::set_var("RAYON_NUM_THREADS", &n);
        std::env::set_var("CANDLE_NUM_THREADS", &n);
    }
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset (all cores)".into())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("peak") => peak(&args[1..]),
        _ => Err("usage: tower_bench serve --model PATH [--preset NAME] [--threads N] [--precision f32|int8|bf16] | \
                  tower_bench peak [--threads N] [--seconds S]"
            .into()),
    };
    if let Err(e) = result {
        eprintln!("tower_bench: {e}");
        std::process::exit(1);
    }
}

fn serve(args: &[String]) -> BoxResult<()> {
    let threads = apply_threads(args);
    let model = PathBuf::from(flag(args, "--model").ok_or("serve needs --model PATH")?);
    let preset = flag(args, "--preset");
    let precision: Precision = flag(args, "--precision").map(|s| s.parse()).transpose()?.unwrap_or_default();
    let device = Device::Cpu;
    let (rss_before, _) = memory_mib();
    let t = Instant::now();
    let files = ModelFiles::discover(&model, preset.as_deref())?;
    let mut tower = VisionTower::load(&files, &device)?;
    let precision = tower.set_precision(precision);
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let (rss_loaded, _) = memory_mib();
    let ready = serde_json::json!({
        "ready": true, "threads": threads, "load_ms": load_ms,
        "precision": format!("{precision:?}").to_ascii_lowercase(),
        "image_size": tower.config().image_size, "output_dim": tower.config().output_dim,
        "rss_mib_before_load": rss_before, "rss_mib_after_load": rss_loaded,
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "{ready}")?;
    out.flush()?;

    let mut pixels: Option<Tensor> = None;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        // Every command answers exactly one JSON line, errors included, so the driver never hangs.
        let answer: BoxResult<serde_json::Value> = match words.as_slice() {
            [] => continue,
            ["quit"] => break,
            ["input", path, h, w] => load_input(path, h, w).map(|t| {
                pixels = Some(t);
                serde_json::json!({"ok": true})
            }),
            ["embed"] => match &pixels {
                Some(px) => tower
                    .encode(px)
                    .and_then(|e| Ok(e.flatten_all()?.to_vec1::<f32>()?))
                    .map(|v| serde_json::json!({ "embedding": v }))
                    .map_err(Into::into),
                None => Err("no input (send `input PATH H W` first)".into()),
            },
            ["run", n] => match (&pixels, n.parse::<usize>()) {
                (Some(px), Ok(n)) => time_runs(&tower, px, n).map(|ms| serde_json::json!({ "ms": ms })),
                (None, _) => Err("no input (send `input PATH H W` first)".into()),
                (_, Err(e)) => Err(format!("run N: {e}").into()),
            },
            ["stats"] => {
                let (rss, peak) = memory_mib();
                Ok(serde_json::json!({"rss_mib": rss, "peak_rss_mib": peak}))
            }
            _ => Err(format!("unknown command {line:?}").into()),
        };
        let answer = answer.unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }));
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(())
}

fn load_input(path: &str, h: &str, w: &str) -> BoxResult<Tensor> {
    let (h, w): (usize, usize) = (h.parse()?, w.parse()?);
    let bytes = std::fs::read(path)?;
    if bytes.len() != 3 * h * w * 4 {
        return Err(format!("{path}: {} bytes, expected 3·{h}·{w}·4 = {}", bytes.len(), 3 * h * w * 4).into());
    }
    let values: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok(Tensor::from_vec(values, (1, 3, h, w), &Device::Cpu)?)
}

/// Wall time of `n` forward passes, each ending with the embedding copied out (as a caller would).
fn time_runs(tower: &VisionTower, px: &Tensor, n: usize) -> BoxResult<Vec<f64>> {
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let e = tower.encode(px)?.flatten_all()?.to_vec1::<f32>()?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(e);
    }
    Ok(ms)
}

/// candle's f32 matmul throughput on large square matrices and on the ViT's own shapes
/// (T16-384: 577 tokens, width 192, MLP 768, 3 heads of 64), at the thread count in force.
///
/// FLOPs of `[b, m, k] × [b, k, n]` = `2·b·m·k·n`. For each shape: one warm-up, then repeats
/// until `--seconds` have passed (at least 5); reports median and best GFLOP/s. The peak is the
/// largest per-shape median, so one lucky repeat cannot set it.
fn peak(args: &[String]) -> BoxResult<()> {
    let threads = apply_threads(args);
    let seconds: f64 = flag(args, "--seconds").map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let device = Device::Cpu;
    // (name, batch, m, k, n)
    let shapes: &[(&str, usize, usize, usize, usize)] = &[
        ("square 512", 1, 512, 512, 512),
        ("square 1024", 1, 1024, 1024, 1024),
        ("square 2048", 1, 2048, 2048, 2048),
        ("vit qkv 577x192 @ 192x576", 1, 577, 192, 576),
        ("vit fc1 577x192 @ 192x768", 1, 577, 192, 768),
        ("vit fc2 577x768 @ 768x192", 1, 577, 768, 192),
        ("vit proj 577x192 @ 192x192", 1, 577, 192, 192),
        ("vit q·kT 3x577x64 @ 3x64x577", 3, 577, 64, 577),
        ("vit attn·v 3x577x577 @ 3x577x64", 3, 577, 577, 64),
    ];
    let mut rows = Vec::new();
    let mut peak_gflops = 0f64;
    for &(name, b, m, k, n) in shapes {
        let a = Tensor::randn(0f32, 1.0, (b, m, k), &device)?;
        let w = Tensor::randn(0f32, 1.0, (b, k, n), &device)?;
        let flop = 2.0 * (b * m * k * n) as f64;
        std::hint::black_box(a.matmul(&w)?);
        let mut gflops = Vec::new();
        let start = Instant::now();
        while gflops.len() < 5 || start.elapsed().as_secs_f64() < seconds {
            let t = Instant::now();
            std::hint::black_box(a.matmul(&w)?);
            gflops.push(flop / t.elapsed().as_secs_f64() / 1e9);
        }
        gflops.sort_by(f64::total_cmp);
        let median = gflops[gflops.len() / 2];
        let best = gflops[gflops.len() - 1];
        peak_gflops = peak_gflops.max(median);
        rows.push(serde_json::json!({
            "shape": name, "batch": b, "m": m, "k": k, "n": n, "repeats": gflops.len(),
            "median_gflops": median, "best_gflops": best,
        }));
    }
    let report = serde_json::json!({"threads": threads, "peak_gflops": peak_gflops, "shapes": rows});
    println!("{report}");
    Ok(())
}
