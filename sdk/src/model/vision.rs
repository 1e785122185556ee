//! The PE Core vision tower (reference §2): patch embedding, class token, absolute position
//! embedding (interpolated off-grid), `ln_pre`, pre-norm blocks with 2D RoPE, `ln_post`, attention
//! pooling and the bias-free projection.
//!
//! Two engines compute the same function. The default runs on plain `f32` buffers with the kernels
//! of the compute layer [`crate::cpu`] (weights transposed and packed once at load, LayerScale
//! folded into the output projections, bias and residual folded into the matrix products, fused
//! attention, buffers reused across calls), at the [`Precision`] and [`CpuTier`](crate::cpu::CpuTier) selected.
//! The candle engine is the original graph of candle ops, kept as the reference it was first
//! checked against and as the "before" of the benchmarks ([`VisionTower::load_candle_reference`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use candle_core::{Device, Module, Tensor};
use candle_nn::LayerNorm;

use super::config::VisionConfig;
use super::fast::{check_finite, sized, Dense, DenseScratch, FastBlock, LnParams};
use super::layers::{AttentionPool, Block, Rope, Weights};
use super::rope::{interpolate_pos_embed, rope_cos_sin_vecs};
use crate::cpu::{self, attention, gelu_erf, softmax_row, AttentionScratch, Cpu, Precision};
use crate::{Error, Result};

/// Wall time of the tower's stages in one `VisionTower::encode_timed` call (summed over the
/// batch; the `testing` feature).
#[derive(Debug, Clone, Copy, Default)]
pub struct TowerStageTimes {
    /// Patch extraction and embedding, class token, position embedding, `ln_pre`.
    pub patch_embed: Duration,
    /// The transformer blocks.
    pub blocks: Duration,
    /// `ln_post`, attention pooling and the projection.
    pub pooling: Duration,
}

/// Position tables for one patch grid.
struct GridTables {
    /// `[N, w]` absolute position embedding (cls row included), or `None` without abs pos-emb.
    pos: Option<Vec<f32>>,
    /// RoPE cos/sin `[N, d/2]`.
    rope: Option<(Vec<f32>, Vec<f32>)>,
}

struct FastPool {
    /// Projected probe `[w]` (the probe enters only through `W_q`, so it is folded once).
    q: Vec<f32>,
    kv: Dense,
    out_proj: Dense,
    layernorm: LnParams,
    c_fc: Dense,
    c_proj: Dense,
    heads: usize,
}

impl FastPool {
    fn new(cpu: Cpu, w: &Weights, width: usize, heads: usize, eps: f64) -> Result<Self> {
        let a = w.pp("attn");
        let in_w = a.get("in_proj_weight")?; // [3w, w]
        let in_b = a.get("in_proj_bias")?;
        let probe = w.get("probe")?.flatten_all()?.to_vec1::<f32>()?;
        let wq = in_w.narrow(0, 0, width)?.flatten_all()?.to_vec1::<f32>()?;
        let bq = in_b.narrow(0, 0, width)?.to_vec1::<f32>()?;
        let q = (0..width).map(|o| bq[o] + (0..width).map(|i| wq[o * width + i] * probe[i]).sum::<f32>()).collect();
        let m = w.pp("mlp");
        Ok(Self {
            q,
            kv: Dense::new(cpu, &in_w.narrow(0, width, 2 * width)?, Some(&in_b.narrow(0, width, 2 * width)?), None)?,
            out_proj: Dense::new(cpu, &a.get("out_proj.weight")?, Some(&a.get("out_proj.bias")?), None)?,
            layernorm: LnParams::new(w, "layernorm", eps)?,
            c_fc: Dense::new(cpu, &m.get("c_fc.weight")?, Some(&m.get("c_fc.bias")?), None)?,
            c_proj: Dense::new(cpu, &m.get("c_proj.weight")?, Some(&m.get("c_proj.bias")?), None)?,
            heads,
        })
    }
}

/// The fast engine's weights.
struct FastWeights {
    /// `conv1.weight` as a `[3p², w]` matrix (patch embedding as one matrix product).
    patch: Dense,
    class_embedding: Option<Vec<f32>>,
    ln_pre: Option<LnParams>,
    blocks: Vec<FastBlock>,
    ln_post: Option<LnParams>,
    pool: FastPool,
    /// `[w, D]`.
    proj: Dense,
}

