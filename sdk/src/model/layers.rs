//! Building blocks shared by both towers: pre-norm transformer blocks with optional RoPE, causal
//! mask and LayerScale, and the attention-pooling head.
//!
//! Field names mirror the official checkpoint names (`ln_1`, `attn.in_proj_weight`, `mlp.c_fc`, ...).

use std::collections::HashMap;

use candle_core::{Module, Tensor, D};
use candle_nn::{LayerNorm, Linear};

use crate::{Error, Result};

/// Official-name tensor map (f32) with a prefix, so block constructors read like the checkpoint.
pub(crate) struct Weights<'a> {
    pub(crate) map: &'a HashMap<String, Tensor>,
    pub(crate) prefix: String,
}

impl<'a> Weights<'a> {
    pub(crate) fn new(map: &'a HashMap<String, Tensor>, prefix: &str) -> Self {
        Self { map, prefix: prefix.to_string() }
    }

    pub(crate) fn pp(&self, sub: &str) -> Weights<'a> {
        Weights { map: self.map, prefix: format!("{}{sub}.", self.prefix) }
    }

    pub(crate) fn get(&self, name: &str) -> Result<Tensor> {
        let key = format!("{}{name}", self.prefix);
        self.map.get(&key).cloned().ok_or(Error::MissingTensor { key, expected: vec![] })
    }

    pub(crate) fn get_opt(&self, name: &str) -> Option<Tensor> {
        self.map.get(&format!("{}{name}", self.prefix)).cloned()
    }

    pub(crate) fn linear(&self, name: &str) -> Result<Linear> {
        let w = self.pp(name);
        Ok(Linear::new(w.get("weight")?, Some(w.get("bias")?)))
    }

    pub(crate) fn layer_norm(&self, name: &str, eps: f64) -> Result<LayerNorm> {
        let w = self.pp(name);
        Ok(LayerNorm::new(w.get("weight")?, w.get("bias")?, eps))
    }
}

/// Linear → exact (erf) GELU → Linear.
pub(crate) struct Mlp {
    c_fc: Linear,
    c_proj: Linear,
}

impl Mlp {
    pub(crate) fn new(w: &Weights, fc: &str, proj: &str) -> Result<Self> {
        Ok(Self { c_fc: w.linear(fc)?, c_proj: w.linear(proj)? })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        // Reference §12: the exact erf GELU, not candle's default tanh approximation.
        Ok(self.c_proj.forward(&self.c_fc.forward(x)?.gelu_erf()?)?)
    }
}

/// Rotary tables for one grid: `cos`, `sin` `[N, d/2]`.
pub(crate) struct Rope<'a> {
    pub(crate) cos: &'a Tensor,
    pub(crate) sin: &'a Tensor,
}

/// Multi-head self-attention with a packed `in_proj` (rows q | k | v).
pub(crate) struct SelfAttention {
    in_proj: Linear,
    out_proj: Linear,
    heads: usize,
    head_dim: usize,
}

impl SelfAttention {
    pub(crate) fn new(w: &Weights, width: usize, heads: usize) -> Result<Self> {
        let a = w.pp("attn");
        Ok(Self {
            in_proj: Linear::new(a.get("in_proj_weight")?, Some(a.get("in_proj_bias")?)),
            out_proj: a.linear("out_proj")?,
            heads,
            head_dim: width / heads,
        })
    }

    /// `x` `[B, N, w]` → `[B, N, w]`. `mask` is additive `[N, N]`.
    pub(crate) fn forward(&self, x: &Tensor, rope: Option<&Rope>, mask: Option<&Tensor>) -> Result<Tensor> {
        let (b, n, w) = x.dims3()?;
        let qkv = self.in_proj.forward(x)?.reshape((b, n, 3, self.heads, self.head_dim))?;
        let qkv = qkv.permute((2, 0, 3, 1, 4))?; // [3, B, H, N, d]
        let mut q = qkv.get(0)?.contiguous()?;
        let mut k = qkv.get(1)?.contiguous()?;
        let v = qkv.get(2)?.contiguous()?;
        if let Some(r) = rope {
            q = candle_nn::rotary_emb::rope_i(&q, r.cos, r.sin)?;
            k = candle_nn::rotary_emb::rope_i(&k, r.cos, r.sin)?;
        }
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let mut scores = (q.matmul(&k.t()?)? * scale)?;
        if let Some(m) = mask {
            scores = scores.broadcast_add(m)?;
        }
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, n, w))?;
        Ok(self.out_proj.forward(&out)?)
    }
}

