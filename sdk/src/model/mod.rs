//! PE Core CLIP in candle: configuration, checkpoint loading, the two towers and `split`.
//!
//! The image tower and the text tower load and run independently: a phone loads only
//! [`VisionTower`] from `image-tower.safetensors`; the offline compiler loads only [`TextTower`].
//! [`PeCore`] bundles whichever towers a model has, with the tokenizer and `logit_scale`.

mod config;
mod layers;
mod rope;
mod text;
mod vision;
mod weights;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use candle_core::{DType, Device, Tensor};
use sha2::{Digest, Sha256};

pub use config::{PeCoreConfig, TextConfig, VisionConfig};
pub use layers::l2_normalize;
pub use rope::rope_angles;
pub use text::TextTower;
pub use vision::{TowerStageTimes, VisionTower};
use weights::{Checkpoint, Tower};

use crate::tokenizer::{ClipTokenizer, TokenizedText};
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

    fn open_tower(&self, tower: Tower) -> Result<Checkpoint> {
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

    /// The model fingerprint: recorded by `split` in both halves, otherwise computed as
    /// SHA-256 over the architecture config, the weight file bytes and the tokenizer vocabulary.
    /// Two halves that record different fingerprints are an error.
    pub fn fingerprint(&self) -> Result<String> {
        let mut recorded = Vec::new();
        if let WeightFiles::Split { image, text } = &self.weights {
            for f in image.iter().chain(text.iter()) {
                let ckpt = Checkpoint::open(f)?;
                match ckpt.metadata.get(FINGERPRINT_KEY) {
                    Some(fp) => recorded.push((f.clone(), fp.clone())),
                    None => {
                        return Err(Error::Checkpoint {
                            path: f.clone(),
                            reason: format!("split file without a {FINGERPRINT_KEY} entry"),
                        })
                    }
                }
            }
            if let Some((first_path, first)) = recorded.first() {
                if let Some((p, fp)) = recorded.iter().find(|(_, fp)| fp != first) {
                    return Err(Error::ModelSource {
                        path: p.clone(),
                        reason: format!(
                            "the halves come from different checkpoints: {} records {first}, {} records {fp}",
                            first_path.display(),
                            p.display()
                        ),
                    });
                }
                return Ok(first.clone());
            }
        }
        let WeightFiles::Checkpoint(file) = &self.weights else {
            return Err(Error::ModelSource { path: PathBuf::new(), reason: "no weights".into() });
        };
        let mut h = Sha256::new();
        h.update(b"pelabel-fingerprint-v1\n");
        h.update(arch_json(&self.config).as_bytes());
        let mut f = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(|e| Error::io(file, e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        if self.config.text.is_some() {
            h.update(self.load_tokenizer()?.fingerprint_bytes());
        }
        Ok(hex::encode(h.finalize()))
    }
}

/// The architecture part of a config, canonical JSON: no display name, and derived sizes resolved
/// (`mlp_ratio` → `mlp_width`, default pooler width), so a preset and a `config.json` describing
/// the same model give the same fingerprint.
fn arch_json(cfg: &PeCoreConfig) -> String {
    let mut c = cfg.clone();
    c.name = None;
    c.vision.mlp_width = Some(c.vision.mlp_width());
    c.vision.mlp_ratio = None;
    c.vision.attn_pooler_mlp_width = Some(c.vision.pooler_mlp_width());
    if let Some(t) = c.text.as_mut() {
        t.mlp_width = Some(t.mlp_width());
        t.mlp_ratio = None;
    }
    serde_json::to_string(&c).unwrap_or_default()
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

fn read_logit_scale(ckpt: &Checkpoint, device: &Device) -> Result<Option<f32>> {
    if !ckpt.contains("logit_scale") {
        return Ok(None);
    }
    let t = ckpt.get_f32("logit_scale", device)?.flatten_all()?;
    let v = t.to_vec1::<f32>()?;
    Ok(v.first().copied())
}

impl VisionTower {
    /// Loads only the image tower of a model (the phone path).
    pub fn load(files: &ModelFiles, device: &Device) -> Result<Self> {
        Ok(load_vision(files, device)?.0)
    }

    /// Loads the image tower on the original candle-ops engine: the reference the fast engine is
    /// tested against and the baseline of the benchmarks. Always `f32`.
    #[doc(hidden)]
    pub fn load_candle_reference(files: &ModelFiles, device: &Device) -> Result<Self> {
        let ckpt = files.open_tower(Tower::Vision)?;
        ckpt.check_head_bias(device)?;
        let map = ckpt.load_towers(&[Tower::Vision], device)?;
        VisionTower::from_tensors_candle(&files.config.vision, &map, device)
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
    Ok((TextTower::from_tensors(cfg, &map, device)?, scale))
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

/// On-disk dtype for [`split_checkpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageDType {
    /// 32-bit float.
    F32,
    /// IEEE half (default: halves the size, embeddings within ~1e-3 relative).
    F16,
    /// bfloat16.
    BF16,
}

impl StorageDType {
    fn dtype(self) -> DType {
        match self {
            StorageDType::F32 => DType::F32,
            StorageDType::F16 => DType::F16,
            StorageDType::BF16 => DType::BF16,
        }
    }
}

impl std::str::FromStr for StorageDType {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" => Ok(Self::F32),
            "f16" | "float16" => Ok(Self::F16),
            "bf16" | "bfloat16" => Ok(Self::BF16),
            other => Err(format!("unknown dtype {other:?} (expected f32, f16 or bf16)")),
        }
    }
}

/// What [`split_checkpoint`] wrote.
#[derive(Debug, Clone)]
pub struct SplitReport {
    /// Every file written, with its size in bytes.
    pub files: Vec<(PathBuf, u64)>,
    /// The fingerprint recorded in both halves.
    pub fingerprint: String,
}

/// Writes `tensors` as safetensors atomically (a uniquely named temporary file in the same
/// directory, synced, then renamed over `path`).
fn write_safetensors_atomic(tensors: &[(String, Tensor)], meta: HashMap<String, String>, path: &Path) -> Result<()> {
    let bytes = safetensors::serialize(tensors.iter().map(|(k, t)| (k.as_str(), t)), Some(meta))
        .map_err(|e| Error::Checkpoint { path: path.to_path_buf(), reason: format!("writing: {e}") })?;
    write_file_atomic(&bytes, path)
}

fn write_file_atomic(bytes: &[u8], path: &Path) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(|e| Error::io(tmp.path(), e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Splits a model into `image-tower.safetensors` (vision keys + `logit_scale`),
/// `text-tower.safetensors` (text keys + `logit_scale`), `config.json` and `tokenizer.json`, in the
/// official key layout and the given dtype. Both halves record the source's fingerprint.
pub fn split_checkpoint(files: &ModelFiles, out_dir: &Path, dtype: StorageDType) -> Result<SplitReport> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let fingerprint = files.fingerprint()?;
    let device = Device::Cpu;
    let mut written = Vec::new();
    let mut halves: Vec<(Tower, &str)> = vec![(Tower::Vision, IMAGE_TOWER_FILE)];
    let has_text = files.config.text.is_some()
        && match files.text_weights() {
            Some(p) => Checkpoint::open(p)?.has_tower(Tower::Text),
            None => false,
        };
    if has_text {
        halves.push((Tower::Text, TEXT_TOWER_FILE));
    }
    for (tower, name) in halves {
        let ckpt = files.open_tower(tower)?;
        if tower == Tower::Vision {
            ckpt.check_head_bias(&device)?;
        }
        let mut tensors = Vec::new();
        for key in ckpt.keys() {
            let belongs = key == "logit_scale" || key.starts_with("visual.") == (tower == Tower::Vision);
            if belongs {
                let t = ckpt.get_raw(key, &device)?.to_dtype(dtype.dtype())?;
                tensors.push((key.clone(), t));
            }
        }
        let meta = HashMap::from([
            (FINGERPRINT_KEY.to_string(), fingerprint.clone()),
            ("pelabel.tower".to_string(), if tower == Tower::Vision { "image" } else { "text" }.to_string()),
            ("pelabel.format".to_string(), "pelabel-split-v1".to_string()),
            ("format".to_string(), "pt".to_string()),
        ]);
        let path = out_dir.join(name);
        write_safetensors_atomic(&tensors, meta, &path)?;
        written.push(path);
    }
    let config_path = out_dir.join(CONFIG_FILE);
    write_file_atomic(files.config.to_json_string().as_bytes(), &config_path)?;
    written.push(config_path);
    if has_text {
        let tok_path = out_dir.join(TOKENIZER_FILE);
        write_file_atomic(&files.load_tokenizer()?.to_json_bytes()?, &tok_path)?;
        written.push(tok_path);
    } else {
        // A text half left in a reused directory by an earlier split would pair with this image
        // half and fail the fingerprint check later; remove it now.
        for stale in [TEXT_TOWER_FILE, TOKENIZER_FILE] {
            let p = out_dir.join(stale);
            if p.is_file() {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
    }
    let files = written
        .into_iter()
        .map(|p| {
            let len = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?.len();
            Ok((p, len))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SplitReport { files, fingerprint })
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
