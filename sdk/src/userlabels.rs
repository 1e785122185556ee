//! Labels typed on the device: a [`TextEncoder`] (the text tower and tokenizer of a `pelabel
//! split` directory, int8 where the CPU has the kernel) turns a user's words into a
//! [`UserLabel`], which [`crate::Labeler::add_user_label`] puts beside the signed pack.
//!
//! User labels are a local overlay: never written into a pack, never signed, kept when the signed
//! pack is swapped, each with its own threshold. A pack label with the same id wins (the user
//! label is not searched while such a pack is in use).

use serde::Serialize;

use crate::model::{ModelFiles, PeCore, Towers};
use crate::{Error, Precision, Result, MAX_ID_LEN};

/// Most user labels one [`crate::Labeler`] holds (each is searched exactly on every frame).
pub const MAX_USER_LABELS: usize = 1000;

/// Most prompts that describe one user label.
pub const MAX_USER_PROMPTS: usize = 64;

/// Longest user-label name, in bytes.
pub const MAX_USER_LABEL_NAME: usize = 256;

/// A label added on the device: its L2-normalised text embedding and its own threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserLabel {
    /// Stable id, unique among the user labels (1–128 bytes, no control characters).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Minimum cosine score for the label to be reported (`None`: only the call's own).
    pub min_score: Option<f32>,
    /// The label's embedding (L2-normalised by [`UserLabel::checked`]).
    pub embedding: Vec<f32>,
}

impl UserLabel {
    /// Validates the label for a model of embedding size `dim` and normalises its embedding.
    pub fn checked(mut self, dim: usize) -> Result<Self> {
        let bad = |reason: String| Error::InvalidUserLabel { id: self.id.chars().take(64).collect(), reason };
        if self.id.is_empty() || self.id.len() > MAX_ID_LEN || self.id.chars().any(char::is_control) {
            return Err(bad(format!("the id must be 1–{MAX_ID_LEN} bytes without control characters")));
        }
        if self.name.trim().is_empty()
            || self.name.len() > MAX_USER_LABEL_NAME
            || self.name.chars().any(char::is_control)
        {
            return Err(bad(format!("the name must be 1–{MAX_USER_LABEL_NAME} bytes without control characters")));
        }
        if let Some(m) = self.min_score {
            if !(-1.0..=1.0).contains(&m) {
                return Err(bad(format!("min_score {m} is outside [-1, 1]")));
            }
        }
        if self.embedding.len() != dim {
            return Err(bad(format!("the embedding has {} values, the model's have {dim}", self.embedding.len())));
        }
        let norm = self.embedding.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>().sqrt();
        if !norm.is_finite() || norm == 0.0 {
            return Err(bad("the embedding is zero or not finite".into()));
        }
        self.embedding.iter_mut().for_each(|v| *v = (f64::from(*v) / norm) as f32);
        Ok(self)
    }
}

/// The text tower and tokenizer of a model, for labels typed on the device.
pub struct TextEncoder {
    model: PeCore,
    fingerprint: String,
}

impl std::fmt::Debug for TextEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEncoder").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

impl TextEncoder {
    /// Loads the text tower and tokenizer of `model` (a `pelabel split` directory: its
    /// `text-tower.safetensors`, `tokenizer.json` and `config.json`) and selects `precision`
    /// (int8 falls back to f32 where the CPU has no int8 kernel: see [`TextEncoder::precision`]).
    /// At int8 the f32 copies of the linear weights are freed after quantising.
    pub fn open(model: &ModelFiles, precision: Precision) -> Result<Self> {
        let mut model = PeCore::load(model.clone(), Towers::Text, &crate::Device::Cpu)?;
        // At int8 the f32 copies of the linear weights are never read again: freed.
        if model.set_text_precision(precision)? == Precision::Int8 {
            model.drop_text_f32_weights()?;
        }
        let fingerprint = model.fingerprint()?;
        Ok(Self { model, fingerprint })
    }

    /// The model's fingerprint: a labeler accepts user labels of its own model only.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The text tower's precision in effect.
    pub fn precision(&self) -> Result<Precision> {
        Ok(self.model.text()?.precision())
    }

    /// The compute tier the text tower runs at.
    pub fn cpu(&self) -> Result<crate::Cpu> {
        Ok(self.model.text()?.cpu())
    }

    /// The embedding of a label described by `prompts`: the mean of their L2-normalised
    /// embeddings, L2-normalised (the prompt ensemble of `pelabel compile`).
    pub fn embed(&self, prompts: &[&str]) -> Result<Vec<f32>> {
        if prompts.is_empty() || prompts.len() > MAX_USER_PROMPTS {
            return Err(Error::Tokenizer {
                reason: format!("a user label takes 1–{} prompts, got {}", MAX_USER_PROMPTS, prompts.len()),
            });
        }
        let e = crate::l2_normalize(&self.model.encode_text(prompts)?)?.to_vec2::<f32>()?;
        let dim = e[0].len();
        let mut mean = vec![0f32; dim];
        for row in &e {
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        mean.iter_mut().for_each(|v| *v /= norm);
        Ok(mean)
    }

    /// A [`UserLabel`] from the user's words: `prompts` embedded and ensembled, checked.
    pub fn user_label(&self, id: &str, name: &str, prompts: &[&str], min_score: Option<f32>) -> Result<UserLabel> {
        let embedding = self.embed(prompts)?;
        let dim = embedding.len();
        UserLabel { id: id.into(), name: name.into(), min_score, embedding }.checked(dim)
    }
}
