//! Model configuration: the facts of a PE Core checkpoint, read from `config.json` or a preset.
//!
//! The JSON format is the one of the reference fixtures (`shared/fixtures/pe-core/*/config.json`):
//! the official `PEConfig` / `PETextConfig` field names, plus derived values. Unknown fields
//! (notes, seeds, tool versions, derived sizes) are ignored, so every fixture directory and every
//! `pelabel split` output is read as it is. Presets for the five released variants live as data in
//! `models/presets/*.json` and are compiled in.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A complete PE Core CLIP configuration. `text` is `None` for vision-only checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeCoreConfig {
    /// Display name, e.g. `PE-Core-T16-384`.
    #[serde(default)]
    pub name: Option<String>,
    /// Vision tower.
    pub vision: VisionConfig,
    /// Text tower, absent for vision-only checkpoints.
    #[serde(default)]
    pub text: Option<TextConfig>,
}

/// Vision tower hyperparameters (official `PEConfig` names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisionConfig {
    /// Pretrain image side `S` in pixels (square).
    pub image_size: usize,
    /// Patch side `p` in pixels.
    pub patch_size: usize,
    /// Tower width `w`.
    pub width: usize,
    /// Number of transformer blocks `L`.
    pub layers: usize,
    /// Attention heads `H` (head dim `w/H`).
    pub heads: usize,
    /// MLP hidden width; when absent, `int(width * mlp_ratio)`.
    #[serde(default)]
    pub mlp_width: Option<usize>,
    /// MLP ratio, used only when `mlp_width` is absent.
    #[serde(default)]
    pub mlp_ratio: Option<f64>,
    /// Shared embedding dimension `D` (columns of `visual.proj`).
    pub output_dim: usize,
    /// Whether a class token is prepended (all PE-Core variants except G14-448).
    #[serde(default = "yes")]
    pub use_cls_token: bool,
    /// LayerScale initial value; `Some` means the blocks carry `ls_1.gamma` / `ls_2.gamma`.
    #[serde(default)]
    pub ls_init_value: Option<f64>,
    /// Learned absolute position embedding.
    #[serde(default = "yes")]
    pub use_abs_posemb: bool,
    /// 2D rotary position embedding on q and k.
    #[serde(default = "yes")]
    pub use_rope2d: bool,
    /// RoPE base θ.
    #[serde(default = "rope_theta")]
    pub rope_theta: f64,
    /// Pooling; only `"attn"` (attention pooling) exists in PE-Core.
    #[serde(default = "attn")]
    pub pool_type: String,
    /// Heads of the attention pooler (8 in every variant).
    #[serde(default = "eight")]
    pub attn_pooler_heads: usize,
    /// MLP width of the attention pooler; when absent `4 * width`.
    #[serde(default)]
    pub attn_pooler_mlp_width: Option<usize>,
    /// LayerNorm before the blocks.
    #[serde(default = "yes")]
    pub use_ln_pre: bool,
    /// LayerNorm after the blocks.
    #[serde(default = "yes")]
    pub use_ln_post: bool,
    /// LayerNorm epsilon.
    #[serde(default = "ln_eps")]
    pub layernorm_eps: f64,
}

/// Text tower hyperparameters (official `PETextConfig` names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextConfig {
    /// Context length `ctx` (token ids per prompt, padded).
    pub context_length: usize,
    /// Tower width `t`.
    pub width: usize,
    /// Number of transformer blocks.
    pub layers: usize,
    /// Attention heads.
    pub heads: usize,
    /// MLP hidden width; when absent `int(width * mlp_ratio)` (ratio defaults to 4).
    #[serde(default)]
    pub mlp_width: Option<usize>,
    /// MLP ratio, used only when `mlp_width` is absent.
    #[serde(default)]
    pub mlp_ratio: Option<f64>,
    /// Shared embedding dimension `D` (columns of `text_projection`).
    pub output_dim: usize,
    /// Vocabulary size (49408 for the CLIP BPE).
    #[serde(default = "vocab")]
    pub vocab_size: usize,
    /// Padding id.
    #[serde(default)]
    pub pad_id: u32,
    /// Start-of-text id.
    #[serde(default = "sot")]
    pub sot_id: u32,
    /// End-of-text id; the embedding is pooled at its first occurrence.
    #[serde(default = "eot")]
    pub eot_id: u32,
    /// LayerNorm epsilon.
    #[serde(default = "ln_eps")]
    pub layernorm_eps: f64,
}

