//! The PE Core text tower (reference §6): token + position embedding, causal pre-norm blocks,
//! `ln_final`, pooling at the first end-of-text token, bias-free projection.
//!
//! Two engines compute the same function, as for the image tower. The default runs on the compute
//! layer [`crate::cpu`]: the linear layers of every prompt of a batch as one matrix product on the
//! packed kernels (f32, or int8 with [`TextTower::set_precision`]), causal attention per prompt,
//! and only the rows that matter:
//! - a batch runs to the longest end-of-text position in it, not to the context length (exact:
//!   attention is causal and the embedding is pooled at the end-of-text token, so later tokens
//!   cannot change it);
//! - prompts are grouped by that length ([`TextTower::encode_ids`] sorts them), so a short prompt
//!   is not padded to a long neighbour's length;
//! - `ln_final` and the projection run on the pooled rows only (LayerNorm is per row).
//!
//! The candle engine is the original graph, kept as the reference and the benchmarks' "before"
//! ([`TextTower::from_tensors_candle`]).

use std::collections::HashMap;
use std::sync::Mutex;

use candle_core::{Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm};
use rayon::prelude::*;

use super::config::TextConfig;
use super::fast::{check_finite, sized, Dense, DenseScratch, FastBlock, LnParams};
use super::layers::{Block, Weights};
use crate::cpu::{self, gelu_erf, Cpu, Precision};
use crate::{Error, Result};

/// Prompts per forward pass of the fast engine (after sorting by length): enough rows for the
/// matrix kernels, activations of a few MB.
const GROUP: usize = 64;

/// The original candle-ops engine.
struct CandleWeights {
    token_embedding: Embedding,
    positional_embedding: Tensor,
    blocks: Vec<Block>,
    ln_final: LayerNorm,
    /// `[t, D]`.
    text_projection: Tensor,
}

/// The compute-layer engine's weights.
struct FastWeights {
    /// `[vocab, t]`.
    token_embedding: Vec<f32>,
    /// `[ctx, t]`.
    positional_embedding: Vec<f32>,
    blocks: Vec<FastBlock>,
    ln_final: LnParams,
    /// `text_projection` (`[t, D]`) as a linear layer.
    proj: Dense,
}

impl FastWeights {
    fn denses(&mut self) -> Vec<&mut Dense> {
        let mut v: Vec<&mut Dense> = vec![&mut self.proj];
        for b in &mut self.blocks {
            v.extend(b.denses());
        }
        v
    }

    /// The layers a reduced precision applies to: `qkv`, `c_fc` and `c_proj` of every block.
    /// Two stay f32 at every precision, chosen by their share of the int8 embedding error per
    /// share of the work (demo model, every label prompt, mean `1 - cos` to f32): the projection
    /// (int8 gave two thirds of the error, 1.17e-5 → 3.7e-6 with it f32; it runs on the pooled
    /// rows only, so f32 costs nothing measurable) and each block's attention output projection
    /// (1/12 of a block's multiply-adds; halves what is left, 3.7e-6 → 2.0e-6, where keeping the
    /// three times larger `qkv` f32 instead gives 1.8e-6, `c_fc` or `c_proj` 3.3–3.6e-6).
    fn reduced_denses(&mut self) -> Vec<&mut Dense> {
        self.blocks.iter_mut().flat_map(|b| [&mut b.qkv, &mut b.c_fc, &mut b.c_proj]).collect()
    }
}

enum Engine {
    Fast(Box<FastWeights>),
    Candle(Box<CandleWeights>),
}

/// Buffers of one forward pass, reused across calls.
#[derive(Default)]
struct Workspace {
    x: Vec<f32>,
    h: Vec<f32>,
    qkv: Vec<f32>,
    attn: Vec<f32>,
    mlp: Vec<f32>,
    dense: DenseScratch,
}

/// The text tower (weights only; tokenisation lives in [`crate::ClipTokenizer`]).
pub struct TextTower {
    cfg: TextConfig,
    device: Device,
    engine: Engine,
    precision: Precision,
    cpu: Cpu,
    /// The f32 weights of the linear layers were freed (int8 only from then on).
    int8_only: bool,
    workspaces: Mutex<Vec<Workspace>>,
}

impl std::fmt::Debug for TextTower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTower")
            .field("cfg", &self.cfg)
            .field("precision", &self.precision)
            .field("cpu", &self.cpu.tier())
            .finish_non_exhaustive()
    }
}

