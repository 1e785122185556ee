"""Plain-PyTorch PE Core CLIP model (vision + text towers), written from
/work/shared/reference/pe-core.md. Parameter names follow the OFFICIAL key layout
(reference section 10), so `state_dict()` of `PECore` can be saved as-is and loaded by
the Rust loader, and official checkpoints/fixtures load with `load_state_dict`.

Key facts implemented here (reference sections 2-7):
- vision: bias-free patch conv, cls token, learned abs pos-emb, ln_pre, pre-LN blocks with
  2D RoPE on q/k (interleaved pairs, column angles first, positions +1 with cls, cls unrotated),
  optional LayerScale (`ls_1.gamma`, `ls_2.gamma`; never in released PE Core), ln_post on all
  tokens, attention pooling (8 heads, 1 probe, no residual from the probe, then y + MLP(LN(y))),
  bias-free projection `proj` [w, D] applied as x @ proj.
- text: token + abs pos-emb, causal pre-LN blocks (plain MHA), ln_final, pool at the first EOT
  (argmax of ids), bias-free `text_projection` [t, D].
- exact erf GELU, LayerNorm eps 1e-5, scalar `logit_scale` used as exp(logit_scale).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------- RoPE
def rope_angles(gh: int, gw: int, head_dim: int, use_cls: bool, theta: float = 10000.0) -> torch.Tensor:
    """Angle table [N, head_dim] (N = cls + gh*gw), reference section 3. float32."""
    half = head_dim // 2  # 1-D rotary dimension
    nfreq = half // 2
    j = torch.arange(nfreq, dtype=torch.float32)
    freqs = 1.0 / (theta ** (2.0 * j / half))  # [d/4]
    off = 1 if use_cls else 0
    rows, cols = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")
    x = (cols.reshape(-1) + off).to(torch.float32)
    y = (rows.reshape(-1) + off).to(torch.float32)

    def a(n):  # [P, d/2] with each frequency duplicated for one adjacent pair
        t = n[:, None] * freqs[None, :]
        return t.repeat_interleave(2, dim=-1)

    ang = torch.cat([a(x), a(y)], dim=-1)  # [P, d]
    if use_cls:
        ang = torch.cat([torch.zeros(1, head_dim), ang], dim=0)
    return ang


def apply_rope(t: torch.Tensor, ang: torch.Tensor) -> torch.Tensor:
    """t [..., N, d]; ang [N, d]. Interleaved pairs: (t[2i], t[2i+1]) rotated by ang[2i]."""
    cos, sin = ang.cos().to(t.dtype), ang.sin().to(t.dtype)
    u = t[..., 0::2]
    v = t[..., 1::2]
    rot = torch.stack([-v, u], dim=-1).flatten(-2)  # [-t1, t0, -t3, t2, ...]
    return t * cos + rot * sin


# ----------------------------------------------------------------------------- blocks
class MHA(nn.Module):
    """Packed-qkv multi-head attention with official parameter names."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, q_in, kv_in=None, rope=None, mask=None):
        if kv_in is None:
            kv_in = q_in
        B, Nq, W = q_in.shape
        Nk = kv_in.shape[1]
        H = self.heads
        d = W // H
        wq, wk, wv = self.in_proj_weight.chunk(3, dim=0)
        bq, bk, bv = self.in_proj_bias.chunk(3, dim=0)
        q = F.linear(q_in, wq, bq).view(B, Nq, H, d).transpose(1, 2)
        k = F.linear(kv_in, wk, bk).view(B, Nk, H, d).transpose(1, 2)
        v = F.linear(kv_in, wv, bv).view(B, Nk, H, d).transpose(1, 2)
        if rope is not None:
            q = apply_rope(q, rope)
            k = apply_rope(k, rope)
        att = (q * (1.0 / math.sqrt(d))) @ k.transpose(-1, -2)
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        o = (att @ v).transpose(1, 2).reshape(B, Nq, W)
        return self.out_proj(o)


