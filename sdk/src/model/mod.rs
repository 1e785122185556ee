//! PE Core CLIP in candle: configuration, checkpoint loading, the two towers and `split`.
//!
//! The image tower and the text tower load and run independently: a phone loads only
//! [`VisionTower`] from `image-tower.safetensors`; the offline compiler loads only [`TextTower`].
//! [`PeCore`] bundles whichever towers a model has, with the tokenizer and `logit_scale`.

mod config;
mod fast;
mod files;
mod fingerprint;
mod layers;
#[cfg(feature = "pytorch")]
mod pickle;
mod rope;
mod split;
#[cfg(any(test, feature = "testing"))]
mod testing;
mod text;
mod vision;
mod weights;

use std::path::Path;
use std::sync::OnceLock;

use candle_core::{Device, Tensor};

pub use config::{PeCoreConfig, TextConfig, VisionConfig};
pub use files::{
    ModelFiles, WeightFiles, CONFIG_FILE, FINGERPRINT_KEY, IMAGE_TOWER_FILE, TEXT_TOWER_FILE, TOKENIZER_FILE,
};
pub use layers::l2_normalize;
pub use rope::rope_angles;
pub use split::{split_checkpoint, SplitReport, StorageDType};
#[cfg(any(test, feature = "testing"))]
pub use testing::write_random_checkpoint;
pub use text::TextTower;
#[cfg(any(test, feature = "testing"))]
pub use vision::TowerStageTimes;
pub use vision::VisionTower;
use weights::{Checkpoint, Tower};

use crate::tokenizer::{ClipTokenizer, TokenizedText};
use crate::{Error, Result};

/// Largest `|logit_scale|` accepted from a checkpoint or a label pack. Probabilities are the
/// softmax of `exp(logit_scale) · cosine` (computed in f64); trained CLIP models hold about
/// ln 100 ≈ 4.6 (open_clip clamps it there), while above ~709 `exp` overflows and every
/// probability becomes NaN. Found by the `pack` and `safetensors` fuzz targets (issue 9).
pub(crate) const MAX_ABS_LOGIT_SCALE: f32 = 100.0;

/// Why `value` cannot be a `logit_scale`, if it cannot: not finite, or outside
/// `±MAX_ABS_LOGIT_SCALE`.
pub(crate) fn logit_scale_problem(value: f32) -> Option<String> {
    if !value.is_finite() {
        Some(format!("logit_scale {value} is not finite"))
    } else if value.abs() > MAX_ABS_LOGIT_SCALE {
        Some(format!(
            "logit_scale {value} is outside [-{MAX_ABS_LOGIT_SCALE}, {MAX_ABS_LOGIT_SCALE}] (trained models hold about 4.6)"
        ))
    } else {
        None
    }
}

fn read_logit_scale(ckpt: &Checkpoint, device: &Device) -> Result<Option<f32>> {
    if !ckpt.contains("logit_scale") {
        return Ok(None);
    }
    let t = ckpt.get_f32("logit_scale", device)?.flatten_all()?;
    let Some(value) = t.to_vec1::<f32>()?.first().copied() else { return Ok(None) };
    if !value.is_finite() {
        return Err(Error::NonFiniteWeights { key: "logit_scale".into(), count: 1 });
    }
    if let Some(reason) = logit_scale_problem(value) {
        return Err(Error::Checkpoint { path: ckpt.path().to_path_buf(), reason });
    }
    Ok(Some(value))
}

impl VisionTower {
    /// Loads only the image tower of a model (the phone path).
    pub fn load(files: &ModelFiles, device: &Device) -> Result<Self> {
        Ok(load_vision(files, device)?.0)
    }
}

pub(crate) fn load_vision(files: &ModelFiles, device: &Device) -> Result<(VisionTower, Option<f32>)> {
    let ckpt = files.open_tower(Tower::Vision)?;
    vision_from_checkpoint(&ckpt, &files.config, device)
}

fn vision_from_checkpoint(
    ckpt: &Checkpoint,
    config: &PeCoreConfig,
    device: &Device,
) -> Result<(VisionTower, Option<f32>)> {
    ckpt.check_head_bias(device)?;
    let map = ckpt.load_towers(&[Tower::Vision], device)?;
    let scale = read_logit_scale(ckpt, device)?;
    Ok((VisionTower::from_tensors(&config.vision, &map, device)?, scale))
}