fn yes() -> bool {
    true
}
fn rope_theta() -> f64 {
    10000.0
}
fn attn() -> String {
    "attn".into()
}
fn eight() -> usize {
    8
}
fn ln_eps() -> f64 {
    1e-5
}
fn vocab() -> usize {
    49408
}
fn sot() -> u32 {
    49406
}
fn eot() -> u32 {
    49407
}

/// The compiled-in presets: (file stem, JSON).
const PRESETS: &[(&str, &str)] = &[
    ("pe-core-t16-384", include_str!("../../../models/presets/pe-core-t16-384.json")),
    ("pe-core-s16-384", include_str!("../../../models/presets/pe-core-s16-384.json")),
    ("pe-core-b16-224", include_str!("../../../models/presets/pe-core-b16-224.json")),
    ("pe-core-l14-336", include_str!("../../../models/presets/pe-core-l14-336.json")),
    ("pe-core-g14-448", include_str!("../../../models/presets/pe-core-g14-448.json")),
];

impl PeCoreConfig {
    /// Names of the built-in presets, e.g. `PE-Core-T16-384`.
    pub fn preset_names() -> Vec<&'static str> {
        vec!["PE-Core-T16-384", "PE-Core-S16-384", "PE-Core-B16-224", "PE-Core-L14-336", "PE-Core-G14-448"]
    }

    /// A built-in preset by name. Accepts `PE-Core-T16-384`, `pe-core-t16-384` or `T16-384`
    /// (case-insensitive).
    pub fn preset(name: &str) -> Result<Self> {
        let key = name.trim().to_ascii_lowercase();
        let key = if key.starts_with("pe-core-") { key } else { format!("pe-core-{key}") };
        let json = PRESETS
            .iter()
            .find(|(stem, _)| *stem == key)
            .map(|(_, j)| *j)
            .ok_or_else(|| Error::UnknownPreset { name: name.to_string(), known: Self::preset_names().join(", ") })?;
        Self::from_json_str(json, None)
    }

    /// The preset whose name appears in a file name such as `PE-Core-S16-384.pt`, if any.
    pub fn preset_from_file_name(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let name = name.replace('_', "-");
        PRESETS
            .iter()
            .find(|(stem, _)| name.contains(&stem["pe-core-".len()..]))
            .and_then(|(stem, _)| Self::preset(stem).ok())
    }

    /// Parses and validates a config from JSON text. `path` is only used in error messages.
    pub fn from_json_str(json: &str, path: Option<&Path>) -> Result<Self> {
        let cfg: Self = serde_json::from_str(json).map_err(|e| Error::Config {
            path: path.map(Path::to_path_buf),
            reason: format!("line {} column {}: {e}", e.line(), e.column()),
        })?;
        cfg.validate().map_err(|reason| Error::Config { path: path.map(Path::to_path_buf), reason })?;
        Ok(cfg)
    }

    /// Reads and validates `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json_str(&text, Some(path))
    }

    /// The config as pretty JSON (the format `from_json_str` reads).
    pub fn to_json_string(&self) -> String {
        // Serialising plain data structs cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks the invariants the model code relies on; returns a human-readable reason.
    fn validate(&self) -> std::result::Result<(), String> {
        let v = &self.vision;
        let pos = |name: &str, x: usize| if x == 0 { Err(format!("vision.{name} must be > 0")) } else { Ok(()) };
        pos("image_size", v.image_size)?;
        pos("patch_size", v.patch_size)?;
        pos("width", v.width)?;
        pos("heads", v.heads)?;
        pos("output_dim", v.output_dim)?;
        pos("attn_pooler_heads", v.attn_pooler_heads)?;
        if v.image_size < v.patch_size {
            return Err(format!("vision.image_size {} is smaller than patch_size {}", v.image_size, v.patch_size));
        }
        if !v.width.is_multiple_of(v.heads) {
            return Err(format!("vision.width {} is not divisible by heads {}", v.width, v.heads));
        }
        if v.use_rope2d && !(v.width / v.heads).is_multiple_of(4) {
            return Err(format!(
                "2D RoPE needs a head dim divisible by 4, got {} (width {} / heads {})",
                v.width / v.heads,
                v.width,
                v.heads
            ));
        }
        if !v.width.is_multiple_of(v.attn_pooler_heads) {
            return Err(format!(
                "vision.width {} is not divisible by attn_pooler_heads {}",
                v.width, v.attn_pooler_heads
            ));
        }
        if v.pool_type != "attn" {
            return Err(format!("vision.pool_type {:?} is not supported (PE-Core uses \"attn\")", v.pool_type));
        }
        if v.vision_mlp_width_checked().is_none() {
            return Err("vision: neither a positive mlp_width nor a positive mlp_ratio".into());
        }
        if let Some(t) = &self.text {
            let pos = |name: &str, x: usize| if x == 0 { Err(format!("text.{name} must be > 0")) } else { Ok(()) };
            pos("context_length", t.context_length)?;
            pos("width", t.width)?;
            pos("heads", t.heads)?;
            pos("output_dim", t.output_dim)?;
            pos("vocab_size", t.vocab_size)?;
            if t.context_length < 2 {
                return Err("text.context_length must be at least 2 (start and end tokens)".into());
            }
            if t.width % t.heads != 0 {
                return Err(format!("text.width {} is not divisible by heads {}", t.width, t.heads));
            }
            for (name, id) in [("pad_id", t.pad_id), ("sot_id", t.sot_id), ("eot_id", t.eot_id)] {
                if id as usize >= t.vocab_size {
                    return Err(format!("text.{name} {id} is outside the vocabulary ({})", t.vocab_size));
                }
            }
            if t.mlp_width() == 0 {
                return Err("text: mlp width must be > 0".into());
            }
            if t.output_dim != v.output_dim {
                return Err(format!(
                    "text.output_dim {} differs from vision.output_dim {}: the towers must share one embedding space",
                    t.output_dim, v.output_dim
                ));
            }
        }
        Ok(())
    }

    /// Shared embedding dimension `D`.
    pub fn embed_dim(&self) -> usize {
        self.vision.output_dim
    }
}