impl TextTower {
    /// Builds the tower from validated official-name f32 tensors.
    pub(crate) fn from_tensors(cfg: &TextConfig, map: HashMap<String, Tensor>, device: &Device) -> Result<Self> {
        Self::build(cfg, map, device, false)
    }

    /// Builds the tower on the original candle-ops engine (the reference and benchmark baseline).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn from_tensors_candle(cfg: &TextConfig, map: HashMap<String, Tensor>, device: &Device) -> Result<Self> {
        Self::build(cfg, map, device, true)
    }

    fn build(cfg: &TextConfig, map: HashMap<String, Tensor>, device: &Device, candle: bool) -> Result<Self> {
        let cpu = Cpu::from_env()?;
        let w = Weights::new(&map, "");
        let eps = cfg.layernorm_eps;
        let engine = if candle || !device.is_cpu() {
            let blocks = (0..cfg.layers)
                .map(|i| Block::new(&w.pp(&format!("transformer.resblocks.{i}")), cfg.width, cfg.heads, eps))
                .collect::<Result<Vec<_>>>()?;
            Engine::Candle(Box::new(CandleWeights {
                token_embedding: Embedding::new(w.get("token_embedding.weight")?, cfg.width),
                positional_embedding: w.get("positional_embedding")?,
                blocks,
                ln_final: w.layer_norm("ln_final", eps)?,
                text_projection: w.get("text_projection")?,
            }))
        } else {
            check_finite(&map, "")?;
            // Each tensor is dropped once packed or copied (the map owns the only reference), so
            // the load holds the f32 checkpoint plus one layer's copies, not two whole copies.
            let mut map = map;
            let mut blocks = Vec::with_capacity(cfg.layers);
            for i in 0..cfg.layers {
                let prefix = format!("transformer.resblocks.{i}");
                blocks.push(FastBlock::new(cpu, &Weights::new(&map, "").pp(&prefix), eps)?);
                let prefix = format!("{prefix}.");
                map.retain(|name, _| !name.starts_with(&prefix));
            }
            let mut host = |name: &str| -> Result<Vec<f32>> {
                let v = Weights::new(&map, "").get(name)?.flatten_all()?.to_vec1::<f32>()?;
                map.remove(name);
                Ok(v)
            };
            let token_embedding = host("token_embedding.weight")?;
            let positional_embedding = host("positional_embedding")?;
            let w = Weights::new(&map, "");
            Engine::Fast(Box::new(FastWeights {
                token_embedding,
                positional_embedding,
                blocks,
                ln_final: LnParams::new(&w, "ln_final", eps)?,
                // `text_projection` is stored `[t, D]`: as a torch-layout weight, its transpose.
                proj: Dense::new(cpu, &w.get("text_projection")?.t()?, None, None)?,
            }))
        };
        Ok(Self {
            cfg: cfg.clone(),
            device: device.clone(),
            engine,
            precision: Precision::F32,
            cpu,
            int8_only: false,
            workspaces: Mutex::new(Vec::new()),
        })
    }

    /// The tower's configuration.
    pub fn config(&self) -> &TextConfig {
        &self.cfg
    }

    /// The precision in effect (what [`TextTower::set_precision`] could honour).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Selects the arithmetic of the linear layers but two kinds (attention, LayerNorm and GELU
    /// stay f32: the sequences are short; so do the attention output projections and the final
    /// projection, for accuracy: see `FastWeights::reduced_denses`). A precision the CPU cannot
    /// run, or the candle engine, keeps `F32`; returns the precision in effect.
    pub fn set_precision(&mut self, precision: Precision) -> Precision {
        if self.int8_only {
            return self.precision;
        }
        let effective = if precision.is_supported_on(self.cpu) { precision } else { Precision::F32 };
        if let Engine::Fast(fw) = &mut self.engine {
            for d in fw.reduced_denses() {
                d.set_precision(self.cpu, effective);
            }
            self.precision = effective;
        }
        self.precision
    }

    /// The compute tier the tower runs at.
    pub fn cpu(&self) -> Cpu {
        self.cpu
    }

    /// Runs the tower at `cpu` (a lowered [`Cpu::detect`]); returns the precision in effect.
    pub fn set_cpu(&mut self, cpu: Cpu) -> Precision {
        if self.int8_only {
            return self.precision;
        }
        let wanted = self.precision;
        if let Engine::Fast(fw) = &mut self.engine {
            for d in fw.denses() {
                d.set_cpu(cpu);
            }
            self.cpu = cpu;
            self.workspaces.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        self.set_precision(wanted)
    }

    /// At int8, frees the f32 weights of the linear layers (about three quarters of the tower's
    /// memory besides the token embedding), for a device that embeds at int8 only. From then on
    /// [`TextTower::set_precision`] and [`TextTower::set_cpu`] change nothing. Returns whether
    /// anything was freed (false at f32, or on the candle engine).
    pub fn drop_f32_weights(&mut self) -> bool {
        if self.precision != Precision::Int8 {
            return false;
        }
        let Engine::Fast(fw) = &mut self.engine else { return false };
        let mut freed = false;
        for d in fw.denses() {
            freed |= d.drop_f32();
        }
        self.int8_only = freed;
        freed
    }

    /// Bytes of the weights the tower holds (embeddings, every copy of the linear layers; the
    /// LayerNorm parameters are left out, a few KiB).
    pub fn weight_bytes(&self) -> usize {
        match &self.engine {
            Engine::Fast(fw) => {
                let embed = (fw.token_embedding.len() + fw.positional_embedding.len()) * 4;
                let blocks = fw.blocks.iter().flat_map(|b| [&b.qkv, &b.out_proj, &b.c_fc, &b.c_proj]);
                embed + std::iter::once(&fw.proj).chain(blocks).map(Dense::weight_bytes).sum::<usize>()
            }
            Engine::Candle(_) => 0,
        }
    }

    /// Raw text embeddings (before L2 normalisation) of tokenised prompts.
    ///
    /// `ids`: one row of exactly `context_length` ids per prompt (start token, BPE ids, end token,
    /// padding), as produced by the tokenizer. Every row must contain the end-of-text id; the
    /// embedding is pooled at its **first** occurrence. Returns `[B, D]` f32, in the order given.
    pub fn encode_ids(&self, ids: &[Vec<u32>]) -> Result<Tensor> {
        let eots = self.check_ids(ids)?;
        match &self.engine {
            Engine::Candle(cw) => self.forward_candle(cw, ids, &eots),
            Engine::Fast(fw) => {
                let dim = self.cfg.output_dim;
                let mut out = vec![0f32; ids.len() * dim];
                // Shortest first, in groups: each group runs to its own longest prompt.
                let mut order: Vec<usize> = (0..ids.len()).collect();
                order.sort_by_key(|&i| eots[i]);
                let mut ws = self.workspaces.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
                let mut pooled = Vec::new();
                for group in order.chunks(GROUP) {
                    let rows: Vec<(&[u32], usize)> = group.iter().map(|&i| (ids[i].as_slice(), eots[i])).collect();
                    self.forward_fast(fw, &rows, &mut ws, &mut pooled);
                    for (&i, e) in group.iter().zip(pooled.chunks_exact(dim)) {
                        out[i * dim..][..dim].copy_from_slice(e);
                    }
                }
                self.workspaces.lock().unwrap_or_else(|e| e.into_inner()).push(ws);
                Ok(Tensor::from_vec(out, (ids.len(), dim), &self.device)?)
            }
        }
    }

    /// Checks shapes and ids; returns each prompt's first end-of-text position.
    fn check_ids(&self, ids: &[Vec<u32>]) -> Result<Vec<usize>> {
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
        Ok(eots)
    }

    /// One group of prompts (ids, end-of-text position) through the fast engine: `pooled`
    /// receives their `[B, D]` embeddings in the group's order.
    fn forward_fast(&self, fw: &FastWeights, rows: &[(&[u32], usize)], ws: &mut Workspace, pooled: &mut Vec<f32>) {
        let cpu = self.cpu;
        let cfg = &self.cfg;
        let (w, heads) = (cfg.width, cfg.heads);
        let d = cfg.head_dim();
        let b = rows.len();
        // Causality: positions after a prompt's end-of-text token cannot change its embedding.
        let n = rows.iter().map(|&(_, e)| e + 1).max().unwrap_or(1);
        let m = b * n;
        let x = sized(&mut ws.x, m * w);
        for (p, &(ids, _)) in rows.iter().enumerate() {
            for t in 0..n {
                let dst = &mut x[(p * n + t) * w..][..w];
                let tok = &fw.token_embedding[ids[t] as usize * w..][..w];
                let pos = &fw.positional_embedding[t * w..][..w];
                for ((o, &a), &c) in dst.iter_mut().zip(tok).zip(pos) {
                    *o = a + c;
                }
            }
        }
        let mlp_w = cfg.mlp_width();
        for blk in &fw.blocks {
            let x = sized(&mut ws.x, m * w);
            let hbuf = sized(&mut ws.h, m * w);
            blk.ln_1.apply(cpu, x, hbuf);
            let qkv = sized(&mut ws.qkv, m * 3 * w);
            blk.qkv.forward(cpu, hbuf, m, qkv, false, &mut ws.dense);
            let attn = sized(&mut ws.attn, m * w);
            causal_attention(cpu, qkv, b, n, heads, d, attn);
            blk.out_proj.forward(cpu, attn, m, x, true, &mut ws.dense);
            blk.ln_2.apply(cpu, x, hbuf);
            let mlp = sized(&mut ws.mlp, m * mlp_w);
            blk.c_fc.forward(cpu, hbuf, m, mlp, false, &mut ws.dense);
            gelu_erf(cpu, mlp);
            blk.c_proj.forward(cpu, mlp, m, x, true, &mut ws.dense);
        }
        // ln_final on the end-of-text rows only, then the projection.
        let x = sized(&mut ws.x, m * w);
        let eot_rows = sized(&mut ws.h, b * w);
        for (p, &(_, e)) in rows.iter().enumerate() {
            eot_rows[p * w..][..w].copy_from_slice(&x[(p * n + e) * w..][..w]);
        }
        let normed = sized(&mut ws.attn, b * w);
        fw.ln_final.apply(cpu, eot_rows, normed);
        pooled.clear();
        pooled.resize(b * cfg.output_dim, 0.0);
        fw.proj.forward(cpu, normed, b, pooled, false, &mut ws.dense);
    }

    fn forward_candle(&self, cw: &CandleWeights, ids: &[Vec<u32>], eots: &[usize]) -> Result<Tensor> {
        // Causality: tokens after the last EOT cannot influence any EOT row, so run only up to it.
        let n = eots.iter().max().copied().unwrap_or(0) + 1;
        let b = ids.len();
        let flat: Vec<u32> = ids.iter().flat_map(|r| r[..n].iter().copied()).collect();
        let ids_t = Tensor::from_vec(flat, (b, n), &self.device)?;
        let mut x = cw.token_embedding.forward(&ids_t)?;
        x = x.broadcast_add(&cw.positional_embedding.narrow(0, 0, n)?)?;
        let mask = causal_mask(n, &self.device)?;
        for block in &cw.blocks {
            x = block.forward(&x, None, Some(&mask))?;
        }
        let x = cw.ln_final.forward(&x)?;
        let rows: Vec<u32> = eots.iter().enumerate().map(|(i, &e)| (i * n + e) as u32).collect();
        let rows = Tensor::from_vec(rows, b, &self.device)?;
        let pooled = x.reshape((b * n, self.cfg.width))?.index_select(&rows, 0)?;
        Ok(pooled.matmul(&cw.text_projection)?)
    }
}

