//! Text-tower harness of `benchmarks/compare/text_compare.py`: prompts per second of pelabel's
//! text tower (the compute-layer engine at f32 or int8, or the candle reference graph) on a file of
//! prompts, with the token ids and embeddings written out so the other runtimes can be fed the
//! same ids and checked against the same outputs.
//!
//! ```sh
//! cargo build --release -p pelabel --features testing --example text_bench
//! RAYON_NUM_THREADS=2 target/release/examples/text_bench checkpoint --dir DIR --preset PE-Core-T16-384
//! RAYON_NUM_THREADS=2 target/release/examples/text_bench run --model DIR --prompts prompts.txt \
//!     [--engine fast|candle] [--precision f32|int8] [--drop-f32] [--batch 64] [--rounds 3] [--ids OUT.json] [--out OUT.f32]
//! ```
//!
//! `run` prints one JSON line: the engine and precision in effect, the CPU tier, the number of
//! prompts, the wall time of each round (tokenisation excluded: ids are made once), prompts/s
//! of the best and the median round, and the process's resident and peak memory at the end. `--ids` writes the token ids (up to each end-of-text token)
//! as JSON; `--out` the raw embeddings `[N, D]` as little-endian f32. Exit status 2 on bad
//! arguments, 1 on any other error.

use std::path::PathBuf;
use std::time::Instant;

use pelabel::{PeCore, PeCoreConfig, Precision, TextTower, Towers};

fn usage() -> ! {
    eprintln!(
        "usage: text_bench checkpoint --dir DIR [--preset NAME] [--seed N]\n       \
         text_bench run --model DIR --prompts FILE [--engine fast|candle] [--precision f32|int8] \
         [--drop-f32] [--batch N] [--rounds N] [--ids FILE] [--out FILE]"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        usage();
    }
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let result = match args[0].as_str() {
        "checkpoint" => checkpoint(
            opt("--dir").map(PathBuf::from).unwrap_or_else(|| usage()),
            &opt("--preset").unwrap_or_else(|| "PE-Core-T16-384".into()),
            opt("--seed").map(|s| s.parse().unwrap_or_else(|_| usage())).unwrap_or(1),
        ),
        "run" => run(
            opt("--model").map(PathBuf::from).unwrap_or_else(|| usage()),
            opt("--prompts").map(PathBuf::from).unwrap_or_else(|| usage()),
            &opt("--engine").unwrap_or_else(|| "fast".into()),
            &opt("--precision").unwrap_or_else(|| "f32".into()),
            opt("--batch").map(|s| s.parse().unwrap_or_else(|_| usage())).unwrap_or(64),
            opt("--rounds").map(|s| s.parse().unwrap_or_else(|_| usage())).unwrap_or(3),
            opt("--ids").map(PathBuf::from),
            opt("--out").map(PathBuf::from),
            // Free the f32 linear weights at int8 (what `TextEncoder` does on a device).
            args.iter().any(|a| a == "--drop-f32"),
        ),
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("text_bench: {e}");
        std::process::exit(1);
    }
}

fn checkpoint(dir: PathBuf, preset: &str, seed: u64) -> pelabel::Result<()> {
    let cfg = PeCoreConfig::preset(preset)?;
    let path = pelabel::write_random_checkpoint(&cfg, true, seed, &dir)?;
    println!("{}", serde_json::json!({ "checkpoint": path, "preset": preset, "seed": seed }));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn run(
    model_dir: PathBuf,
    prompts: PathBuf,
    engine: &str,
    precision: &str,
    batch: usize,
    rounds: usize,
    ids_out: Option<PathBuf>,
    out: Option<PathBuf>,
    drop_f32: bool,
) -> pelabel::Result<()> {
    let text =
        std::fs::read_to_string(&prompts).map_err(|e| pelabel::Error::Io { path: prompts.clone(), source: e })?;
    let prompts: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut model = PeCore::open(&model_dir, Towers::Text)?;
    match engine {
        "fast" => {}
        "candle" => {
            let files = model.files().clone();
            model.replace_text_tower(TextTower::load_candle_reference(&files, model.device())?);
        }
        _ => usage(),
    }
    let wanted = match precision {
        "f32" => Precision::F32,
        "int8" => Precision::Int8,
        _ => usage(),
    };
    let effective = model.set_text_precision(wanted)?;
    if drop_f32 {
        model.drop_text_f32_weights()?;
    }
    let tokenized = model.tokenize(&prompts)?;
    let ids: Vec<Vec<u32>> = tokenized.iter().map(|t| t.ids.clone()).collect();
    let tower = model.text()?;
    let dim = tower.config().output_dim;
    // Batches as `pelabel compile` forms them (and as text_compare.py gives the other runtimes):
    // prompts sorted by end-of-text position, ties in file order, then `batch` at a time, so
    // each batch runs to its own longest prompt. (Chunks in file order would pad every batch
    // to its longest prompt: a third more work on the ImageNet templates.)
    let eot = tower.config().eot_id;
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| ids[i].iter().position(|&t| t == eot).unwrap_or(ids[i].len()));
    let batches: Vec<(&[usize], Vec<Vec<u32>>)> =
        order.chunks(batch.max(1)).map(|c| (c, c.iter().map(|&i| ids[i].clone()).collect())).collect();
    let mut embeddings = vec![0f32; ids.len() * dim];
    let mut seconds = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        let t0 = Instant::now();
        for (chunk, batch_ids) in &batches {
            let e = tower.encode_ids(batch_ids)?.flatten_all()?.to_vec1::<f32>()?;
            for (&i, row) in chunk.iter().zip(e.chunks_exact(dim)) {
                embeddings[i * dim..][..dim].copy_from_slice(row);
            }
        }
        seconds.push(t0.elapsed().as_secs_f64());
    }
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let n = ids.len() as f64;
    if let Some(path) = ids_out {
        let trimmed: Vec<&[u32]> =
            ids.iter().map(|r| &r[..=r.iter().position(|&t| t == eot).unwrap_or(r.len() - 1)]).collect();
        std::fs::write(&path, serde_json::to_vec(&trimmed).unwrap_or_default())
            .map_err(|e| pelabel::Error::Io { path: path.clone(), source: e })?;
    }
    if let Some(path) = out {
        let bytes: Vec<u8> = embeddings.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, bytes).map_err(|e| pelabel::Error::Io { path: path.clone(), source: e })?;
    }
    println!(
        "{}",
        serde_json::json!({
            "engine": engine,
            "precision": format!("{effective:?}").to_lowercase(),
            "tier": tower.cpu().tier().name(),
            "threads": rayon::current_num_threads(),
            "prompts": ids.len(),
            "batch": batch,
            "seconds": seconds,
            "prompts_per_s_best": n / sorted[0],
            "prompts_per_s_median": n / sorted[sorted.len() / 2],
            "weight_mib": tower.weight_bytes() as f64 / (1 << 20) as f64,
            "rss_mib": rss_mib("VmRSS"),
            "peak_rss_mib": rss_mib("VmHWM"),
        })
    );
    Ok(())
}

/// A memory figure of this process from `/proc/self/status` (Linux), in MiB; `None` elsewhere.
fn rss_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
