//! A long-lived image-tower harness for the side-by-side runtime comparison in
//! `benchmarks/compare/compare.py`, and candle's f32 matmul peak on this machine.
//!
//! The comparison alternates pelabel with PyTorch, ONNX Runtime and ExecuTorch in one session, so
//! pelabel must run without process start-up inside the timing: this program loads the tower
//! once and then answers line commands on stdin, one JSON line per answer on stdout.
//!
//! ```sh
//! cargo build --release -p pelabel --features testing --example tower_bench
//! RAYON_NUM_THREADS=2 target/release/examples/tower_bench serve --model ckpt.safetensors --preset PE-Core-T16-384
//! RAYON_NUM_THREADS=2 target/release/examples/tower_bench serve --model ckpt.safetensors --precision int8
//! RAYON_NUM_THREADS=2 target/release/examples/tower_bench peak [--seconds 1.0]
//! RAYON_NUM_THREADS=2 target/release/examples/tower_bench wake [--gaps 0,1,5,30,100] [--reps 30]
//! ```
//!
//! `wake` is a micro-experiment without the model: after each idle gap it times (a) how long the
//! pool's workers take to start a `rayon::broadcast` (wake-up latency), (b) a fixed register-only
//! FMA loop on this thread in 50 µs slices (clock speed of a vCPU that was idle), (c) one pass
//! over an 8 MiB buffer (cache contents after idle), each against the same done back to back, and
//! (d) a frame-like chain of 200 hand-offs to the pool (`broadcast`, ~25 µs of FMA per worker,
//! ~25 µs on this thread in between), per hand-off, to see whether the cost of a hand-off stays
//! high after the gap and for how long.
//!
//! ```sh
//! ```
//!
//! `--precision f32|int8|bf16` selects the arithmetic of the tower's matrix products
//! ([`VisionTower::set_precision`]); the `ready` line says which one is in effect (int8 falls back
//! to f32 on CPUs without AVX512_VNNI, bf16 on CPUs without AVX512_BF16).
//!
//! `serve` commands (one per line):
//! - `input PATH H W` — pixels `[1, 3, H, W]` as raw little-endian f32 (already normalised);
//! - `embed` — `{"embedding": [...]}`, the raw image embedding (before L2 normalisation);
//! - `run N [GAP_MS [MODE]]` — N timed forward passes, each after GAP_MS of idling in MODE (the
//!   idle-gap experiments of `benchmarks/compare/README.md`): `sleep` (default: every thread
//!   idle, as between camera frames), `spin` (this thread busy-waits, the pool's workers idle),
//!   `spin-pool` (every pool worker busy-waits: no vCPU idles), `thrash` (the pool's workers
//!   write a 64 MiB buffer: busy, but caches evicted), `warm-U` (sleep, then the pool busy-waits
//!   U µs before the timer starts), `linger-L` (the pool busy-waits L ms after each pass, then
//!   sleeps the rest of the gap): `{"ms": [...], "blocks_ms": [...]}`;
//! - `stats` — resident memory: `{"rss_mib": .., "peak_rss_mib": ..}`;
//! - `quit`.
//!
//! Threads: candle's CPU matmul and the tower's parallel loops use `RAYON_NUM_THREADS`
//! (candle reads it, see `candle_core::utils::get_num_threads`); `--threads N` sets it for this
//! process before any candle call, and the value in force is echoed in the `ready` line.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
        Some("wake") => wake(&args[1..]),
        _ => Err("usage: tower_bench serve --model PATH [--preset NAME] [--threads N] [--precision f32|int8|bf16] | \
                  tower_bench peak [--threads N] [--seconds S] | tower_bench wake [--threads N] [--gaps MS,..] [--reps N]"
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
            ["run", n, rest @ ..] if rest.len() <= 2 => match (&pixels, n.parse::<usize>(), parse_gap(rest)) {
                (Some(px), Ok(n), Ok(gap)) => time_runs(&tower, px, n, &gap)
                    .map(|(ms, blocks)| serde_json::json!({ "ms": ms, "blocks_ms": blocks })),
                (None, _, _) => Err("no input (send `input PATH H W` first)".into()),
                (_, Err(e), _) => Err(format!("run N: {e}").into()),
                (_, _, Err(e)) => Err(e),
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

/// What the harness does during the idle gap before each timed pass.
#[derive(Clone, Copy, Debug)]
enum GapMode {
    Sleep,
    Spin,
    SpinPool,
    Thrash,
    /// Sleep, then the pool busy-waits this long before the timer starts.
    Warm(Duration),
    /// The pool busy-waits this long right after each pass, then the rest of the gap sleeps.
    Linger(Duration),
}

struct Gap {
    ms: f64,
    mode: GapMode,
}

fn parse_gap(words: &[&str]) -> BoxResult<Gap> {
    let ms: f64 = words.first().map(|w| w.parse()).transpose()?.unwrap_or(0.0);
    let mode = match words.get(1).copied().unwrap_or("sleep") {
        "sleep" => GapMode::Sleep,
        "spin" => GapMode::Spin,
        "spin-pool" => GapMode::SpinPool,
        "thrash" => GapMode::Thrash,
        m if m.starts_with("warm-") => GapMode::Warm(Duration::from_secs_f64(m[5..].parse::<f64>()? / 1e6)),
        m if m.starts_with("linger-") => GapMode::Linger(Duration::from_secs_f64(m[7..].parse::<f64>()? / 1e3)),
        m => return Err(format!("unknown gap mode {m:?}").into()),
    };
    Ok(Gap { ms, mode })
}

fn spin_until(deadline: Instant) {
    while Instant::now() < deadline {
        std::hint::spin_loop();
    }
}

/// Every worker of the current pool busy-waits until `deadline` (this thread waits for them).
fn spin_pool_until(deadline: Instant) {
    rayon::broadcast(|_| spin_until(deadline));
}

fn idle(gap: &Gap, thrash: &mut [Vec<u8>]) {
    let d = Duration::from_secs_f64(gap.ms / 1e3);
    let deadline = Instant::now() + d;
    match gap.mode {
        GapMode::Sleep | GapMode::Linger(_) => std::thread::sleep(d),
        GapMode::Spin => spin_until(deadline),
        GapMode::SpinPool => spin_pool_until(deadline),
        GapMode::Thrash => {
            let bufs: Vec<std::sync::Mutex<&mut Vec<u8>>> = thrash.iter_mut().map(std::sync::Mutex::new).collect();
            rayon::broadcast(|ctx| {
                let mut buf = bufs[ctx.index() % bufs.len()].lock().unwrap();
                let mut v = 0u8;
                while Instant::now() < deadline {
                    for line in buf.chunks_exact_mut(64) {
                        line[0] = line[0].wrapping_add(v);
                    }
                    v = v.wrapping_add(1);
                }
            });
        }
        GapMode::Warm(w) => {
            std::thread::sleep(d);
            spin_pool_until(Instant::now() + w);
        }
    }
}

/// Wall time of `n` forward passes, each ending with the embedding copied out (as a caller would),
/// each after the idle `gap`; also the time of the transformer blocks alone.
fn time_runs(tower: &VisionTower, px: &Tensor, n: usize, gap: &Gap) -> BoxResult<(Vec<f64>, Vec<f64>)> {
    let mut ms = Vec::with_capacity(n);
    let mut blocks = Vec::with_capacity(n);
    let mut thrash: Vec<Vec<u8>> = match gap.mode {
        GapMode::Thrash => (0..rayon::current_num_threads()).map(|_| vec![1u8; 64 << 20]).collect(),
        _ => Vec::new(),
    };
    for _ in 0..n {
        if gap.ms > 0.0 {
            idle(gap, &mut thrash);
        }
        let t = Instant::now();
        let (e, stages) = tower.encode_timed(px)?;
        let e = e.flatten_all()?.to_vec1::<f32>()?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        blocks.push(stages.blocks.as_secs_f64() * 1e3);
        std::hint::black_box(e);
        if let GapMode::Linger(l) = gap.mode {
            // Counted in the gap: the next pass's sleep is shortened by the linger.
            spin_pool_until(Instant::now() + l);
        }
    }
    Ok((ms, blocks))
}

/// Register-only FMA work on this thread (AVX-512 where the CPU has it, as the tower's kernels).
fn fma_slice(iters: usize) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F is present (checked above).
            return unsafe { fma_avx512(iters) };
        }
    }
    let mut acc = [1.0f32; 8];
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = a.mul_add(0.999_999, 1e-7);
        }
    }
    std::hint::black_box(acc.iter().sum())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_avx512(iters: usize) -> f32 {
    use std::arch::x86_64::*;
    let m = _mm512_set1_ps(0.999_999);
    let b = _mm512_set1_ps(1e-7);
    let mut acc = [_mm512_set1_ps(1.0); 8];
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = _mm512_fmadd_ps(*a, m, b);
        }
    }
    let mut s = acc[0];
    for a in &acc[1..] {
        s = _mm512_add_ps(s, *a);
    }
    _mm512_reduce_add_ps(s)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The idle-gap micro-experiment (see the module docs): no model, only the pool, this thread's