/// Pre-norm transformer block: `x + γ₁·Attn(LN₁ x)`, then `x + γ₂·MLP(LN₂ x)`.
pub(crate) struct Block {
    ln_1: LayerNorm,
    attn: SelfAttention,
    ln_2: LayerNorm,
    mlp: Mlp,
    ls_1: Option<Tensor>,
    ls_2: Option<Tensor>,
}

impl Block {
    pub(crate) fn new(w: &Weights, width: usize, heads: usize, eps: f64) -> Result<Self> {
        Ok(Self {
            ln_1: w.layer_norm("ln_1", eps)?,
            attn: SelfAttention::new(w, width, heads)?,
            ln_2: w.layer_norm("ln_2", eps)?,
            mlp: Mlp::new(&w.pp("mlp"), "c_fc", "c_proj")?,
            ls_1: w.get_opt("ls_1.gamma"),
            ls_2: w.get_opt("ls_2.gamma"),
        })
    }

    pub(crate) fn forward(&self, x: &Tensor, rope: Option<&Rope>, mask: Option<&Tensor>) -> Result<Tensor> {
        let mut a = self.attn.forward(&self.ln_1.forward(x)?, rope, mask)?;
        if let Some(g) = &self.ls_1 {
            a = a.broadcast_mul(g)?;
        }
        let x = (x + a)?;
        let mut m = self.mlp.forward(&self.ln_2.forward(&x)?)?;
        if let Some(g) = &self.ls_2 {
            m = m.broadcast_mul(g)?;
        }
        Ok((x + m)?)
    }
}

/// Attention pooling (reference §5): one learned probe attends over all tokens with 8 heads; no
/// residual from the probe; then `y + MLP(LN(y))`.
pub(crate) struct AttentionPool {
    /// Projected probe `[1, 1, w]` (the probe enters only through `W_q`, so it is folded once).
    q: Tensor,
    kv: Linear,
    out_proj: Linear,
    layernorm: LayerNorm,
    mlp: Mlp,
    heads: usize,
    head_dim: usize,
}

impl AttentionPool {
    pub(crate) fn new(w: &Weights, width: usize, heads: usize, eps: f64) -> Result<Self> {
        let a = w.pp("attn");
        let in_w = a.get("in_proj_weight")?;
        let in_b = a.get("in_proj_bias")?;
        let probe = w.get("probe")?; // [1, 1, w]
        let q = Linear::new(in_w.narrow(0, 0, width)?, Some(in_b.narrow(0, 0, width)?)).forward(&probe)?;
        let kv = Linear::new(
            in_w.narrow(0, width, 2 * width)?.contiguous()?,
            Some(in_b.narrow(0, width, 2 * width)?.contiguous()?),
        );
        Ok(Self {
            q,
            kv,
            out_proj: a.linear("out_proj")?,
            layernorm: w.layer_norm("layernorm", eps)?,
            mlp: Mlp::new(&w.pp("mlp"), "c_fc", "c_proj")?,
            heads,
            head_dim: width / heads,
        })
    }

    /// `x` `[B, N, w]` → `[B, w]`.
    pub(crate) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (b, n, w) = x.dims3()?;
        let (h, d) = (self.heads, self.head_dim);
        let q = self.q.reshape((1, 1, h, d))?.transpose(1, 2)?.broadcast_as((b, h, 1, d))?.contiguous()?;
        let kv = self.kv.forward(x)?.reshape((b, n, 2, h, d))?.permute((2, 0, 3, 1, 4))?; // [2,B,H,N,d]
        let k = kv.get(0)?.contiguous()?;
        let v = kv.get(1)?.contiguous()?;
        let scores = (q.matmul(&k.t()?)? * (1.0 / (d as f64).sqrt()))?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let y = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, 1, w))?;
        let y = self.out_proj.forward(&y)?;
        let y = (&y + self.mlp.forward(&self.layernorm.forward(&y)?)?)?;
        Ok(y.squeeze(1)?)
    }
}

/// L2-normalises the last dim (eps 1e-12 like `F.normalize`).
pub fn l2_normalize(x: &Tensor) -> Result<Tensor> {
    let norm = x.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
    Ok(x.broadcast_div(&norm)?)
}