/// Loads the image tower from the bytes of an `image-tower.safetensors` written by `pelabel split`
/// and the text of its `config.json` (an app's bundled or downloaded model, no files needed).
/// Returns the tower, the model's `logit_scale` and the fingerprint recorded in the file.
pub(crate) fn load_vision_from_bytes(
    image_tower: Vec<u8>,
    config_json: &str,
    device: &Device,
) -> Result<(VisionTower, Option<f32>, String)> {
    let config = PeCoreConfig::from_json_str(config_json, None)?;
    let ckpt = Checkpoint::from_safetensors_bytes(image_tower, "<image-tower bytes>")?;
    let fingerprint = ckpt.metadata.get(FINGERPRINT_KEY).cloned().ok_or_else(|| Error::Checkpoint {
        path: "<image-tower bytes>".into(),
        reason: format!("no {FINGERPRINT_KEY} entry: pass the {IMAGE_TOWER_FILE} written by `pelabel split`"),
    })?;
    ckpt.validate(&config, &[Tower::Vision])?;
    let (tower, scale) = vision_from_checkpoint(&ckpt, &config, device)?;
    Ok((tower, scale, fingerprint))
}

impl TextTower {
    /// Loads only the text tower of a model (the offline compiler path).
    pub fn load(files: &ModelFiles, device: &Device) -> Result<Self> {
        Ok(load_text(files, device)?.0)
    }
}

fn load_text(files: &ModelFiles, device: &Device) -> Result<(TextTower, Option<f32>)> {
    let cfg = files
        .config
        .text
        .as_ref()
        .ok_or_else(|| Error::TowerUnavailable { tower: "text", reason: "the config has no text tower".into() })?;
    let ckpt = files.open_tower(Tower::Text)?;
    let map = ckpt.load_towers(&[Tower::Text], device)?;
    let scale = read_logit_scale(&ckpt, device)?;
    // The checkpoint's bytes are not read again: freed before the tower packs its weights.
    drop(ckpt);
    Ok((TextTower::from_tensors(cfg, map, device)?, scale))
}

/// Which towers [`PeCore::load`] loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Towers {
    /// Every tower the model has (a vision-only checkpoint gives just the image tower).
    Available,
    /// Only the image tower (error if absent).
    Image,
    /// Only the text tower and tokenizer (error if absent).
    Text,
}

/// A PE Core CLIP model: image tower, text tower + tokenizer, `logit_scale`.
pub struct PeCore {
    files: ModelFiles,
    vision: Option<VisionTower>,
    text: Option<TextTower>,
    tokenizer: Option<ClipTokenizer>,
    logit_scale: Option<f32>,
    device: Device,
    fingerprint: OnceLock<String>,
}

impl std::fmt::Debug for PeCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeCore")
            .field("config", &self.files.config)
            .field("vision", &self.vision.is_some())
            .field("text", &self.text.is_some())
            .finish_non_exhaustive()
    }
}

impl PeCore {
    /// Resolves `path` (see [`ModelFiles::discover`]) and loads the requested towers on the CPU.
    pub fn open(path: &Path, towers: Towers) -> Result<Self> {
        Self::load(ModelFiles::discover(path, None)?, towers, &Device::Cpu)
    }

    /// Loads the requested towers of a resolved model.
    pub fn load(files: ModelFiles, towers: Towers, device: &Device) -> Result<Self> {
        let want_vision = match towers {
            Towers::Image => true,
            Towers::Text => false,
            Towers::Available => files.image_weights().is_some(),
        };
        let want_text = match towers {
            Towers::Text => true,
            Towers::Image => false,
            Towers::Available => {
                files.config.text.is_some()
                    && match &files.weights {
                        WeightFiles::Split { text, .. } => text.is_some(),
                        WeightFiles::Checkpoint(p) => Checkpoint::open(p)?.has_tower(Tower::Text),
                    }
            }
        };
        let mut logit_scale = None;
        let vision = if want_vision {
            let (v, s) = load_vision(&files, device)?;
            logit_scale = logit_scale.or(s);
            Some(v)
        } else {
            None
        };
        let (text, tokenizer) = if want_text {
            let (t, s) = load_text(&files, device)?;
            logit_scale = logit_scale.or(s);
            (Some(t), Some(files.load_tokenizer()?))
        } else {
            (None, None)
        };
        Ok(Self { files, vision, text, tokenizer, logit_scale, device: device.clone(), fingerprint: OnceLock::new() })
    }