/// clock and the cache, after each gap.
fn wake(args: &[String]) -> BoxResult<()> {
    let threads = apply_threads(args);
    let gaps: Vec<f64> = flag(args, "--gaps")
        .unwrap_or_else(|| "0,1,5,30,100".into())
        .split(',')
        .map(|g| g.parse())
        .collect::<Result<_, _>>()?;
    let reps: usize = flag(args, "--reps").map(|s| s.parse()).transpose()?.unwrap_or(30);
    // Calibrate a 50 µs FMA slice on a warm core.
    rayon::broadcast(|_| ());
    let mut iters = 1000usize;
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(fma_slice(iters));
        let us = t.elapsed().as_secs_f64() * 1e6;
        iters = ((iters as f64) * 50.0 / us.max(1.0)).max(10.0) as usize;
    }
    let slices = 40; // 2 ms of work
    const HANDOFFS: usize = 200;
    let mut buf = vec![1u8; 8 << 20];
    let pass = |buf: &mut [u8]| {
        let t = Instant::now();
        let mut s = 0u64;
        for line in buf.chunks_exact(64) {
            s = s.wrapping_add(line[0] as u64);
        }
        std::hint::black_box(s);
        t.elapsed().as_secs_f64() * 1e6
    };
    for &gap in &gaps {
        let d = Duration::from_secs_f64(gap / 1e3);
        let (mut wake_us, mut bcast_us, mut first_slice, mut slice_med, mut slices_to_steady) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut first_ms_slow, mut mem_first, mut mem_second) = (Vec::new(), Vec::new(), Vec::new());
        let (mut h_first10, mut h_10_50, mut h_last50, mut h_total) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            // (a) pool wake-up.
            std::thread::sleep(d);
            let t0 = Instant::now();
            let starts = rayon::broadcast(|_| Instant::now());
            let rt = t0.elapsed().as_secs_f64() * 1e6;
            let latest = starts.iter().map(|s| (*s - t0).as_secs_f64() * 1e6).fold(0.0, f64::max);
            wake_us.push(latest);
            bcast_us.push(rt);
            // (b) this thread's FMA speed, slice by slice.
            std::thread::sleep(d);
            let mut ts: Vec<f64> = (0..slices)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(fma_slice(iters));
                    t.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            first_slice.push(ts[0]);
            let steady = {
                let mut tail = ts[slices / 2..].to_vec();
                median(&mut tail)
            };
            slices_to_steady.push(ts.iter().position(|&t| t <= 1.1 * steady).unwrap_or(slices) as f64);
            first_ms_slow.push(ts[..20].iter().sum::<f64>() / (20.0 * steady));
            slice_med.push(median(&mut ts));
            // (c) cache: a pass over 8 MiB after the gap, then again at once.
            std::thread::sleep(d);
            mem_first.push(pass(&mut buf));
            mem_second.push(pass(&mut buf));
            // (d) a frame-like chain of hand-offs.
            std::thread::sleep(d);
            let start = Instant::now();
            let hs: Vec<f64> = (0..HANDOFFS)
                .map(|_| {
                    std::hint::black_box(fma_slice(iters / 2));
                    let t = Instant::now();
                    rayon::broadcast(|_| std::hint::black_box(fma_slice(iters / 2)));
                    t.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            h_total.push(start.elapsed().as_secs_f64() * 1e3);
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            h_first10.push(mean(&hs[..10]));
            h_10_50.push(mean(&hs[10..50]));
            h_last50.push(mean(&hs[HANDOFFS - 50..]));
        }
        let row = serde_json::json!({
            "gap_ms": gap, "threads": threads, "reps": reps,
            "pool_wake_us_median": median(&mut wake_us), "broadcast_roundtrip_us_median": median(&mut bcast_us),
            "fma_first_50us_slice_us_median": median(&mut first_slice),
            "fma_slice_us_median": median(&mut slice_med),
            "fma_first_1ms_slowdown_median": median(&mut first_ms_slow),
            "fma_slices_until_steady_median": median(&mut slices_to_steady),
            "mem_8mib_after_gap_us_median": median(&mut mem_first),
            "mem_8mib_again_us_median": median(&mut mem_second),
            "handoff_us_first10_median": median(&mut h_first10),
            "handoff_us_10_to_50_median": median(&mut h_10_50),
            "handoff_us_last50_median": median(&mut h_last50),
            "handoff_chain_ms_median": median(&mut h_total),
        });
        println!("{row}");
    }
    Ok(())
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
