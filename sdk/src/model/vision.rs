//! The PE Core vision tower (reference §2): patch embedding, class token, absolute position
//! embedding (interpolated off-grid), `ln_pre`, pre-norm blocks with 2D RoPE, `ln_post`, attention
//! pooling and the bias-free projection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use candle_core::{Device, Module, Tensor};
use candle_nn::LayerNorm;

use super::config::VisionConfig;
use super::layers::{AttentionPool, Block, Rope, Weights};
use super::rope::{interpolate_pos_embed, rope_cos_sin};
use crate::{Error, Result};

/// Position tables for one patch grid.
struct GridTables {
    /// `[N, w]` absolute position embedding (cls row included), or `None` without abs pos-emb.
    pos: Option<Tensor>,
    /// RoPE cos/sin `[N, d/2]`.
    rope: Option<(Tensor, Tensor)>,
}

/// The image tower. Cheap to share across threads (`&self` methods, internal caches locked).
pub struct VisionTower {
    cfg: VisionConfig,
    device: Device,
    /// `conv1.weight` flattened to `[3p², w]` (patch embedding as one matmul).
    patch_weight_t: Tensor,
    class_embedding: Option<Tensor>,
    /// Stored position embedding, kept on the host for interpolation.
    pos_embed_host: Option<Vec<f32>>,
    ln_pre: Option<LayerNorm>,
    blocks: Vec<Block>,
    ln_post: Option<LayerNorm>,
    attn_pool: AttentionPool,
    /// `[w, D]`.
    proj: Tensor,
    grids: Mutex<HashMap<(usize, usize), Arc<GridTables>>>,
}

impl std::fmt::Debug for VisionTower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisionTower").field("cfg", &self.cfg).finish_non_exhaustive()
    }
}

impl VisionTower {
    /// Builds the tower from validated official-name f32 tensors.
    pub(crate) fn from_tensors(cfg: &VisionConfig, map: &HashMap<String, Tensor>, device: &Device) -> Result<Self> {
        let w = Weights::new(map, "visual.");
        let eps = cfg.layernorm_eps;
        let p = cfg.patch_size;
        let conv = w.get("conv1.weight")?; // [w, 3, p, p]
        let patch_weight_t = conv.reshape((cfg.width, 3 * p * p))?.t()?.contiguous()?;
        let pos_embed_host = if cfg.use_abs_posemb {
            Some(w.get("positional_embedding")?.flatten_all()?.to_vec1::<f32>()?)
        } else {
            None
        };
        let blocks = (0..cfg.layers)
            .map(|i| Block::new(&w.pp(&format!("transformer.resblocks.{i}")), cfg.width, cfg.heads, eps))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            cfg: cfg.clone(),
            device: device.clone(),
            patch_weight_t,
            class_embedding: if cfg.use_cls_token { Some(w.get("class_embedding")?) } else { None },
            pos_embed_host,
            ln_pre: if cfg.use_ln_pre { Some(w.layer_norm("ln_pre", eps)?) } else { None },
            blocks,
            ln_post: if cfg.use_ln_post { Some(w.layer_norm("ln_post", eps)?) } else { None },
            attn_pool: AttentionPool::new(&w.pp("attn_pool"), cfg.width, cfg.attn_pooler_heads, eps)?,
            proj: w.get("proj")?,
            grids: Mutex::new(HashMap::new()),
        })
    }

    /// The tower's configuration.
    pub fn config(&self) -> &VisionConfig {
        &self.cfg
    }

    fn grid_tables(&self, gh: usize, gw: usize) -> Result<Arc<GridTables>> {
        // A poisoned lock only means another thread panicked while inserting; the map is still
        // consistent (insertions are atomic), so keep using it.
        let mut grids = self.grids.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = grids.get(&(gh, gw)) {
            return Ok(t.clone());
        }
        let cls = self.cfg.use_cls_token;
        let n = gh * gw + usize::from(cls);
        let pos = match &self.pos_embed_host {
            Some(host) => {
                let g = self.cfg.grid_size();
                let data = if (gh, gw) == (g, g) {
                    host.clone()
                } else {
                    interpolate_pos_embed(host, self.cfg.width, g, cls, gh, gw)
                };
                Some(Tensor::from_vec(data, (n, self.cfg.width), &self.device)?)
            }
            None => None,
        };
        let rope = if self.cfg.use_rope2d {
            Some(rope_cos_sin(gh, gw, self.cfg.head_dim(), self.cfg.rope_theta, cls, &self.device)?)
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
        Ok(self.grid_tables(grid_h, grid_w)?.pos.clone())
    }

    /// Raw image embeddings (before L2 normalisation).
    ///
    /// `pixel_values`: `[B, 3, H, W]` f32, normalised to [-1, 1] (see `preprocess`). Usually
    /// `H = W = image_size`; other sizes work (grid `⌊H/p⌋ × ⌊W/p⌋`, leftover pixels ignored,
    /// position embedding interpolated). Returns `[B, D]` f32.
    pub fn encode(&self, pixel_values: &Tensor) -> Result<Tensor> {
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
        let x = pixel_values.to_dtype(candle_core::DType::F32)?;
        // Patch embedding as a matmul: patches flattened in (channel, ky, kx) order.
        let x = x.narrow(2, 0, gh * p)?.narrow(3, 0, gw * p)?;
        let patches = x.reshape((b, 3, gh, p, gw, p))?.permute((0, 2, 4, 1, 3, 5))?.contiguous()?.reshape((
            b,
            gh * gw,
            3 * p * p,
        ))?;
        let mut x = patches.broadcast_matmul(&self.patch_weight_t)?; // [B, gh·gw, w]
        if let Some(cls) = &self.class_embedding {
            let cls = cls.reshape((1, 1, self.cfg.width))?.broadcast_as((b, 1, self.cfg.width))?;
            x = Tensor::cat(&[&cls.contiguous()?, &x], 1)?;
        }
        let tables = self.grid_tables(gh, gw)?;
        if let Some(pos) = &tables.pos {
            x = x.broadcast_add(pos)?;
        }
        if let Some(ln) = &self.ln_pre {
            x = ln.forward(&x)?;
        }
        let rope = tables.rope.as_ref().map(|(cos, sin)| Rope { cos, sin });
        for block in &self.blocks {
            x = block.forward(&x, rope.as_ref(), None)?;
        }
        if let Some(ln) = &self.ln_post {
            x = ln.forward(&x)?;
        }
        let pooled = self.attn_pool.forward(&x)?;
        Ok(pooled.matmul(&self.proj)?)
    }
}
