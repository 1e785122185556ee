//! The PE Core text tower (reference §6): token + position embedding, causal pre-norm blocks,
//! `ln_final`, pooling at the first end-of-text token, bias-free projection.

use std::collections::HashMap;

use candle_core::{Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm};

use super::config::TextConfig;
use super::layers::{Block, Weights};
use crate::{Error, Result};

/// The text tower (weights only; tokenisation lives in [`crate::ClipTokenizer`]).
pub struct TextTower {
    cfg: TextConfig,
    device: Device,
    token_embedding: Embedding,
    positional_embedding: Tensor,
    blocks: Vec<Block>,
    ln_final: LayerNorm,
    /// `[t, D]`.
    text_projection: Tensor,
}

impl std::fmt::Debug for TextTower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTower").field("cfg", &self.cfg).finish_non_exhaustive()
    }
}

impl TextTower {
    /// Builds the tower from validated official-name f32 tensors.
    pub(crate) fn from_tensors(cfg: &TextConfig, map: &HashMap<String, Tensor>, device: &Device) -> Result<Self> {
        let w = Weights::new(map, "");
        let blocks = (0..cfg.layers)
            .map(|i| Block::new(&w.pp(&format!("transformer.resblocks.{i}")), cfg.width, cfg.heads, cfg.layernorm_eps))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            cfg: cfg.clone(),
            device: device.clone(),
            token_embedding: Embedding::new(w.get("token_embedding.weight")?, cfg.width),
            positional_embedding: w.get("positional_embedding")?,
            blocks,
            ln_final: w.layer_norm("ln_final", cfg.layernorm_eps)?,
            text_projection: w.get("text_projection")?,
        })
    }

    /// The tower's configuration.
    pub fn config(&self) -> &TextConfig {
        &self.cfg
    }

    /// Raw text embeddings (before L2 normalisation) of tokenised prompts.
    ///
    /// `ids`: one row of exactly `context_length` ids per prompt (start token, BPE ids, end token,
    /// padding), as produced by the tokenizer. Every row must contain the end-of-text id; the
    /// embedding is pooled at its **first** occurrence. Returns `[B, D]` f32.
    pub fn encode_ids(&self, ids: &[Vec<u32>]) -> Result<Tensor> {
        let ctx = self.cfg.context_length;
        if ids.is_empty() {
            return Err(Error::Tokenizer { reason: "no prompts to encode".into() });
        }
        let mut eots = Vec::with_capacity(ids.len());
        for (i, row) in ids.iter().enumerate() {
            if row.len() != ctx {
                return Err(Error::Tokenizer {
                    reason: format!("prompt {i} has {} token ids, the text tower takes exactly {ctx}", row.len()),
                });
            }
            if let Some(bad) = row.iter().find(|&&id| id as usize >= self.cfg.vocab_size) {
                return Err(Error::Tokenizer {
                    reason: format!("prompt {i} has token id {bad} outside the vocabulary ({})", self.cfg.vocab_size),
                });
            }
            // Reference §6.5: pool at the first EOT, not at an argmax tie rule.
            let eot = row.iter().position(|&id| id == self.cfg.eot_id).ok_or_else(|| Error::Tokenizer {
                reason: format!("prompt {i} has no end-of-text token ({})", self.cfg.eot_id),
            })?;
            eots.push(eot);
        }
        // Causality: tokens after the last EOT cannot influence any EOT row, so run only up to it.
        let n = eots.iter().max().copied().unwrap_or(0) + 1;
        let b = ids.len();
        let flat: Vec<u32> = ids.iter().flat_map(|r| r[..n].iter().copied()).collect();
        let ids_t = Tensor::from_vec(flat, (b, n), &self.device)?;
        let mut x = self.token_embedding.forward(&ids_t)?;
        x = x.broadcast_add(&self.positional_embedding.narrow(0, 0, n)?)?;
        let mask = causal_mask(n, &self.device)?;
        for block in &self.blocks {
            x = block.forward(&x, None, Some(&mask))?;
        }
        let x = self.ln_final.forward(&x)?;
        let rows: Vec<u32> = eots.iter().enumerate().map(|(i, &e)| (i * n + e) as u32).collect();
        let rows = Tensor::from_vec(rows, b, &self.device)?;
        let pooled = x.reshape((b * n, self.cfg.width))?.index_select(&rows, 0)?;
        Ok(pooled.matmul(&self.text_projection)?)
    }
}

/// Additive causal mask `[n, n]`: 0 on and below the diagonal, −∞ above.
pub(crate) fn causal_mask(n: usize, device: &Device) -> Result<Tensor> {
    let data: Vec<f32> =
        (0..n).flat_map(|i| (0..n).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 })).collect();
    Ok(Tensor::from_vec(data, (n, n), device)?)
}