impl FastWeights {
    fn denses(&mut self) -> Vec<&mut Dense> {
        let mut v: Vec<&mut Dense> = vec![&mut self.patch, &mut self.proj];
        for b in &mut self.blocks {
            v.extend(b.denses());
        }
        let p = &mut self.pool;
        v.extend([&mut p.kv, &mut p.out_proj, &mut p.c_fc, &mut p.c_proj]);
        v
    }
}

/// The original candle-ops engine (reference and benchmark baseline).
struct CandleWeights {
    /// `conv1.weight` flattened to `[3p², w]`.
    patch_weight_t: Tensor,
    class_embedding: Option<Tensor>,
    ln_pre: Option<LayerNorm>,
    blocks: Vec<Block>,
    ln_post: Option<LayerNorm>,
    attn_pool: AttentionPool,
    /// `[w, D]`.
    proj: Tensor,
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
    patches: Vec<f32>,
    dense: DenseScratch,
    attention: AttentionScratch,
}

/// The image tower. Cheap to share across threads (`&self` methods, internal caches locked).
pub struct VisionTower {
    cfg: VisionConfig,
    device: Device,
    /// Stored position embedding, kept on the host for interpolation.
    pos_embed_host: Option<Vec<f32>>,
    engine: Engine,
    precision: Precision,
    cpu: Cpu,
    grids: Mutex<HashMap<(usize, usize), Arc<GridTables>>>,
    workspaces: Mutex<Vec<Workspace>>,
}

impl std::fmt::Debug for VisionTower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisionTower")
            .field("cfg", &self.cfg)
            .field("precision", &self.precision)
            .field("cpu", &self.cpu.tier())
            .finish_non_exhaustive()
    }
}

impl VisionTower {
    /// Builds the tower from validated official-name f32 tensors.
    pub(crate) fn from_tensors(cfg: &VisionConfig, map: &HashMap<String, Tensor>, device: &Device) -> Result<Self> {
        Self::build(cfg, map, device, false)
    }