/// Causal multi-head attention of `b` prompts of `n` tokens each: `qkv[b·n, 3w]` (rows `q | k |
/// v`, heads `h·d ..` in each third) to `out[b·n, w]`. Row `i` of a prompt attends to its rows
/// `0 ..= i` only (the masked scores are never computed). One task per prompt (its rows of `out`
/// are its own); sequences are short (≤ the context length), so the products are dot products.
pub(crate) fn causal_attention(cpu: Cpu, qkv: &[f32], b: usize, n: usize, heads: usize, d: usize, out: &mut [f32]) {
    let w = heads * d;
    assert!(qkv.len() >= b * n * 3 * w && out.len() >= b * n * w, "attention buffers too small");
    if b == 0 || n == 0 || w == 0 {
        return;
    }
    let scale = 1.0 / (d as f32).sqrt();
    let prompt = |(p, out): (usize, &mut [f32])| {
        let qkv = &qkv[p * n * 3 * w..][..n * 3 * w];
        let mut scores = vec![0f32; n];
        for h in 0..heads {
            for i in 0..n {
                let q = &qkv[i * 3 * w + h * d..][..d];
                let s = &mut scores[..=i];
                for (j, s) in s.iter_mut().enumerate() {
                    let k = &qkv[j * 3 * w + w + h * d..][..d];
                    *s = dot(q, k) * scale;
                }
                cpu::softmax_row(cpu, s);
                let o = &mut out[i * w + h * d..][..d];
                o.fill(0.0);
                for (j, &pr) in s.iter().enumerate() {
                    let v = &qkv[j * 3 * w + 2 * w + h * d..][..d];
                    for (o, &v) in o.iter_mut().zip(v) {
                        *o += pr * v;
                    }
                }
            }
        }
    };
    let out = &mut out[..b * n * w];
    if cpu::threads::parallel() && b > 1 {
        out.par_chunks_mut(n * w).enumerate().for_each(prompt);
    } else {
        out.chunks_mut(n * w).enumerate().for_each(prompt);
    }
}