impl VisionConfig {
    fn vision_mlp_width_checked(&self) -> Option<usize> {
        match (self.mlp_width, self.mlp_ratio) {
            (Some(m), _) if m > 0 => Some(m),
            (None, Some(r)) if r > 0.0 => Some((self.width as f64 * r) as usize).filter(|m| *m > 0),
            _ => None,
        }
    }

    /// MLP hidden width `m` (`int(w · ratio)` like the official code when only a ratio is given).
    pub fn mlp_width(&self) -> usize {
        self.vision_mlp_width_checked().unwrap_or(4 * self.width)
    }

    /// Head dimension `d = w / H`.
    pub fn head_dim(&self) -> usize {
        self.width / self.heads
    }

    /// Pretrain grid `G = S / p`.
    pub fn grid_size(&self) -> usize {
        self.image_size / self.patch_size
    }

    /// Rows of the stored position embedding: `cls + G²`.
    pub fn num_positions(&self) -> usize {
        self.grid_size() * self.grid_size() + usize::from(self.use_cls_token)
    }

    /// MLP width of the attention pooler (`4 · w` unless given).
    pub fn pooler_mlp_width(&self) -> usize {
        self.attn_pooler_mlp_width.unwrap_or(4 * self.width)
    }
}

impl TextConfig {
    /// MLP hidden width.
    pub fn mlp_width(&self) -> usize {
        match (self.mlp_width, self.mlp_ratio) {
            (Some(m), _) => m,
            (None, Some(r)) => (self.width as f64 * r) as usize,
            (None, None) => 4 * self.width,
        }
    }

