//! The pieces of the compute-layer engine the towers share: linear layers on the packed kernels
//! (f32, bf16, int8), LayerNorm parameters, a pre-norm transformer block's weights, and buffer
//! helpers. `vision.rs` and `text.rs` run their forward passes with them.

use std::collections::HashMap;

use candle_core::Tensor;

use super::layers::Weights;
use crate::cpu::{
    self, add_bias_rows, layer_norm, matmul_rows, pack_rows_bf16, Cpu, Epilogue, PackedBf16, PackedF32, PackedI8,
    Precision, QuantRows,
};
use crate::{Error, Result};

/// The f32 weights of a linear layer: packed for pelabel's kernel from the AVX-512 tier up,
/// otherwise row-major `[k, n]` for `gemm`.
pub(crate) enum DenseWeights {
    Rows(Vec<f32>),
    Packed(PackedF32),
}

/// A linear layer as a `[k, n]` matrix (the transposed torch weight) with its bias, plus the
/// reduced-precision copy selected by [`VisionTower::set_precision`].
pub(crate) struct Dense {
    pub(crate) w: DenseWeights,
    pub(crate) b: Option<Vec<f32>>,
    pub(crate) k: usize,
    pub(crate) n: usize,
    pub(crate) bf16: Option<PackedBf16>,
    pub(crate) int8: Option<PackedI8>,
}

/// Per-call buffers of [`Dense::forward`] (quantised or rounded activations).
#[derive(Default)]
pub(crate) struct DenseScratch {
    a16: Vec<u32>,
    q8: QuantRows,
}

impl Dense {
    /// From a torch-layout weight `[n, k]` and bias `[n]`; `col_scale[n]` multiplies the outputs
    /// (LayerScale folded in: `γ ⊙ (xW + b) = x(W·diag γ) + γ ⊙ b`).
    pub(crate) fn new(cpu: Cpu, weight: &Tensor, bias: Option<&Tensor>, col_scale: Option<&[f32]>) -> Result<Self> {
        let (n, k) = weight.dims2()?;
        let mut w = weight.t()?.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let mut b = match bias {
            Some(b) => Some(b.flatten_all()?.to_vec1::<f32>()?),
            None => None,
        };
        if let Some(g) = col_scale {
            for row in w.chunks_exact_mut(n) {
                for (v, s) in row.iter_mut().zip(g) {
                    *v *= s;
                }
            }
            if let Some(b) = b.as_mut() {
                for (v, s) in b.iter_mut().zip(g) {
                    *v *= s;
                }
            }
        }
        let mut d = Self { w: DenseWeights::Rows(Vec::new()), b, k, n, bf16: None, int8: None };
        d.set_weights(cpu, w);
        Ok(d)
    }

    /// Stores the row-major `[k, n]` weights in the layout `cpu`'s kernels read.
    pub(crate) fn set_weights(&mut self, cpu: Cpu, w: Vec<f32>) {
        self.w = if cpu.has(crate::cpu::PACKED_F32) {
            DenseWeights::Packed(PackedF32::pack(&w, self.k, self.n))
        } else {
            DenseWeights::Rows(w)
        };
    }

    /// Moves the f32 weights to the layout of `cpu` (precision copies are reset by the caller).
    pub(crate) fn set_cpu(&mut self, cpu: Cpu) {
        let rows = match &self.w {
            DenseWeights::Rows(w) => w.clone(),
            DenseWeights::Packed(p) => (0..self.k * self.n).map(|i| p.at(i / self.n, i % self.n)).collect(),
        };
        self.set_weights(cpu, rows);
    }

    /// Weight `(r, c)` of the `[k, n]` matrix.
    pub(crate) fn weight_at(&self, r: usize, c: usize) -> f32 {
        match &self.w {
            DenseWeights::Rows(w) => w[r * self.n + c],
            DenseWeights::Packed(p) => p.at(r, c),
        }
    }

    /// Bytes of the weight buffers the layer holds (f32, bf16 and int8 copies, bias, scales).
    pub(crate) fn weight_bytes(&self) -> usize {
        let f32 = match &self.w {
            DenseWeights::Rows(w) => w.len() * 4,
            DenseWeights::Packed(p) => p.data.len() * 4,
        };
        let bf16 = self.bf16.as_ref().map_or(0, |p| p.data.len() * 4);
        let int8 = self.int8.as_ref().map_or(0, |p| (p.data.len() + p.scale.len() + p.colsum.len()) * 4);
        f32 + bf16 + int8 + self.b.as_ref().map_or(0, |b| b.len() * 4)
    }

    /// Frees the f32 weights when the int8 copy exists (the int8 kernel reads only that); true
    /// when freed. Afterwards only [`Dense::forward`] may be called: the tower that owns the layer
    /// stops changing its precision or tier (see `TextTower::drop_f32_weights`).
    pub(crate) fn drop_f32(&mut self) -> bool {
        if self.int8.is_none() {
            return false;
        }
        self.w = DenseWeights::Rows(Vec::new());
        true
    }

    /// Makes the reduced-precision copy `p` needs (none for f32), in the layout `cpu`'s kernel reads.
    pub(crate) fn set_precision(&mut self, cpu: Cpu, p: Precision) {
        let at = |r, c| self.weight_at(r, c);
        let bf16 = (p == Precision::Bf16).then(|| PackedBf16::pack_with(self.k, self.n, at));
        let int8 = (p == Precision::Int8).then(|| PackedI8::quantize(self.k, self.n, at).for_cpu(cpu));
        (self.bf16, self.int8) = (bf16, int8);
    }

