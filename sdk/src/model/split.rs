//! `pelabel split`: a checkpoint into the two tower files a phone and a compiler load separately.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use super::files::{ModelFiles, CONFIG_FILE, FINGERPRINT_KEY, IMAGE_TOWER_FILE, TEXT_TOWER_FILE, TOKENIZER_FILE};
use super::weights::{Checkpoint, Tower};
use crate::{Error, Result};

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
pub(crate) fn write_safetensors_atomic(
    tensors: &[(String, Tensor)],
    meta: HashMap<String, String>,
    path: &Path,
) -> Result<()> {
    let bytes = safetensors::serialize(tensors.iter().map(|(k, t)| (k.as_str(), t)), Some(meta))
        .map_err(|e| Error::Checkpoint { path: path.to_path_buf(), reason: format!("writing: {e}") })?;
    write_file_atomic(&bytes, path)
}

pub(crate) fn write_file_atomic(bytes: &[u8], path: &Path) -> Result<()> {
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