class MLP(nn.Module):
    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.c_fc = nn.Linear(width, hidden)
        self.c_proj = nn.Linear(hidden, width)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))  # exact erf GELU


class LayerScale(nn.Module):
    def __init__(self, width: int, init: float):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((width,), float(init)))

    def forward(self, x):
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, width, heads, mlp_width, eps=1e-5, ls_init=None):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, eps=eps)
        self.attn = MHA(width, heads)
        self.ln_2 = nn.LayerNorm(width, eps=eps)
        self.mlp = MLP(width, mlp_width)
        if ls_init is not None:
            self.ls_1 = LayerScale(width, ls_init)
            self.ls_2 = LayerScale(width, ls_init)
        else:
            self.ls_1 = nn.Identity()
            self.ls_2 = nn.Identity()

    def forward(self, x, rope=None, mask=None):
        x = x + self.ls_1(self.attn(self.ln_1(x), rope=rope, mask=mask))
        x = x + self.ls_2(self.mlp(self.ln_2(x)))
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_width, eps=1e-5, ls_init=None):
        super().__init__()
        self.resblocks = nn.ModuleList(
            [Block(width, heads, mlp_width, eps, ls_init) for _ in range(layers)]
        )

    def forward(self, x, rope=None, mask=None):
        for b in self.resblocks:
            x = b(x, rope=rope, mask=mask)
        return x


class AttnPool(nn.Module):
    def __init__(self, width, heads=8, mlp_width=None, eps=1e-5):
        super().__init__()
        self.probe = nn.Parameter(torch.zeros(1, 1, width))
        self.attn = MHA(width, heads)
        self.layernorm = nn.LayerNorm(width, eps=eps)
        self.mlp = MLP(width, mlp_width or 4 * width)

    def forward(self, x):
        B = x.shape[0]
        y = self.attn(self.probe.expand(B, -1, -1), x)  # no residual from the probe
        y = y + self.mlp(self.layernorm(y))
        return y[:, 0]