    /// Head dimension.
    pub fn head_dim(&self) -> usize {
        self.width / self.heads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_with_reference_sizes() {
        let t = PeCoreConfig::preset("PE-Core-T16-384").unwrap();
        assert_eq!(t.vision.num_positions(), 577);
        assert_eq!(t.vision.head_dim(), 64);
        assert_eq!(t.text.as_ref().unwrap().context_length, 32);
        let g = PeCoreConfig::preset("g14-448").unwrap();
        assert!(!g.vision.use_cls_token);
        assert_eq!(g.vision.mlp_width(), 8960);
        assert_eq!(g.vision.pooler_mlp_width(), 6144);
        assert_eq!(g.vision.num_positions(), 1024);
        assert_eq!(g.text.as_ref().unwrap().context_length, 72);
        let b = PeCoreConfig::preset("pe-core-b16-224").unwrap();
        assert_eq!((b.vision.width, b.embed_dim()), (768, 1024));
        for name in PeCoreConfig::preset_names() {
            PeCoreConfig::preset(name).unwrap();
        }
    }

    #[test]
    fn unknown_preset_lists_known_ones() {
        let err = PeCoreConfig::preset("PE-Core-X99").unwrap_err();
        assert!(matches!(err, Error::UnknownPreset { .. }));
        assert!(err.to_string().contains("PE-Core-T16-384"));
    }

    #[test]
    fn preset_from_file_name() {
        let cfg = PeCoreConfig::preset_from_file_name(Path::new("/x/PE-Core-S16-384.pt")).unwrap();
        assert_eq!(cfg.vision.width, 384);
        assert!(PeCoreConfig::preset_from_file_name(Path::new("model.pt")).is_none());
    }

    #[test]
    fn mlp_width_from_ratio_truncates_like_python_int() {
        let mut cfg = PeCoreConfig::preset("t16-384").unwrap();
        cfg.vision.mlp_width = None;
        cfg.vision.mlp_ratio = Some(280.0 / 48.0);
        cfg.vision.width = 48;
        assert_eq!(cfg.vision.mlp_width(), 280);
    }

    #[test]
    fn invalid_configs_are_typed_errors() {
        let good = PeCoreConfig::preset("t16-384").unwrap();
        let mut bad = good.clone();
        bad.vision.heads = 5; // 192 % 5 != 0
        let err = PeCoreConfig::from_json_str(&bad.to_json_string(), None).unwrap_err();
        assert!(err.to_string().contains("not divisible"), "{err}");
        let mut bad = good.clone();
        bad.vision.pool_type = "avg".into();
        assert!(PeCoreConfig::from_json_str(&bad.to_json_string(), None).is_err());
        let mut bad = good.clone();
        bad.text.as_mut().unwrap().output_dim = 7;
        assert!(PeCoreConfig::from_json_str(&bad.to_json_string(), None).is_err());
        let err = PeCoreConfig::from_json_str("{\"vision\": {}}", Some(Path::new("c.json"))).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err}");
        assert!(err.to_string().contains("c.json"));
        assert!(PeCoreConfig::from_json_str("not json", None).is_err());
    }

    #[test]
    fn round_trips_through_json() {
        let cfg = PeCoreConfig::preset("l14-336").unwrap();
        let back = PeCoreConfig::from_json_str(&cfg.to_json_string(), None).unwrap();
        assert_eq!(cfg, back);
    }
}
