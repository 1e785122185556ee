"""Train the bundled demo PE Core model (issue [4]) on the synthetic shapes world.

Same architecture code paths as the released PE Core models (pe_model.py, verified against the
official-code fixtures by check_against_fixture.py): cls token, abs pos-emb + 2D RoPE, attention
pooling (8 heads), causal text tower pooled at the first EOT, the real CLIP tokenizer (open_clip's
SimpleTokenizer), bias-free projections, learnable logit_scale. CLIP contrastive loss, CPU,
deterministic (seeded data and init, torch.use_deterministic_algorithms, fixed thread count).

Output (in --out): model.safetensors in the OFFICIAL key layout (reference section 10; full
49408-row token table), config.json (format of the shared fixtures' config.json), train_log.json.

Usage:
    /root/venv-pefix/bin/python models/demo/train.py --out /tmp/demo-trial --steps 600 --threads 1
    /root/venv-pefix/bin/python models/demo/train.py --bench 5        # time a few steps and exit

Only the token-embedding rows of ids that can occur in captions are trained (a compact table
remapped from the full vocab); the saved table has all 49408 rows (unused rows keep their seeded
N(0, 0.02) init and never influence any caption of this world).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from pe_model import PECore, init_weights  # noqa: E402

VOCAB_SIZE, PAD_ID, SOT_ID, EOT_ID = 49408, 0, 49406, 49407


def default_config(a) -> dict:
    vw, tw = a.vision_width, a.text_width
    return {
        "name": "pelabel-demo-shapes",
        "note": "Small PE Core CLIP trained on the synthetic shapes world (models/demo/synth.py) by models/demo/train.py.",
        "seed": a.seed,
        "weights_dtype": "float32",
        "compute_dtype": "float32",
        "vision": {
            "image_size": a.image_size,
            "patch_size": a.patch_size,
            "width": vw,
            "layers": a.vision_layers,
            "heads": a.vision_heads,
            "mlp_ratio": 4.0,
            "mlp_width": 4 * vw,
            "head_dim": vw // a.vision_heads,
            "grid_size": a.image_size // a.patch_size,
            "num_tokens": 1 + (a.image_size // a.patch_size) ** 2,
            "output_dim": a.embed_dim,
            "use_cls_token": True,
            "ls_init_value": None,
            "drop_path": 0.0,
            "use_abs_posemb": True,
            "use_rope2d": True,
            "rope_theta": 10000.0,
            "pool_type": "attn",
            "attn_pooler_heads": 8,
            "attn_pooler_num_probe": 1,
            "attn_pooler_mlp_width": 4 * vw,
            "use_ln_pre": True,
            "use_ln_post": True,
            "layernorm_eps": 1e-5,
            "act": "gelu_erf",
        },
        "preprocess": {
            "resize": "PIL bilinear (antialiased) squash to image_size x image_size, no crop",
            "to_rgb_after_resize": True,
            "scale": 1.0 / 255.0,
            "mean": [0.5, 0.5, 0.5],
            "std": [0.5, 0.5, 0.5],
        },
        "text": {
            "context_length": a.context_length,
            "width": tw,
            "heads": a.text_heads,
            "layers": a.text_layers,
            "mlp_ratio": 4.0,
            "mlp_width": 4 * tw,
            "head_dim": tw // a.text_heads,
            "output_dim": a.embed_dim,
            "vocab_size": VOCAB_SIZE,
            "causal_mask": True,
            "pool_type": "argmax",
            "pad_id": PAD_ID,
            "sot_id": SOT_ID,
            "eot_id": EOT_ID,
            "layernorm_eps": 1e-5,
            "act": "gelu_erf",
            "proj_bias": False,
        },
        "logit_scale_init": math.log(1 / 0.07),
        "embed_dim": a.embed_dim,
    }


# ----------------------------------------------------------------------------- data
def preprocess(img: Image.Image, size: int) -> np.ndarray:
    """Reference section 8: PIL bilinear squash, RGB, (u8/255 - 0.5)/0.5, CHW float32."""
    img = img.resize((size, size), Image.BILINEAR).convert("RGB")
    a = np.asarray(img, dtype=np.float32) / 255.0
    return ((a - 0.5) / 0.5).transpose(2, 0, 1)


class Tokenizer:
    def __init__(self, ctx):
        from open_clip.tokenizer import SimpleTokenizer
        self.tok = SimpleTokenizer(context_length=ctx)
        self.ctx = ctx
        self.cache = {}

    def __call__(self, texts):
        out = []
        for t in texts:
            if t not in self.cache:
                ids = self.tok([t])[0]
                if len(self.tok.encode(t)) + 2 > self.ctx:
                    raise ValueError(f"caption longer than context ({self.ctx}): {t!r}")
                self.cache[t] = ids
            out.append(self.cache[t])
        return torch.stack(out)

    def used_ids(self):
        ids = {PAD_ID, SOT_ID, EOT_ID}
        for w in synth.caption_vocabulary():
            ids.update(self.tok.encode(w))
        return sorted(ids)


def scene_batch(seed, step, batch, image_size):
    """The images and captions of one training step: a pure function of (seed, step)."""
    rng = np.random.default_rng([seed, 1, step])
    imgs, caps = [], []
    for _ in range(batch):
        img, cap, _ = synth.make_scene(rng, held_out="exclude")
        imgs.append(preprocess(img, image_size))
        caps.append(cap)
    return np.stack(imgs), caps


class Prefetcher:
    """Draws the next few batches in one worker process while the model trains on the current one.
    Batches depend only on (seed, step), so the result is identical with or without the worker."""

    def __init__(self, a, steps, depth=3):
        import multiprocessing as mp
        self.a, self.steps, self.depth = a, steps, depth
        self.pool = mp.get_context("fork").Pool(1) if a.data_worker else None
        self.pending = {}

    def _submit(self, step):
        if self.pool is not None and step < self.steps and step not in self.pending:
            self.pending[step] = self.pool.apply_async(
                scene_batch, (self.a.seed, step, self.a.batch, self.a.image_size))

    def get(self, step):
        for s in range(step, step + self.depth):
            self._submit(s)
        if self.pool is None:
            return scene_batch(self.a.seed, step, self.a.batch, self.a.image_size)
        return self.pending.pop(step).get()

    def close(self):
        if self.pool is not None:
            self.pool.terminate()


def make_batch(step, a, tok, prefetch):
    x, caps = prefetch.get(step)
    return torch.from_numpy(x), tok(caps), caps


def make_eval_set(n, seed, image_size, unseen_fraction=0.25):
    rng = np.random.default_rng(seed)
    xs, labels, split = [], [], []
    for i in range(n):
        unseen = i < int(round(n * unseen_fraction))
        img, _, truth = synth.make_scene(rng, held_out="only" if unseen else "exclude", n_objects=1)
        xs.append(preprocess(img, image_size))
        o = truth["objects"][0]
        labels.append(synth.ALL_COMBOS.index((o["colour"], o["shape"])))
        split.append(unseen)
    return torch.from_numpy(np.stack(xs)), torch.tensor(labels), torch.tensor(split)


@torch.no_grad()
def zero_shot(model, tok, xs, labels, unseen, bs=128):
    model.eval()
    prompts = [synth.EVAL_TEMPLATE.format(colour=c, shape=s) for c, s in synth.ALL_COMBOS]
    te = F.normalize(model.encode_text(tok(prompts)), dim=-1)
    preds = []
    for i in range(0, len(xs), bs):
        ie = F.normalize(model.encode_image(xs[i:i + bs]), dim=-1)
        preds.append((ie @ te.T).argmax(-1))
    pred = torch.cat(preds)
    model.train()
    ok = pred == labels
    pc = [synth.ALL_COMBOS[p] for p in pred.tolist()]
    tc = [synth.ALL_COMBOS[t] for t in labels.tolist()]
    col = torch.tensor([p[0] == t[0] for p, t in zip(pc, tc)])
    shp = torch.tensor([p[1] == t[1] for p, t in zip(pc, tc)])
    seen = ~unseen
    f = lambda m, sel: round(100.0 * m[sel].float().mean().item(), 2) if sel.any() else None  # noqa: E731
    return {
        "top1_all": f(ok, torch.ones_like(ok)),
        "top1_seen": f(ok, seen),
        "top1_unseen": f(ok, unseen),
        "colour_acc_seen": f(col, seen), "shape_acc_seen": f(shp, seen),
        "colour_acc_unseen": f(col, unseen), "shape_acc_unseen": f(shp, unseen),
        "n_seen": int(seen.sum()), "n_unseen": int(unseen.sum()),
    }


# ----------------------------------------------------------------------------- saving
def full_state_dict(model, used, full_init):
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    table = full_init.clone()
    table[torch.tensor(used)] = sd["token_embedding.weight"]
    sd["token_embedding.weight"] = table
    return sd


def save(out, sd, cfg, log):
    from safetensors.torch import save_file
    os.makedirs(out, exist_ok=True)
    save_file(sd, os.path.join(out, "model.safetensors"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(out, "train_log.json"), "w") as f:
        json.dump(log, f, indent=1)


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/demo-trial")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--time-limit", type=float, default=0, help="minutes; stop early (still saves)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--eval-n", type=int, default=320)
    ap.add_argument("--eval-seed", type=int, default=12345)
    ap.add_argument("--image-size", type=int, default=96)
    ap.add_argument("--patch-size", type=int, default=12)
    ap.add_argument("--vision-width", type=int, default=128)
    ap.add_argument("--vision-layers", type=int, default=4)
    ap.add_argument("--vision-heads", type=int, default=4)
    ap.add_argument("--text-width", type=int, default=128)
    ap.add_argument("--text-layers", type=int, default=4)
    ap.add_argument("--text-heads", type=int, default=4)
    ap.add_argument("--context-length", type=int, default=32)
    ap.add_argument("--embed-dim", type=int, default=128)
    ap.add_argument("--bench", type=int, default=0, help="time N training steps and exit")
    ap.add_argument("--data-worker", type=int, default=1, choices=[0, 1],
                    help="draw batches in a worker process (same batches either way)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(a.seed)

    cfg = default_config(a)
    tok = Tokenizer(a.context_length)
    used = tok.used_ids()
    remap = torch.full((VOCAB_SIZE,), -1, dtype=torch.long)
    remap[torch.tensor(used)] = torch.arange(len(used))

    g = torch.Generator().manual_seed(a.seed)
    model = PECore(cfg["vision"], cfg["text"], cfg["logit_scale_init"])
    init_weights(model, g)
    full_init = model.token_embedding.weight.detach().clone()
    # compact trainable table: only the rows that captions can use
    model.token_embedding = torch.nn.Embedding(len(used), a.text_width)
    with torch.no_grad():
        model.token_embedding.weight.copy_(full_init[torch.tensor(used)])
    model.token_remap = remap
    n_params = sum(p.numel() for p in model.parameters())
    print(f"params (compact table) {n_params/1e6:.2f} M; used token ids {len(used)}; "
          f"full model {(n_params + (VOCAB_SIZE - len(used)) * a.text_width)/1e6:.2f} M", flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.98), eps=1e-6)

    def lr_at(s):
        if s < a.warmup:
            return a.lr * (s + 1) / a.warmup
        return a.lr * 0.5 * (1 + math.cos(math.pi * (s - a.warmup) / max(1, a.steps - a.warmup)))

    ev = make_eval_set(a.eval_n, a.eval_seed, a.image_size) if not a.bench else None
    log = {"args": vars(a), "steps": [], "evals": []}
    t0 = time.time()
    t_data = 0.0
    steps = a.bench or a.steps
    model.train()
    step = 0
    prefetch = Prefetcher(a, steps)
    for step in range(steps):
        td = time.time()
        x, ids, _ = make_batch(step, a, tok, prefetch)
        assert bool((remap[ids] >= 0).all()), "caption token outside the used-id table"
        t_data += time.time() - td
        for gp in opt.param_groups:
            gp["lr"] = lr_at(step)
        ie, te = model(x, ids)
        ie, te = F.normalize(ie, dim=-1), F.normalize(te, dim=-1)
        logits = model.logit_scale.exp() * ie @ te.T
        tgt = torch.arange(len(x))
        loss = 0.5 * (F.cross_entropy(logits, tgt) + F.cross_entropy(logits.T, tgt))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        el = time.time() - t0
        log["steps"].append({"step": step + 1, "loss": round(loss.item(), 4), "lr": lr_at(step),
                             "logit_scale_exp": round(model.logit_scale.exp().item(), 2), "t": round(el, 1)})
        if (step + 1) % 10 == 0 or step == 0:
            print(f"step {step+1:5d} loss {loss.item():.4f} scale {model.logit_scale.exp().item():6.2f} "
                  f"lr {lr_at(step):.2e}  {el:7.1f}s  ({(step+1)/el:.3f} steps/s, data {t_data/el*100:.0f}%)",
                  flush=True)
        if ev is not None and ((step + 1) % a.eval_every == 0 or step + 1 == steps):
            r = zero_shot(model, tok, *ev)
            r["step"] = step + 1
            r["t"] = round(time.time() - t0, 1)
            log["evals"].append(r)
            print("  eval", json.dumps(r), flush=True)
        if a.time_limit and el > a.time_limit * 60:
            print(f"time limit reached at step {step+1}", flush=True)
            break
    prefetch.close()
    el = time.time() - t0
    log["train_seconds"] = round(el, 1)
    log["steps_done"] = step + 1
    log["steps_per_second"] = round((step + 1) / el, 4)
    log["samples_per_second"] = round((step + 1) * a.batch / el, 2)
    log["data_fraction"] = round(t_data / el, 3)
    print(f"done: {step+1} steps in {el:.1f}s = {(step+1)/el:.3f} steps/s, "
          f"{(step+1)*a.batch/el:.1f} samples/s, data {t_data/el*100:.0f}%", flush=True)
    if a.bench:
        return

    # save in the official layout, reload into a fresh full-table model, check and re-evaluate
    sd = full_state_dict(model, used, full_init)
    cfg["train"] = {k: log[k] for k in ("steps_done", "train_seconds", "steps_per_second")}
    cfg["train"].update({"batch": a.batch, "lr": a.lr, "threads": a.threads, "torch": torch.__version__})
    fresh = PECore(cfg["vision"], cfg["text"])
    fresh.load_state_dict(sd, strict=True)
    fresh.eval()
    model.eval()
    with torch.no_grad():
        xs = ev[0][:16]
        d_img = (fresh.encode_image(xs) - model.encode_image(xs)).abs().max().item()
        prompts = [synth.EVAL_TEMPLATE.format(colour=c, shape=s) for c, s in synth.ALL_COMBOS]
        pid = tok(prompts)
        d_txt = (fresh.encode_text(pid) - model.encode_text(pid)).abs().max().item()
    print(f"reloaded saved layout: max|diff| image {d_img:.2e} text {d_txt:.2e}")
    final = zero_shot(fresh, tok, *ev)
    log["final_eval_from_saved_weights"] = final
    print("final eval (saved weights):", json.dumps(final))
    save(a.out, sd, cfg, log)
    print("saved to", a.out)


if __name__ == "__main__":
    main()
