//! The model fingerprint: what label packs record so a pack is never used with another model.

use std::io::Read;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::config::PeCoreConfig;
use super::files::{ModelFiles, WeightFiles, FINGERPRINT_KEY};
use super::weights::Checkpoint;
use crate::{Error, Result};

impl ModelFiles {
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