    /// `out[m, n] = (accumulate ? out : 0) + x[m, k] · W + b`.
    pub(crate) fn forward(
        &self,
        cpu: Cpu,
        x: &[f32],
        m: usize,
        out: &mut [f32],
        accumulate: bool,
        scratch: &mut DenseScratch,
    ) {
        let out = &mut out[..m * self.n];
        let x = &x[..m * self.k];
        let ep = Epilogue { bias: self.b.as_deref(), accumulate };
        // The bf16 and gemm paths take the bias as the initial value of `out`.
        let prefill = |out: &mut [f32]| match &self.b {
            Some(b) => add_bias_rows(out, self.n, b, !accumulate),
            None if !accumulate => out.fill(0.0),
            None => {}
        };
        match (&self.int8, &self.bf16, &self.w) {
            (Some(q), _, _) => {
                scratch.q8.quantize(cpu, x, m, self.k);
                cpu::int8::matmul(cpu, &scratch.q8, q, out, self.n, ep, true);
            }
            (None, Some(p), _) => {
                prefill(out);
                pack_rows_bf16(cpu, x, m, self.k, &mut scratch.a16);
                cpu::bf16::matmul(cpu, &scratch.a16, m, p, out, self.n, true);
            }
            (None, None, DenseWeights::Packed(w)) => {
                cpu::packed_f32::matmul(cpu, x, m, self.k, w, out, self.n, ep, true)
            }
            (None, None, DenseWeights::Rows(w)) => {
                prefill(out);
                matmul_rows(x, m, self.k, w, self.n, out, true);
            }
        }
    }
}

pub(crate) struct LnParams {
    pub(crate) g: Vec<f32>,
    pub(crate) b: Vec<f32>,
    pub(crate) eps: f32,
}

impl LnParams {
    pub(crate) fn new(w: &Weights, name: &str, eps: f64) -> Result<Self> {
        let p = w.pp(name);
        Ok(Self {
            g: p.get("weight")?.flatten_all()?.to_vec1::<f32>()?,
            b: p.get("bias")?.flatten_all()?.to_vec1::<f32>()?,
            eps: eps as f32,
        })
    }

    pub(crate) fn apply(&self, cpu: Cpu, x: &[f32], out: &mut [f32]) {
        layer_norm(cpu, x, self.g.len(), &self.g, &self.b, self.eps, out);
    }
}

/// One pre-norm transformer block on the compute layer (vision and text share the layout).
pub(crate) struct FastBlock {
    pub(crate) ln_1: LnParams,
    pub(crate) qkv: Dense,
    pub(crate) out_proj: Dense,
    pub(crate) ln_2: LnParams,
    pub(crate) c_fc: Dense,
    pub(crate) c_proj: Dense,
}

impl FastBlock {
    pub(crate) fn new(cpu: Cpu, w: &Weights, eps: f64) -> Result<Self> {
        let vec = |t: Option<Tensor>| -> Result<Option<Vec<f32>>> {
            Ok(match t {
                Some(t) => Some(t.flatten_all()?.to_vec1::<f32>()?),
                None => None,
            })
        };
        let ls_1 = vec(w.get_opt("ls_1.gamma"))?;
        let ls_2 = vec(w.get_opt("ls_2.gamma"))?;
        let a = w.pp("attn");
        let m = w.pp("mlp");
        Ok(Self {
            ln_1: LnParams::new(w, "ln_1", eps)?,
            qkv: Dense::new(cpu, &a.get("in_proj_weight")?, Some(&a.get("in_proj_bias")?), None)?,
            out_proj: Dense::new(cpu, &a.get("out_proj.weight")?, Some(&a.get("out_proj.bias")?), ls_1.as_deref())?,
            ln_2: LnParams::new(w, "ln_2", eps)?,
            c_fc: Dense::new(cpu, &m.get("c_fc.weight")?, Some(&m.get("c_fc.bias")?), None)?,
            c_proj: Dense::new(cpu, &m.get("c_proj.weight")?, Some(&m.get("c_proj.bias")?), ls_2.as_deref())?,
        })
    }

    pub(crate) fn denses(&mut self) -> [&mut Dense; 4] {
        [&mut self.qkv, &mut self.out_proj, &mut self.c_fc, &mut self.c_proj]
    }
}

/// Refuses weights holding NaN or ±∞ (a typed error at load instead of NaN embeddings, or a
/// quantisation of garbage, on every frame).
pub(crate) fn check_finite(map: &HashMap<String, Tensor>, prefix: &str) -> Result<()> {
    let mut names: Vec<&String> = map.keys().filter(|k| k.starts_with(prefix)).collect();
    names.sort();
    for name in names {
        let t = &map[name];
        let t = if t.dtype() == candle_core::DType::F32 { t.clone() } else { t.to_dtype(candle_core::DType::F32)? };
        let bad = t.flatten_all()?.to_vec1::<f32>()?.iter().filter(|v| !v.is_finite()).count();
        if bad > 0 {
            return Err(Error::NonFiniteWeights { key: name.clone(), count: bad });
        }
    }
    Ok(())
}

pub(crate) fn sized(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if v.len() < n {
        v.resize(n, 0.0);
    }
    &mut v[..n]
}