/// Dot product with eight independent sums (vectorises without reassociation flags).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Additive causal mask `[n, n]`: 0 on and below the diagonal, −∞ above.
pub(crate) fn causal_mask(n: usize, device: &Device) -> Result<Tensor> {
    let data: Vec<f32> =
        (0..n).flat_map(|i| (0..n).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 })).collect();
    Ok(Tensor::from_vec(data, (n, n), device)?)
}

#[cfg(test)]
mod tests {
    use super::super::weights::Tower;
    use super::*;
    use crate::model::ModelFiles;

    fn tiny_text() -> (TextConfig, HashMap<String, Tensor>) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pe-core/tiny");
        let files = ModelFiles::discover(&dir, None).unwrap();
        let cfg = files.config.text.clone().unwrap();
        let ckpt = files.open_tower(Tower::Text).unwrap();
        let map = ckpt.load_towers(&[Tower::Text], &Device::Cpu).unwrap();
        (cfg, map)
    }

    fn ids(cfg: &TextConfig, lens: &[usize]) -> Vec<Vec<u32>> {
        lens.iter()
            .enumerate()
            .map(|(p, &len)| {
                let mut row = vec![cfg.pad_id; cfg.context_length];
                row[0] = cfg.sot_id;
                for (t, v) in row.iter_mut().enumerate().take(len).skip(1) {
                    *v = ((p * 131 + t * 17) % 400 + 1) as u32;
                }
                row[len] = cfg.eot_id;
                // A second EOT later: pooling takes the first.
                if len + 2 < cfg.context_length {
                    row[len + 2] = cfg.eot_id;
                }
                row
            })
            .collect()
    }

    fn cosine(a: &[f32], b: &[f32]) -> f64 {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
        let n = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        dot / (n(a) * n(b))
    }

    /// The fast engine equals the candle graph, for prompts of mixed lengths in one call (sorted
    /// and grouped internally, returned in the caller's order), at every tier.
    #[test]
    fn fast_engine_matches_candle_reference() {
        let (cfg, map) = tiny_text();
        let reference = TextTower::from_tensors_candle(&cfg, map.clone(), &Device::Cpu).unwrap();
        let lens: Vec<usize> = (0..(GROUP + 9)).map(|i| 1 + (i * 7) % (cfg.context_length - 3)).collect();
        let ids = ids(&cfg, &lens);
        let want = reference.encode_ids(&ids).unwrap().to_vec2::<f32>().unwrap();
        for cpu in crate::cpu::testing::every_tier() {
            let mut fast = TextTower::from_tensors(&cfg, map.clone(), &Device::Cpu).unwrap();
            fast.set_cpu(cpu);
            let got = fast.encode_ids(&ids).unwrap().to_vec2::<f32>().unwrap();
            for (p, (g, r)) in got.iter().zip(&want).enumerate() {
                let err = g.iter().zip(r).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                let scale = r.iter().map(|v| v.abs()).fold(0f32, f32::max);
                assert!(err <= 1e-4 * scale.max(1.0), "{:?} prompt {p} (len {}): max error {err}", cpu.tier(), lens[p]);
            }
        }
    }

    /// Padding after the end-of-text token and the other prompts of a batch change nothing.
    #[test]
    fn an_embedding_depends_on_its_prompt_alone() {
        let (cfg, map) = tiny_text();
        let tower = TextTower::from_tensors(&cfg, map.clone(), &Device::Cpu).unwrap();
        let ids = ids(&cfg, &[3, 9, 1, 5]);
        let together = tower.encode_ids(&ids).unwrap().to_vec2::<f32>().unwrap();
        for (i, row) in ids.iter().enumerate() {
            let alone = tower.encode_ids(std::slice::from_ref(row)).unwrap().to_vec2::<f32>().unwrap();
            assert!(cosine(&alone[0], &together[i]) > 0.999_999, "prompt {i}");
            let mut padded = row.clone();
            let last = padded.len() - 1;
            padded[last] = 7; // a token after the end-of-text token
            let other = tower.encode_ids(&[padded]).unwrap().to_vec2::<f32>().unwrap();
            assert_eq!(other[0], alone[0], "tokens after EOT must not matter");
        }
    }

    #[test]
    fn int8_text_embeddings_stay_close_to_f32() {
        let (cfg, map) = tiny_text();
        let lens: Vec<usize> = (0..20).map(|i| 2 + i % 11).collect();
        let ids = ids(&cfg, &lens);
        let f32_tower = TextTower::from_tensors(&cfg, map.clone(), &Device::Cpu).unwrap();
        let want = f32_tower.encode_ids(&ids).unwrap().to_vec2::<f32>().unwrap();
        for cpu in crate::cpu::testing::every_tier() {
            let mut t = TextTower::from_tensors(&cfg, map.clone(), &Device::Cpu).unwrap();
            t.set_cpu(cpu);
            if t.set_precision(Precision::Int8) != Precision::Int8 {
                continue;
            }
            let got = t.encode_ids(&ids).unwrap().to_vec2::<f32>().unwrap();
            let worst = got.iter().zip(&want).map(|(g, w)| cosine(g, w)).fold(1.0, f64::min);
            assert!(worst >= 0.995, "{:?}: worst cosine {worst}", cpu.tier());
        }
    }

    /// At int8 the final projection and the attention output projections keep f32 weights and no
    /// int8 copy (also once the f32 weights of the others are freed); the other layers are int8.
    #[test]
    fn the_projections_stay_f32_at_int8() {
        let (cfg, map) = tiny_text();
        let mut t = TextTower::from_tensors(&cfg, map, &Device::Cpu).unwrap();
        if t.set_precision(Precision::Int8) != Precision::Int8 {
            return;
        }
        assert!(t.drop_f32_weights());
        let Engine::Fast(fw) = &mut t.engine else { panic!("the fast engine") };
        // Freed f32 weights are an empty row-major matrix.
        let holds_f32 = |d: &Dense| match &d.w {
            crate::model::fast::DenseWeights::Rows(w) => w.len() == d.k * d.n,
            crate::model::fast::DenseWeights::Packed(_) => true,
        };
        assert!(fw.proj.int8.is_none() && holds_f32(&fw.proj));
        for b in &fw.blocks {
            assert!(b.out_proj.int8.is_none() && holds_f32(&b.out_proj));
            for d in [&b.qkv, &b.c_fc, &b.c_proj] {
                assert!(d.int8.is_some() && !holds_f32(d));
            }
        }
    }

    /// Without its f32 weights the int8 tower gives the same embeddings, and keeps its precision.
    #[test]
    fn int8_without_f32_weights_embeds_the_same() {
        let (cfg, map) = tiny_text();
        let ids = ids(&cfg, &[3, 9, 1, 5]);
        let mut t = TextTower::from_tensors(&cfg, map.clone(), &Device::Cpu).unwrap();
        if t.set_precision(Precision::Int8) != Precision::Int8 {
            assert!(!t.drop_f32_weights(), "nothing to free at f32");
            return;
        }
        let before = t.encode_ids(&ids).unwrap().to_vec2::<f32>().unwrap();
        assert!(t.drop_f32_weights());
        assert_eq!(t.encode_ids(&ids).unwrap().to_vec2::<f32>().unwrap(), before);
        assert_eq!(t.set_precision(Precision::F32), Precision::Int8, "no f32 weights to go back to");
        assert_eq!(t.set_cpu(Cpu::portable()), Precision::Int8);
        assert_eq!(t.encode_ids(&ids).unwrap().to_vec2::<f32>().unwrap(), before);
    }

    #[test]
    fn bad_ids_are_typed_errors() {
        let (cfg, map) = tiny_text();
        let tower = TextTower::from_tensors(&cfg, map.clone(), &Device::Cpu).unwrap();
        let mut no_eot = vec![cfg.sot_id; cfg.context_length];
        assert!(matches!(tower.encode_ids(&[no_eot.clone()]), Err(Error::Tokenizer { .. })));
        no_eot[3] = cfg.vocab_size as u32;
        assert!(matches!(tower.encode_ids(&[no_eot]), Err(Error::Tokenizer { .. })));
        assert!(matches!(tower.encode_ids(&[vec![cfg.eot_id; 3]]), Err(Error::Tokenizer { .. })));
        assert!(matches!(tower.encode_ids(&[]), Err(Error::Tokenizer { .. })));
    }
}
