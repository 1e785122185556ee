//! Image-tower frames for counting instructions under an emulator (`benchmarks/phone/`).
//!
//! `benchmarks/phone/run.sh` cross-builds this for aarch64 and runs it under `qemu-aarch64` with
//! an instruction-counting plugin. The plugin needs to know where one frame starts and ends
//! without symbols or timers, so before every frame and after the last one this program executes
//! the marker instruction `HINT #127` (an unallocated hint: a NOP on every aarch64 core, and on
//! other architectures the marker compiles to nothing). The plugin closes a counting interval at
//! each marker, so interval 0 is start-up and model load, intervals 1 ..= N the frames, and the
//! last one the exit.
//!
//! ```sh
//! cargo build --release -p pelabel --features testing --example phone_frames
//! phone_frames checkpoint --dir DIR [--preset PE-Core-T16-384] [--seed 1]
//! PELABEL_CPU_TIER=neon-i8mm RAYON_NUM_THREADS=1 phone_frames run --model DIR [--preset NAME] \
//!     [--precision f32|int8] [--frames 2]
//! ```
//!
//! `checkpoint` writes a random image-tower checkpoint at the preset's real size in the official
//! layout ([`pelabel::write_random_checkpoint`]); `run` loads it, applies the precision (falling
//! back to f32 where the CPU tier has no kernel for it, as the product does) and encodes `--frames`
//! frames of fixed pseudo-random pixels, then prints one JSON line with the tier and precision in
//! effect and a checksum of the last embedding.

use std::path::PathBuf;

use pelabel::{Device, ModelFiles, PeCoreConfig, Precision, Tensor, VisionTower};

type BoxResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const DEFAULT_PRESET: &str = "PE-Core-T16-384";

/// The value after `--name` in `args`, if any.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("checkpoint") => checkpoint(&args[1..]),
        Some("run") => run(&args[1..]),
        _ => Err("usage: phone_frames checkpoint --dir DIR [--preset NAME] [--seed N] | \
                  phone_frames run --model DIR [--preset NAME] [--precision f32|int8] [--frames N]"
            .into()),
    };
    if let Err(e) = result {
        eprintln!("phone_frames: {e}");
        std::process::exit(1);
    }
}

fn checkpoint(args: &[String]) -> BoxResult<()> {
    let dir = PathBuf::from(flag(args, "--dir").ok_or("checkpoint needs --dir DIR")?);
    let preset = flag(args, "--preset").unwrap_or_else(|| DEFAULT_PRESET.into());
    let seed: u64 = flag(args, "--seed").map(|s| s.parse()).transpose()?.unwrap_or(1);
    let config = PeCoreConfig::preset(&preset)?;
    let path = pelabel::write_random_checkpoint(&config, false, seed, &dir)?;
    println!("{}", serde_json::json!({ "checkpoint": path, "preset": preset, "seed": seed }));
    Ok(())
}

/// The marker the counting plugin splits intervals at (see the module docs).
#[inline(never)]
fn frame_marker() {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: `HINT #127` is in the architecture's hint space, which executes as a NOP on a core
    // that gives the number no meaning; it touches no register, flag or memory.
    unsafe {
        std::arch::asm!("hint #127", options(nomem, nostack, preserves_flags));
    }
}

fn run(args: &[String]) -> BoxResult<()> {
    let model = PathBuf::from(flag(args, "--model").ok_or("run needs --model DIR")?);
    let preset = flag(args, "--preset").unwrap_or_else(|| DEFAULT_PRESET.into());
    let precision: Precision = flag(args, "--precision").map(|s| s.parse()).transpose()?.unwrap_or_default();
    let frames: usize = flag(args, "--frames").map(|s| s.parse()).transpose()?.unwrap_or(2);
    let files = ModelFiles::discover(&model, Some(&preset))?;
    let mut tower = VisionTower::load(&files, &Device::Cpu)?;
    let precision = tower.set_precision(precision);
    let size = tower.config().image_size;
    // Fixed pseudo-random pixels in [-1, 1) (xorshift64): the same input in every run.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let pixels: Vec<f32> = (0..3 * size * size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect();
    let input = Tensor::from_vec(pixels, (1, 3, size, size), &Device::Cpu)?;
    let mut last = Vec::new();
    for _ in 0..frames {
        frame_marker();
        last = tower.encode(&input)?.flatten_all()?.to_vec1::<f32>()?;
    }
    frame_marker();
    let checksum: f64 = last.iter().map(|&v| f64::from(v)).sum();
    println!(
        "{}",
        serde_json::json!({
            "preset": preset, "tier": tower.cpu().tier().name(),
            "precision": format!("{precision:?}").to_ascii_lowercase(),
            "frames": frames, "image_size": size, "embedding_sum": checksum,
            "threads": rayon::current_num_threads(),
        })
    );
    Ok(())
}
