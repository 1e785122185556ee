//! Where a model lives: resolving a path to its config, weight files and tokenizer.

use std::path::{Path, PathBuf};

use super::config::PeCoreConfig;
use super::weights::{Checkpoint, Tower};
use crate::tokenizer::ClipTokenizer;
use crate::{Error, Result};

/// File name of the image half written by [`split_checkpoint`].
pub const IMAGE_TOWER_FILE: &str = "image-tower.safetensors";
/// File name of the text half written by [`split_checkpoint`].
pub const TEXT_TOWER_FILE: &str = "text-tower.safetensors";
/// File name of the model config.
pub const CONFIG_FILE: &str = "config.json";
/// File name of the tokenizer written by [`split_checkpoint`] (Hugging Face `tokenizers` JSON).
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Safetensors metadata key holding the model fingerprint.
pub const FINGERPRINT_KEY: &str = "pelabel.fingerprint";

/// Where a model's weights live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightFiles {
    /// One checkpoint holding both towers (official or open_clip layout, safetensors or `.pt`).
    Checkpoint(PathBuf),
    /// The halves written by `pelabel split`; either may be absent.
    Split {
        /// `image-tower.safetensors`.
        image: Option<PathBuf>,
        /// `text-tower.safetensors`.
        text: Option<PathBuf>,
    },
}

/// A model on disk: its config and the files that hold its weights and tokenizer.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    /// The resolved configuration.
    pub config: PeCoreConfig,
    /// Where the config came from (`None` for a preset).
    pub config_path: Option<PathBuf>,
    /// The weights.
    pub weights: WeightFiles,
    /// A `tokenizer.json`, when the model directory has one (otherwise the bundled CLIP BPE).
    pub tokenizer: Option<PathBuf>,
}

const CHECKPOINT_NAMES: &[&str] =
    &["model.safetensors", "open_clip_model.safetensors", "model.pt", "open_clip_pytorch_model.bin"];

fn is_weight_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("safetensors" | "pt" | "pth" | "bin")
    )
}

impl ModelFiles {
    /// Resolves a model path:
    /// - a directory written by `pelabel split` (`image-tower.safetensors` and/or
    ///   `text-tower.safetensors` with `config.json`);
    /// - a checkpoint directory with `config.json` and one weights file (`model.safetensors`,
    ///   `open_clip_model.safetensors`, `model.pt`, ... or a single `*.safetensors|pt|pth|bin`);
    /// - a weights file: its config is a `config.json` beside it, else `preset`, else the preset
    ///   named in the file name (`PE-Core-S16-384.pt`).
    pub fn discover(path: &Path, preset: Option<&str>) -> Result<Self> {
        let src_err = |reason: String| Error::ModelSource { path: path.to_path_buf(), reason };
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let (dir, weights) = if meta.is_dir() {
            let image = path.join(IMAGE_TOWER_FILE);
            let text = path.join(TEXT_TOWER_FILE);
            if image.is_file() || text.is_file() {
                let weights = WeightFiles::Split {
                    image: image.is_file().then_some(image),
                    text: text.is_file().then_some(text),
                };
                (path.to_path_buf(), weights)
            } else {
                let named = CHECKPOINT_NAMES.iter().map(|n| path.join(n)).find(|p| p.is_file());
                let file = match named {
                    Some(f) => f,
                    None => {
                        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                            .map_err(|e| Error::io(path, e))?
                            .filter_map(|e| e.ok().map(|e| e.path()))
                            .filter(|p| p.is_file() && is_weight_file(p))
                            .collect();
                        found.sort();
                        match found.len() {
                            1 => found.remove(0),
                            0 => {
                                return Err(src_err(
                                    "no weights found (expected image-tower.safetensors / text-tower.safetensors, \
                                     model.safetensors, model.pt, or one *.safetensors|*.pt|*.pth|*.bin file)"
                                        .into(),
                                ))
                            }
                            _ => {
                                return Err(src_err(format!(
                                    "several weight files, name one of them: {}",
                                    found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                                )))
                            }
                        }
                    }
                };
                (path.to_path_buf(), WeightFiles::Checkpoint(file))
            }
        } else {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
            (dir, WeightFiles::Checkpoint(path.to_path_buf()))
        };
        let config_file = dir.join(CONFIG_FILE);
        let (config, config_path) = if config_file.is_file() {
            (PeCoreConfig::from_file(&config_file)?, Some(config_file))
        } else if let Some(name) = preset {
            (PeCoreConfig::preset(name)?, None)
        } else if let Some(cfg) = match &weights {
            WeightFiles::Checkpoint(f) => PeCoreConfig::preset_from_file_name(f),
            WeightFiles::Split { .. } => None,
        } {
            (cfg, None)
        } else {
            return Err(src_err(format!(
                "no {CONFIG_FILE} next to the weights and no preset given (known presets: {})",
                PeCoreConfig::preset_names().join(", ")
            )));
        };
        let tokenizer = Some(dir.join(TOKENIZER_FILE)).filter(|p| p.is_file());
        Ok(Self { config, config_path, weights, tokenizer })
    }

    /// The file holding the image tower, if any.
    pub fn image_weights(&self) -> Option<&Path> {
        match &self.weights {
            WeightFiles::Checkpoint(p) => Some(p),
            WeightFiles::Split { image, .. } => image.as_deref(),
        }
    }

    /// The file holding the text tower, if any.
    pub fn text_weights(&self) -> Option<&Path> {
        match &self.weights {
            WeightFiles::Checkpoint(p) => Some(p),
            WeightFiles::Split { text, .. } => text.as_deref(),
        }
    }

    /// Loads the tokenizer: the model's `tokenizer.json` if present, else the bundled CLIP BPE.
    pub fn load_tokenizer(&self) -> Result<ClipTokenizer> {
        match &self.tokenizer {
            Some(p) => ClipTokenizer::from_file(p),
            None => bundled_tokenizer(),
        }
    }

    pub(crate) fn open_tower(&self, tower: Tower) -> Result<Checkpoint> {
        let (file, name) = match tower {
            Tower::Vision => (self.image_weights(), "image"),
            Tower::Text => (self.text_weights(), "text"),
        };
        let file = file.ok_or_else(|| Error::TowerUnavailable {
            tower: name,
            reason: format!(
                "the model directory has no {}",
                if name == "image" { IMAGE_TOWER_FILE } else { TEXT_TOWER_FILE }
            ),
        })?;
        if tower == Tower::Text && self.config.text.is_none() {
            return Err(Error::TowerUnavailable { tower: "text", reason: "the config has no text tower".into() });
        }
        let ckpt = Checkpoint::open(file)?;
        ckpt.validate(&self.config, &[tower])?;
        Ok(ckpt)
    }
}

#[cfg(feature = "bundled-tokenizer")]
fn bundled_tokenizer() -> Result<ClipTokenizer> {
    ClipTokenizer::bundled()
}

#[cfg(not(feature = "bundled-tokenizer"))]
fn bundled_tokenizer() -> Result<ClipTokenizer> {
    Err(Error::Tokenizer {
        reason: "the model has no tokenizer.json and pelabel was built without the bundled-tokenizer feature".into(),
    })
}