    /// Builds the tower on the original candle-ops engine (the reference and benchmark baseline).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn from_tensors_candle(
        cfg: &VisionConfig,
        map: &HashMap<String, Tensor>,
        device: &Device,
    ) -> Result<Self> {
        Self::build(cfg, map, device, true)
    }

    fn build(cfg: &VisionConfig, map: &HashMap<String, Tensor>, device: &Device, candle: bool) -> Result<Self> {
        let cpu = Cpu::from_env()?;
        check_finite(map, "visual.")?;
        let w = Weights::new(map, "visual.");
        let eps = cfg.layernorm_eps;
        let p = cfg.patch_size;
        let conv = w.get("conv1.weight")?.reshape((cfg.width, 3 * p * p))?; // [w, 3p²]
        let pos_embed_host = if cfg.use_abs_posemb {
            Some(w.get("positional_embedding")?.flatten_all()?.to_vec1::<f32>()?)
        } else {
            None
        };
        let class_embedding = if cfg.use_cls_token { Some(w.get("class_embedding")?) } else { None };
        let engine = if candle || !device.is_cpu() {
            let blocks = (0..cfg.layers)
                .map(|i| Block::new(&w.pp(&format!("transformer.resblocks.{i}")), cfg.width, cfg.heads, eps))
                .collect::<Result<Vec<_>>>()?;
            Engine::Candle(Box::new(CandleWeights {
                patch_weight_t: conv.t()?.contiguous()?,
                class_embedding,
                ln_pre: if cfg.use_ln_pre { Some(w.layer_norm("ln_pre", eps)?) } else { None },
                blocks,
                ln_post: if cfg.use_ln_post { Some(w.layer_norm("ln_post", eps)?) } else { None },
                attn_pool: AttentionPool::new(&w.pp("attn_pool"), cfg.width, cfg.attn_pooler_heads, eps)?,
                proj: w.get("proj")?,
            }))
        } else {
            let blocks = (0..cfg.layers)
                .map(|i| FastBlock::new(cpu, &w.pp(&format!("transformer.resblocks.{i}")), eps))
                .collect::<Result<Vec<_>>>()?;
            Engine::Fast(Box::new(FastWeights {
                patch: Dense::new(cpu, &conv, None, None)?,
                class_embedding: match class_embedding {
                    Some(c) => Some(c.flatten_all()?.to_vec1::<f32>()?),
                    None => None,
                },
                ln_pre: if cfg.use_ln_pre { Some(LnParams::new(&w, "ln_pre", eps)?) } else { None },
                blocks,
                ln_post: if cfg.use_ln_post { Some(LnParams::new(&w, "ln_post", eps)?) } else { None },
                pool: FastPool::new(cpu, &w.pp("attn_pool"), cfg.width, cfg.attn_pooler_heads, eps)?,
                // `proj` is stored `[w, D]`: as a torch-layout weight that is its transpose.
                proj: Dense::new(cpu, &w.get("proj")?.t()?, None, None)?,
            }))
        };
        Ok(Self {
            cfg: cfg.clone(),
            device: device.clone(),
            pos_embed_host,
            engine,
            precision: Precision::F32,
            cpu,
            grids: Mutex::new(HashMap::new()),
            workspaces: Mutex::new(Vec::new()),
        })
    }

    /// The tower's configuration.
    pub fn config(&self) -> &VisionConfig {
        &self.cfg
    }

    /// The precision in effect (what [`VisionTower::set_precision`] could honour).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Selects the arithmetic of the matrix products. Unsupported requests (bf16 without
    /// AVX512_BF16, or on the candle reference engine) keep `F32`; returns the precision in effect.
    /// Packing bf16 weights takes a few milliseconds and holds them beside the f32 ones.
    pub fn set_precision(&mut self, precision: Precision) -> Precision {
        let effective = if precision.is_supported_on(self.cpu) { precision } else { Precision::F32 };
        if let Engine::Fast(fw) = &mut self.engine {
            for d in fw.denses() {
                d.set_precision(self.cpu, effective);
            }
            self.precision = effective;
        }
        self.precision
    }

    /// The compute tier the tower runs at ([`Cpu::from_env`] at load, or [`VisionTower::set_cpu`]).
    pub fn cpu(&self) -> Cpu {
        self.cpu
    }

    /// Runs the tower at `cpu` (usually [`Cpu::detect`] lowered with [`Cpu::lowered_to`]): the
    /// weights move to the layout that tier's kernels read, and a precision the tier cannot run
    /// falls back to `F32`. Returns the precision in effect. Tests use it to run every tier on
    /// one machine.
    pub fn set_cpu(&mut self, cpu: Cpu) -> Precision {
        let wanted = self.precision;
        if let Engine::Fast(fw) = &mut self.engine {
            for d in fw.denses() {
                d.set_cpu(cpu);
            }
            self.cpu = cpu;
            // Workspaces hold packed per-call buffers of the old layout: start afresh.
            self.workspaces.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        self.set_precision(wanted)
    }

    fn grid_tables(&self, gh: usize, gw: usize) -> Result<Arc<GridTables>> {
        // A poisoned lock only means another thread panicked while inserting; the map is still
        // consistent (insertions are atomic), so keep using it.
        let mut grids = self.grids.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = grids.get(&(gh, gw)) {
            return Ok(t.clone());
        }
        let cls = self.cfg.use_cls_token;
        let pos = self.pos_embed_host.as_ref().map(|host| {
            let g = self.cfg.grid_size();
            if (gh, gw) == (g, g) {
                host.clone()
            } else {
                interpolate_pos_embed(host, self.cfg.width, g, cls, gh, gw)
            }
        });
        let rope = if self.cfg.use_rope2d {
            Some(rope_cos_sin_vecs(gh, gw, self.cfg.head_dim(), self.cfg.rope_theta, cls))
        } else {
            None
        };
        let t = Arc::new(GridTables { pos, rope });
        // Bound the cache: camera apps use one or two sizes; anything else is recomputed.
        if grids.len() < 16 {
            grids.insert((gh, gw), t.clone());
        }
        Ok(t)
    }

    /// The absolute position embedding actually added for a `gh × gw` grid, `[cls + gh·gw, w]`.
    pub fn position_embedding(&self, grid_h: usize, grid_w: usize) -> Result<Option<Tensor>> {
        let n = grid_h * grid_w + usize::from(self.cfg.use_cls_token);
        match &self.grid_tables(grid_h, grid_w)?.pos {
            Some(p) => Ok(Some(Tensor::from_vec(p.clone(), (n, self.cfg.width), &self.device)?)),
            None => Ok(None),
        }
    }

    /// Raw image embeddings (before L2 normalisation).
    ///
    /// `pixel_values`: `[B, 3, H, W]` f32, normalised to [-1, 1] (see `preprocess`). Usually
    /// `H = W = image_size`; other sizes work (grid `⌊H/p⌋ × ⌊W/p⌋`, leftover pixels ignored,
    /// position embedding interpolated). Returns `[B, D]` f32.
    pub fn encode(&self, pixel_values: &Tensor) -> Result<Tensor> {
        Ok(self.encode_with_times(pixel_values)?.0)
    }

    /// [`VisionTower::encode`] with the wall time of each stage (for the benchmarks).
    #[cfg(any(test, feature = "testing"))]
    pub fn encode_timed(&self, pixel_values: &Tensor) -> Result<(Tensor, TowerStageTimes)> {
        self.encode_with_times(pixel_values)
    }

    fn encode_with_times(&self, pixel_values: &Tensor) -> Result<(Tensor, TowerStageTimes)> {
        let (b, c, h, wd) = pixel_values.dims4().map_err(|_| Error::InvalidImage {
            reason: format!("pixel values must be [B, 3, H, W], got {:?}", pixel_values.dims()),
        })?;
        let p = self.cfg.patch_size;
        if c != 3 || h < p || wd < p || b == 0 {
            return Err(Error::InvalidImage {
                reason: format!("pixel values must be [B>0, 3, H>={p}, W>={p}], got {:?}", pixel_values.dims()),
            });
        }
        let (gh, gw) = (h / p, wd / p);
        let tables = self.grid_tables(gh, gw)?;
        match &self.engine {
            Engine::Fast(fw) => {
                // The workers slept through the gap since the last frame (a camera's 33-100 ms):
                // wake them now, while this thread converts the pixels and cuts the patches.
                cpu::threads::prewake();
                let px = pixel_values.to_dtype(candle_core::DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
                let mut ws = self.workspaces.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
                let dim = self.cfg.output_dim;
                let mut out = vec![0f32; b * dim];
                let mut times = TowerStageTimes::default();
                for (i, o) in out.chunks_exact_mut(dim).enumerate() {
                    let img = &px[i * 3 * h * wd..][..3 * h * wd];
                    self.forward_fast(fw, img, (h, wd), (gh, gw), &tables, &mut ws, o, &mut times);
                }
                self.workspaces.lock().unwrap_or_else(|e| e.into_inner()).push(ws);
                Ok((Tensor::from_vec(out, (b, dim), &self.device)?, times))
            }
            Engine::Candle(cw) => self.forward_candle(cw, pixel_values, (gh, gw), &tables),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_fast(
        &self,
        fw: &FastWeights,
        img: &[f32],
        (h, wd): (usize, usize),
        (gh, gw): (usize, usize),
        tables: &GridTables,
        ws: &mut Workspace,
        out: &mut [f32],
        times: &mut TowerStageTimes,
    ) {
        let t0 = Instant::now();
        let cpu = self.cpu;
        let cfg = &self.cfg;
        let (p, w) = (cfg.patch_size, cfg.width);
        let off = usize::from(cfg.use_cls_token);
        let n = off + gh * gw;
        let pp = 3 * p * p;
        // Patches flattened in (channel, ky, kx) order, like conv1's weight.
        let patches = sized(&mut ws.patches, gh * gw * pp);
        for gy in 0..gh {
            for gx in 0..gw {
                let dst = &mut patches[(gy * gw + gx) * pp..][..pp];
                for ch in 0..3 {
                    for ky in 0..p {
                        let src = &img[(ch * h + gy * p + ky) * wd + gx * p..][..p];
                        dst[(ch * p + ky) * p..][..p].copy_from_slice(src);
                    }
                }
            }
        }
        let x = sized(&mut ws.x, n * w);
        fw.patch.forward(cpu, patches, gh * gw, &mut x[off * w..], false, &mut ws.dense);
        if let Some(cls) = &fw.class_embedding {
            x[..w].copy_from_slice(cls);
        }
        if let Some(pos) = &tables.pos {
            for (v, q) in x.iter_mut().zip(pos) {
                *v += q;
            }
        }
        if let Some(ln) = &fw.ln_pre {
            let hbuf = sized(&mut ws.h, n * w);
            ln.apply(cpu, x, hbuf);
            std::mem::swap(&mut ws.x, &mut ws.h);
        }
        let t1 = Instant::now();

        let (heads, d) = (cfg.heads, cfg.head_dim());
        let mlp_w = cfg.mlp_width();
        let rope = tables.rope.as_ref().map(|(c, s)| (c.as_slice(), s.as_slice()));
        for blk in &fw.blocks {
            let x = sized(&mut ws.x, n * w);
            let hbuf = sized(&mut ws.h, n * w);
            blk.ln_1.apply(cpu, x, hbuf);
            let qkv = sized(&mut ws.qkv, n * 3 * w);
            blk.qkv.forward(cpu, hbuf, n, qkv, false, &mut ws.dense);
            let attn = sized(&mut ws.attn, n * w);
            attention(cpu, self.precision, qkv, n, heads, d, rope, &mut ws.attention, attn);
            blk.out_proj.forward(cpu, attn, n, x, true, &mut ws.dense);
            blk.ln_2.apply(cpu, x, hbuf);
            let mlp = sized(&mut ws.mlp, n * mlp_w);
            blk.c_fc.forward(cpu, hbuf, n, mlp, false, &mut ws.dense);
            gelu_erf(cpu, mlp);
            blk.c_proj.forward(cpu, mlp, n, x, true, &mut ws.dense);
        }
        let t2 = Instant::now();

        let x = sized(&mut ws.x, n * w);
        let hbuf = sized(&mut ws.h, n * w);
        match &fw.ln_post {
            Some(ln) => ln.apply(cpu, x, hbuf),
            None => hbuf.copy_from_slice(x),
        }
        // Attention pooling (reference §5): one query, `pool.heads` heads, no residual from the
        // probe; then y + MLP(LN(y)).
        let pool = &fw.pool;
        let kv = sized(&mut ws.qkv, n * 2 * w);
        pool.kv.forward(cpu, hbuf, n, kv, false, &mut ws.dense);
        let pd = w / pool.heads;
        let scale = 1.0 / (pd as f32).sqrt();
        let mut y = vec![0f32; w];
        let mut scores = vec![0f32; n];
        for hd in 0..pool.heads {
            let q = &pool.q[hd * pd..][..pd];
            for (t, s) in scores.iter_mut().enumerate() {
                let k = &kv[t * 2 * w + hd * pd..][..pd];
                *s = q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
            }
            softmax_row(cpu, &mut scores);
            let yh = &mut y[hd * pd..][..pd];
            for (t, &pr) in scores.iter().enumerate() {
                let v = &kv[t * 2 * w + w + hd * pd..][..pd];
                for (o, &vv) in yh.iter_mut().zip(v) {
                    *o += pr * vv;
                }
            }
        }
        let mut y2 = vec![0f32; w];
        pool.out_proj.forward(cpu, &y, 1, &mut y2, false, &mut ws.dense);
        let mut z = vec![0f32; w];
        pool.layernorm.apply(cpu, &y2, &mut z);
        let mut hid = vec![0f32; pool.c_fc.n];
        pool.c_fc.forward(cpu, &z, 1, &mut hid, false, &mut ws.dense);
        gelu_erf(cpu, &mut hid);
        pool.c_proj.forward(cpu, &hid, 1, &mut y2, true, &mut ws.dense);
        fw.proj.forward(cpu, &y2, 1, out, false, &mut ws.dense);
        let t3 = Instant::now();
        times.patch_embed += t1 - t0;
        times.blocks += t2 - t1;
        times.pooling += t3 - t2;
    }

    fn forward_candle(
        &self,
        cw: &CandleWeights,
        pixel_values: &Tensor,
        (gh, gw): (usize, usize),
        tables: &GridTables,
    ) -> Result<(Tensor, TowerStageTimes)> {
        let t0 = Instant::now();
        let b = pixel_values.dim(0)?;
        let p = self.cfg.patch_size;
        let w = self.cfg.width;
        let n = gh * gw + usize::from(self.cfg.use_cls_token);
        let x = pixel_values.to_dtype(candle_core::DType::F32)?;
        // Patch embedding as a matmul: patches flattened in (channel, ky, kx) order.
        let x = x.narrow(2, 0, gh * p)?.narrow(3, 0, gw * p)?;
        let patches = x.reshape((b, 3, gh, p, gw, p))?.permute((0, 2, 4, 1, 3, 5))?.contiguous()?.reshape((
            b,
            gh * gw,
            3 * p * p,
        ))?;
        let mut x = patches.broadcast_matmul(&cw.patch_weight_t)?; // [B, gh·gw, w]
        if let Some(cls) = &cw.class_embedding {
            let cls = cls.reshape((1, 1, w))?.broadcast_as((b, 1, w))?;
            x = Tensor::cat(&[&cls.contiguous()?, &x], 1)?;
        }
        if let Some(pos) = &tables.pos {
            x = x.broadcast_add(&Tensor::from_slice(pos, (n, w), &self.device)?)?;
        }
        if let Some(ln) = &cw.ln_pre {
            x = ln.forward(&x)?;
        }
        let t1 = Instant::now();
        let rope_t = match &tables.rope {
            Some((c, s)) => {
                let half = self.cfg.head_dim() / 2;
                Some((Tensor::from_slice(c, (n, half), &self.device)?, Tensor::from_slice(s, (n, half), &self.device)?))
            }
            None => None,
        };
        let rope = rope_t.as_ref().map(|(cos, sin)| Rope { cos, sin });
        for block in &cw.blocks {
            x = block.forward(&x, rope.as_ref(), None)?;
        }
        let t2 = Instant::now();
        if let Some(ln) = &cw.ln_post {
            x = ln.forward(&x)?;
        }
        let pooled = cw.attn_pool.forward(&x)?;
        let out = pooled.matmul(&cw.proj)?;
        let times = TowerStageTimes { patch_embed: t1 - t0, blocks: t2 - t1, pooling: t2.elapsed() };
        Ok((out, times))
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::model::ModelFiles;
    use crate::{write_random_checkpoint, PeCoreConfig};

    fn shared_fixture(name: &str) -> Option<PathBuf> {
        let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/pe-core").join(name);
        d.is_dir().then_some(d)
    }

    fn values(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    }

    fn cosine(a: &[f32], b: &[f32]) -> f64 {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
        let na = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        let nb = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        dot / (na * nb)
    }

    /// Deterministic pixels in [-1, 1] with image-like smooth structure plus noise.
    fn pixels(b: usize, h: usize, w: usize, seed: u32) -> Tensor {
        let data: Vec<f32> = (0..b * 3 * h * w)
            .map(|i| {
                let (x, y) = ((i % w) as f32, ((i / w) % h) as f32);
                let noise = ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32 / (1 << 24) as f32;
                (0.6 * ((x * 0.05 + y * 0.03 + (i / (h * w)) as f32).sin()) + 0.4 * (noise * 2.0 - 1.0))
                    .clamp(-1.0, 1.0)
            })
            .collect();
        Tensor::from_vec(data, (b, 3, h, w), &Device::Cpu).unwrap()
    }

    /// Random weights of the real T16-384 shape (12 blocks), written once per test process.
    fn t16_random() -> ModelFiles {
        static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let dir = DIR.get_or_init(|| {
            let d = tempfile::tempdir().unwrap();
            write_random_checkpoint(&PeCoreConfig::preset("T16-384").unwrap(), false, 11, d.path()).unwrap();
            d
        });
        ModelFiles::discover(dir.path(), None).unwrap()
    }

    /// The fast engine against the candle-ops graph at full T16-384 depth, on the native grid and
    /// on an off-grid, non-square input (position interpolation, tails of every tile size).
    #[test]
    fn fast_engine_matches_candle_reference() {
        let files = t16_random();
        let fast = VisionTower::load(&files, &Device::Cpu).unwrap();
        let reference = VisionTower::load_candle_reference(&files, &Device::Cpu).unwrap();
        for (b, h, w) in [(1, 384, 384), (2, 272, 208)] {
            let px = pixels(b, h, w, 5);
            let got = values(&fast.encode(&px).unwrap());
            let want = values(&reference.encode(&px).unwrap());
            let diff = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            eprintln!("{b}x{h}x{w}: max abs diff {diff:.3e} (largest value {scale:.3})");
            assert!(diff <= 1e-4 * scale.max(1.0), "max abs diff {diff} at {h}x{w}");
        }
    }

    #[test]
    fn stage_times_add_up_to_the_call() {
        let files = t16_random();
        let tower = VisionTower::load(&files, &Device::Cpu).unwrap();
        let px = pixels(1, 384, 384, 1);
        let t = Instant::now();
        let (_, times) = tower.encode_timed(&px).unwrap();
        let total = t.elapsed();
        let stages = times.patch_embed + times.blocks + times.pooling;
        assert!(stages <= total && !times.blocks.is_zero(), "{times:?} vs {total:?}");
    }

    /// bf16 and int8 keep cosine ≥ 0.995 to f32 (the bound) on the fixture model and its
    /// images, and on the full-depth random T16-384 model.
    #[test]
    fn reduced_precision_keeps_cosine_to_f32() {
        let mut cases: Vec<(String, ModelFiles, Tensor)> = Vec::new();
        if let Some(dir) = shared_fixture("t16-384-l2") {
            let exp = candle_core::safetensors::load(dir.join("expected.safetensors"), &Device::Cpu).unwrap();
            let px = exp["pixel_values"].to_dtype(candle_core::DType::F32).unwrap();
            cases.push(("t16-384-l2 fixture images".into(), ModelFiles::discover(&dir, None).unwrap(), px));
        } else {
            eprintln!("shared fixtures missing: only the random model is checked");
        }
        cases.push(("random T16-384".into(), t16_random(), pixels(2, 384, 384, 9)));
        for (name, files, px) in cases {
            let f32_tower = VisionTower::load(&files, &Device::Cpu).unwrap();
            let want = values(&f32_tower.encode(&px).unwrap());
            for precision in [Precision::Bf16, Precision::Int8] {
                let mut tower = VisionTower::load(&files, &Device::Cpu).unwrap();
                let effective = tower.set_precision(precision);
                let got = values(&tower.encode(&px).unwrap());
                if effective == Precision::F32 {
                    assert!(!precision.is_supported());
                    assert_eq!(got, want, "{name}: the f32 fallback of {precision:?} must be the f32 path");
                    continue;
                }
                assert_eq!(tower.precision(), precision);
                let dim = f32_tower.config().output_dim;
                for (i, (g, w)) in got.chunks(dim).zip(want.chunks(dim)).enumerate() {
                    let c = cosine(g, w);
                    eprintln!("{name} image {i}: {precision:?} vs f32 cosine {c:.6}");
                    assert!(c >= 0.995, "{name} image {i}: {precision:?} cosine {c}");
                    assert!(g != w, "{name}: {precision:?} output identical to f32, its path did not run");
                }
                // Back to f32 drops the reduced copies and gives the f32 result again.
                assert_eq!(tower.set_precision(Precision::F32), Precision::F32);
                assert_eq!(values(&tower.encode(&px).unwrap()), want, "{name}: f32 after {precision:?}");
            }
        }
    }

    #[test]
    fn precision_parses() {
        assert_eq!("BF16".parse::<Precision>(), Ok(Precision::Bf16));
        assert_eq!("f32".parse::<Precision>(), Ok(Precision::F32));
        assert_eq!("int8".parse::<Precision>(), Ok(Precision::Int8));
        assert_eq!("I8".parse::<Precision>(), Ok(Precision::Int8));
        assert!("int4".parse::<Precision>().is_err());
        assert_eq!(Precision::default(), Precision::F32);
        assert!(Precision::F32.is_supported());
    }
}