# ----------------------------------------------------------------------------- towers
class VisionTower(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = cfg
        w, p, S = cfg["width"], cfg["patch_size"], cfg["image_size"]
        eps = cfg.get("layernorm_eps", 1e-5)
        self.patch = p
        self.grid = S // p
        self.heads = cfg["heads"]
        self.use_cls = cfg.get("use_cls_token", True)
        self.theta = cfg.get("rope_theta", 10000.0)
        self.conv1 = nn.Conv2d(3, w, kernel_size=p, stride=p, bias=False)
        if self.use_cls:
            self.class_embedding = nn.Parameter(torch.zeros(w))
        n = (1 if self.use_cls else 0) + self.grid * self.grid
        self.positional_embedding = nn.Parameter(torch.zeros(n, w))
        self.ln_pre = nn.LayerNorm(w, eps=eps)
        self.transformer = Transformer(w, cfg["layers"], cfg["heads"], cfg["mlp_width"], eps,
                                       cfg.get("ls_init_value"))
        self.ln_post = nn.LayerNorm(w, eps=eps)
        self.attn_pool = AttnPool(w, cfg.get("attn_pooler_heads", 8),
                                  cfg.get("attn_pooler_mlp_width", 4 * w), eps)
        self.proj = nn.Parameter(torch.zeros(w, cfg["output_dim"]))
        self._rope_cache = {}

    def _rope(self, gh, gw, device):
        key = (gh, gw)
        if key not in self._rope_cache:
            d = self.cfg["width"] // self.heads
            self._rope_cache[key] = rope_angles(gh, gw, d, self.use_cls, self.theta)
        return self._rope_cache[key].to(device)

    def _pos(self, gh, gw):
        pe = self.positional_embedding
        if gh == self.grid and gw == self.grid:
            return pe
        # bilinear, half-pixel centres, no antialias (reference section 4)
        c = 1 if self.use_cls else 0
        G = self.grid
        grid = pe[c:].reshape(1, G, G, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(gh, gw), mode="bilinear", align_corners=False, antialias=False)
        grid = grid.permute(0, 2, 3, 1).reshape(gh * gw, -1)
        return torch.cat([pe[:c], grid], dim=0)

    def forward(self, pixels):
        B = pixels.shape[0]
        x = self.conv1(pixels)  # [B, w, gh, gw]
        gh, gw = x.shape[-2:]
        x = x.flatten(2).transpose(1, 2)  # row-major tokens
        if self.use_cls:
            x = torch.cat([self.class_embedding.view(1, 1, -1).expand(B, -1, -1), x], dim=1)
        x = x + self._pos(gh, gw)
        x = self.ln_pre(x)
        x = self.transformer(x, rope=self._rope(gh, gw, x.device))
        x = self.ln_post(x)
        x = self.attn_pool(x)
        return x @ self.proj


class PECore(nn.Module):
    """Full CLIP model. state_dict() keys == official keys (reference section 10)."""

    def __init__(self, vision_cfg: dict, text_cfg: dict, logit_scale_init: float = math.log(1 / 0.07)):
        super().__init__()
        self.visual = VisionTower(vision_cfg)
        t = text_cfg
        tw = t["width"]
        eps = t.get("layernorm_eps", 1e-5)
        self.text_cfg = t
        self.eot_id = t.get("eot_id", 49407)
        self.token_embedding = nn.Embedding(t["vocab_size"], tw)
        self.positional_embedding = nn.Parameter(torch.zeros(t["context_length"], tw))
        self.transformer = Transformer(tw, t["layers"], t["heads"], t["mlp_width"], eps, None)
        self.ln_final = nn.LayerNorm(tw, eps=eps)
        self.text_projection = nn.Parameter(torch.zeros(tw, t["output_dim"]))
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale_init)))
        ctx = t["context_length"]
        mask = torch.full((ctx, ctx), float("-inf")).triu(1)
        self.register_buffer("attn_mask", mask, persistent=False)
        # optional [vocab] -> row map for a compact training table (train.py); None = full table
        self.token_remap = None

    def encode_image(self, pixels):
        return self.visual(pixels)

    def encode_text(self, ids):
        L = ids.shape[1]
        rows = ids if self.token_remap is None else self.token_remap[ids]
        x = self.token_embedding(rows) + self.positional_embedding[:L]
        x = self.transformer(x, mask=self.attn_mask[:L, :L])
        x = self.ln_final(x)
        # first EOT (explicitly; equals argmax(ids) for well-formed sequences)
        is_eot = (ids == self.eot_id).to(torch.int64)
        idx = torch.where(is_eot.any(dim=1), is_eot.argmax(dim=1), ids.argmax(dim=1))
        pooled = x[torch.arange(x.shape[0]), idx]
        return pooled @ self.text_projection

    def forward(self, pixels, ids):
        return self.encode_image(pixels), self.encode_text(ids)


def init_weights(model: PECore, generator: torch.Generator | None = None):
    """CLIP-style initialisation (used for training from scratch)."""
    g = generator

    def normal_(p, std):
        with torch.no_grad():
            p.copy_(torch.randn(p.shape, generator=g) * std)

    vw = model.visual.cfg["width"]
    tw = model.text_cfg["width"]
    for name, p in model.named_parameters():
        if name.endswith("logit_scale"):
            continue
        if name.endswith(".gamma"):
            continue
        if "ln_" in name or "layernorm" in name or name.endswith("ln_final.weight") or name.endswith("ln_final.bias"):
            with torch.no_grad():
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            continue
        if name.endswith("bias"):
            with torch.no_grad():
                p.zero_()
            continue
        width = vw if name.startswith("visual.") else tw
        if name.endswith("proj") or name.endswith("text_projection"):
            normal_(p, width ** -0.5)
        elif "positional_embedding" in name:
            normal_(p, 0.01)
        elif name.endswith("token_embedding.weight"):
            normal_(p, 0.02)
        elif name.endswith("class_embedding") or name.endswith("probe"):
            normal_(p, width ** -0.5)
        else:
            fan_in = p.shape[1] if p.dim() == 2 else p[0].numel()
            normal_(p, fan_in ** -0.5)
