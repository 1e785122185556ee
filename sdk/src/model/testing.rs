//! Test and benchmark helpers (the `testing` feature): random checkpoints at real model sizes and
//! the candle-ops reference engine. Not part of the product API.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use super::config::PeCoreConfig;
use super::files::{ModelFiles, CONFIG_FILE};
use super::split::{write_file_atomic, write_safetensors_atomic};
use super::text::TextTower;
use super::vision::VisionTower;
use super::weights::{self, Tower};
use crate::{Error, Result};

impl VisionTower {
    /// Loads the image tower on the original candle-ops engine: the reference the fast engine is
    /// tested against and the baseline of the benchmarks. Always `f32`.
    pub fn load_candle_reference(files: &ModelFiles, device: &Device) -> Result<Self> {
        let ckpt = files.open_tower(Tower::Vision)?;
        ckpt.check_head_bias(device)?;
        let map = ckpt.load_towers(&[Tower::Vision], device)?;
        VisionTower::from_tensors_candle(&files.config.vision, &map, device)
    }
}

impl TextTower {
    /// Loads the text tower on the original candle-ops engine (the reference and the benchmarks'
    /// "before"). Always `f32`.
    pub fn load_candle_reference(files: &ModelFiles, device: &Device) -> Result<Self> {
        let cfg = files
            .config
            .text
            .as_ref()
            .ok_or_else(|| Error::TowerUnavailable { tower: "text", reason: "the config has no text tower".into() })?;
        let ckpt = files.open_tower(Tower::Text)?;
        let map = ckpt.load_towers(&[Tower::Text], device)?;
        TextTower::from_tensors_candle(cfg, map, device)
    }
}

/// Writes a checkpoint of random weights for `config` in the official layout (`model.safetensors`)
/// plus its `config.json` into `dir`, for benchmarks and tests at real model sizes when no trained
/// weights are at hand. `text: false` writes the image tower only. Deterministic for a seed.
///
/// The values follow the fixtures' scheme (LayerNorm weights near 1, small biases, linear
/// weights `N(0, 1/fan_in)` approximated by a uniform of the same variance), so activations stay
/// in a realistic range through every layer.
pub fn write_random_checkpoint(config: &PeCoreConfig, text: bool, seed: u64, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut cfg = config.clone();
    if !text {
        cfg.text = None;
    }
    // xorshift64*: a tiny deterministic generator is all random weights need.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    let mut keys = weights::expected_vision(&cfg);
    keys.extend(weights::expected_text(&cfg));
    let mut tensors = Vec::with_capacity(keys.len() + 1);
    for (key, shape) in keys {
        let n: usize = shape.iter().product();
        let fan_in = if shape.len() >= 2 { shape[1..].iter().product::<usize>() } else { shape[0] };
        let is_ln = key.contains("ln_") || key.contains("layernorm");
        let values: Vec<f32> = if is_ln && key.ends_with("weight") {
            (0..n).map(|_| 1.0 + 0.1 * uniform()).collect()
        } else if key.ends_with("bias") || key.ends_with("gamma") {
            (0..n).map(|_| 0.05 * uniform()).collect()
        } else {
            // Uniform(-a, a) has variance a²/3: a = sqrt(3 / fan_in) gives variance 1/fan_in.
            let a = (3.0 / fan_in.max(1) as f32).sqrt();
            (0..n).map(|_| a * uniform()).collect()
        };
        tensors.push((key, Tensor::from_vec(values, shape, &Device::Cpu)?));
    }
    tensors.push(("logit_scale".to_string(), Tensor::new(2.659_26f32, &Device::Cpu)?));
    let path = dir.join("model.safetensors");
    write_safetensors_atomic(&tensors, HashMap::new(), &path)?;
    write_file_atomic(cfg.to_json_string().as_bytes(), &dir.join(CONFIG_FILE))?;
    Ok(path)
}