    /// The model's configuration.
    pub fn config(&self) -> &PeCoreConfig {
        &self.files.config
    }

    /// The files the model was loaded from.
    pub fn files(&self) -> &ModelFiles {
        &self.files
    }

    /// The device tensors live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Runs the towers (those loaded) at `cpu`'s tier; see [`VisionTower::set_cpu`].
    pub fn set_cpu(&mut self, cpu: crate::Cpu) {
        if let Some(v) = self.vision.as_mut() {
            v.set_cpu(cpu);
        }
        if let Some(t) = self.text.as_mut() {
            t.set_cpu(cpu);
        }
    }

    /// Selects the arithmetic of the text tower's linear layers ([`TextTower::set_precision`]);
    /// returns the precision in effect (`F32` where the CPU has no kernel for the one asked for).
    pub fn set_text_precision(&mut self, precision: crate::Precision) -> Result<crate::Precision> {
        let text =
            self.text.as_mut().ok_or_else(|| Error::TowerUnavailable { tower: "text", reason: "not loaded".into() })?;
        Ok(text.set_precision(precision))
    }

    /// Frees the text tower's f32 linear weights when it runs at int8 ([`TextTower::drop_f32_weights`]).
    pub fn drop_text_f32_weights(&mut self) -> Result<bool> {
        let text =
            self.text.as_mut().ok_or_else(|| Error::TowerUnavailable { tower: "text", reason: "not loaded".into() })?;
        Ok(text.drop_f32_weights())
    }

    /// Replaces the text tower (the benchmarks put the candle reference in its place).
    #[cfg(any(test, feature = "testing"))]
    pub fn replace_text_tower(&mut self, tower: TextTower) {
        self.text = Some(tower);
    }

    /// The image tower, if loaded.
    pub fn vision(&self) -> Result<&VisionTower> {
        self.vision.as_ref().ok_or_else(|| Error::TowerUnavailable { tower: "image", reason: "not loaded".into() })
    }

    /// The text tower, if loaded.
    pub fn text(&self) -> Result<&TextTower> {
        self.text.as_ref().ok_or_else(|| Error::TowerUnavailable { tower: "text", reason: "not loaded".into() })
    }

    /// The tokenizer, loaded with the text tower.
    pub fn tokenizer(&self) -> Result<&ClipTokenizer> {
        self.tokenizer.as_ref().ok_or_else(|| Error::TowerUnavailable { tower: "text", reason: "not loaded".into() })
    }

    /// The raw `logit_scale` parameter (log of the softmax temperature), if the weights have it.
    pub fn logit_scale(&self) -> Option<f32> {
        self.logit_scale
    }

    /// See [`ModelFiles::fingerprint`]; computed once.
    pub fn fingerprint(&self) -> Result<String> {
        if let Some(fp) = self.fingerprint.get() {
            return Ok(fp.clone());
        }
        let fp = self.files.fingerprint()?;
        Ok(self.fingerprint.get_or_init(|| fp).clone())
    }

    /// Raw image embeddings `[B, D]` of normalised pixel values `[B, 3, H, W]`.
    pub fn encode_image(&self, pixel_values: &Tensor) -> Result<Tensor> {
        self.vision()?.encode(pixel_values)
    }

    /// Tokenises prompts with the model's context length.
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<TokenizedText>> {
        let ctx = self.text()?.config().context_length;
        let tok = self.tokenizer()?;
        texts.iter().map(|t| tok.encode(t, ctx)).collect()
    }

    /// Raw text embeddings `[B, D]` of prompts.
    pub fn encode_text(&self, texts: &[&str]) -> Result<Tensor> {
        let ids: Vec<Vec<u32>> = self.tokenize(texts)?.into_iter().map(|t| t.ids).collect();
        self.text()?.encode_ids(&ids)
    }
}

/// Zero-shot scores (reference §7): L2-normalises both sides, `logits = exp(logit_scale) ·
/// img · txtᵀ` `[I, T]`, and `probs` = softmax of the logits over the texts `[I, T]`.
pub fn zero_shot_scores(image_embeds: &Tensor, text_embeds: &Tensor, logit_scale: f32) -> Result<(Tensor, Tensor)> {
    let img = l2_normalize(image_embeds)?;
    let txt = l2_normalize(text_embeds)?;
    let logits = (img.matmul(&txt.t()?)? * f64::from(logit_scale).exp())?;
    let probs = candle_nn::ops::softmax_last_dim(&logits)?;
    Ok((logits, probs))
}
