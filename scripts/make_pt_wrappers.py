#!/usr/bin/env python3
"""Generate tests/fixtures/pt-wrappers/: `.pt` (PyTorch zip pickle) variants of the shared `tiny` model.

WHAT
    Reads shared/fixtures/pe-core/tiny/model.safetensors (official PE layout, float32, 2+2 layers,
    with LayerScale) and writes, with torch.save (zip format, the default since torch 1.6):

      tiny-state_dict.pt     {"state_dict": OrderedDict(sd)}             vision + logit_scale only (*)
      tiny-weights.pt        {"weights": OrderedDict(sd)}                vision + logit_scale only (*)
      tiny-module-prefix.pt  OrderedDict("module." + key -> tensor)      vision + logit_scale only (*)
      tiny-f16.pt            OrderedDict, every tensor float16           all keys
      tiny-bf16.pt           OrderedDict, every tensor bfloat16          all keys
      tiny-wrong-shape.pt    OrderedDict, `visual.proj` transposed       all keys
      tiny-missing-key.pt    OrderedDict without `visual.ln_post.weight` all keys but that one
      README.md              what each file tests, keys, sizes, sha256

    (*) The 49408 x 8 float32 token table alone is 1.6 MB; with every key in every file the set
    would be ~14 MB, over the ~12 MB budget, so the three pure wrapper tests drop the text tower
    (token_embedding, positional_embedding, transformer.*, ln_final, text_projection) — the official
    vision-only loader ignores those keys anyway — and keep all `visual.*` keys plus `logit_scale`.

WHY
    The official loader (perception_models core/vision_encoder/pe.py, reference §10) accepts the
    tensor mapping directly or nested under "state_dict" or "weights", strips `module.` prefixes
    and loads non-strictly. pelabel's Rust `.pt` loader must accept the same forms, convert
    f16/bf16 to f32, and reject wrong shapes / missing keys with a clear error. The shared fixture
    already has `tiny/model.pt` (plain OrderedDict with `_metadata`, float32) for the plain case.

    Tensors are cloned before saving so each has its own storage (no views into a shared buffer);
    the transposed `visual.proj` in tiny-wrong-shape.pt is made contiguous (shape [32,64] instead of
    [64,32]). The plain OrderedDicts here carry no `_metadata` attribute (unlike model.pt).

HOW TO RUN
    /root/venv-pefix/bin/python scripts/make_pt_wrappers.py [--shared /work/shared] \
        [--out tests/fixtures/pt-wrappers]
    Needs torch + safetensors (see scripts/make_openclip_fixture.py for the environment; any recent
    CPU torch works). Produced with torch 2.15.0, safetensors 0.8.0. Output is deterministic apart
    from torch.save's zip archive name/record layout, which depends on the torch version.
"""

import argparse
import hashlib
import json
import os
from collections import OrderedDict
from pathlib import Path

import safetensors
import torch
from safetensors.torch import load_file

TEXT_PREFIXES = ("token_embedding.", "positional_embedding", "transformer.", "ln_final.", "text_projection")


def is_text_key(k):
    return not k.startswith("visual.") and k != "logit_scale" and k.startswith(TEXT_PREFIXES)


def cloned(sd, dtype=None):
    return OrderedDict((k, (v if dtype is None else v.to(dtype)).clone().contiguous()) for k, v in sd.items())


def main():
    repo = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description="write .pt wrapper variants of the shared tiny model")
    ap.add_argument("--shared", default="/work/shared")
    ap.add_argument("--out", default=str(repo / "tests" / "fixtures" / "pt-wrappers"))
    args = ap.parse_args()
    src = Path(args.shared) / "fixtures" / "pe-core" / "tiny" / "model.safetensors"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    full = load_file(str(src))
    full = OrderedDict(sorted(full.items()))
    assert all(v.dtype == torch.float32 for v in full.values())
    # every non-visual key except logit_scale must be a text-tower key
    other = [k for k in full if not k.startswith("visual.") and k != "logit_scale"]
    assert all(is_text_key(k) for k in other), [k for k in other if not is_text_key(k)]
    vision = OrderedDict((k, v) for k, v in full.items() if not is_text_key(k))
    assert "visual.ln_post.weight" in full and list(full["visual.proj"].shape) == [64, 32]

    wrong = cloned(full)
    wrong["visual.proj"] = full["visual.proj"].t().contiguous()
    missing = cloned(full)
    del missing["visual.ln_post.weight"]

    variants = [
        ("tiny-state_dict.pt", {"state_dict": cloned(vision)}, "dict {'state_dict': OrderedDict}",
         "vision + logit_scale", "float32", "load OK; tensors == model.safetensors for these keys"),
        ("tiny-weights.pt", {"weights": cloned(vision)}, "dict {'weights': OrderedDict}",
         "vision + logit_scale", "float32", "load OK; tensors == model.safetensors for these keys"),
        ("tiny-module-prefix.pt", OrderedDict(("module." + k, v) for k, v in cloned(vision).items()),
         "OrderedDict, every key prefixed 'module.'", "vision + logit_scale", "float32",
         "load OK after stripping 'module.'; tensors == model.safetensors"),
        ("tiny-f16.pt", cloned(full, torch.float16), "plain OrderedDict", "all", "float16",
         "load OK, upcast to f32; equals model.safetensors rounded to f16 (relative error <= 2^-11)"),
        ("tiny-bf16.pt", cloned(full, torch.bfloat16), "plain OrderedDict", "all", "bfloat16",
         "load OK, upcast to f32; equals model.safetensors rounded to bf16 (relative error <= 2^-8)"),
        ("tiny-wrong-shape.pt", wrong, "plain OrderedDict", "all (visual.proj is [32,64])", "float32",
         "must FAIL: shape mismatch on visual.proj (expected [64,32], got [32,64])"),
        ("tiny-missing-key.pt", missing, "plain OrderedDict", "all but visual.ln_post.weight", "float32",
         "must FAIL: missing key visual.ln_post.weight"),
    ]

    rows = []
    for fname, obj, wrapper, keys, dtype, expect in variants:
        path = out / fname
        if path.exists():
            os.remove(path)
        torch.save(obj, str(path))
        # verify
        back = torch.load(str(path), weights_only=True, map_location="cpu")
        if isinstance(back, dict) and set(back) in ({"state_dict"}, {"weights"}):
            inner = back[next(iter(back))]
        else:
            inner = back
        inner = {k[len("module."):] if k.startswith("module.") else k: v for k, v in inner.items()}
        n = 0
        for k, v in inner.items():
            ref = full[k]
            if fname == "tiny-wrong-shape.pt" and k == "visual.proj":
                assert torch.equal(v, ref.t())
            elif dtype == "float32":
                assert v.dtype == torch.float32 and torch.equal(v, ref), (fname, k)
            else:
                assert v.dtype == getattr(torch, dtype) and torch.equal(v, ref.to(v.dtype)), (fname, k)
            n += 1
        rows.append(dict(file=fname, wrapper=wrapper, keys=keys, n_keys=n, dtype=dtype, expect=expect,
                         bytes=path.stat().st_size,
                         sha256=hashlib.sha256(path.read_bytes()).hexdigest()))

    total = sum(r["bytes"] for r in rows)
    lines = [
        "# `.pt` wrapper variants of the shared `tiny` model",
        "",
        "Generated by `scripts/make_pt_wrappers.py` from `shared/fixtures/pe-core/tiny/model.safetensors`",
        f"(official PE layout, {len(full)} keys, float32; seed/weights described in",
        "`shared/fixtures/pe-core/README.md`) with `torch.save` (PyTorch zip pickle), torch "
        f"{torch.__version__.split('+')[0]}, safetensors {safetensors.__version__}.",
        "",
        "Regenerate: `/root/venv-pefix/bin/python scripts/make_pt_wrappers.py` (any CPU torch).",
        "",
        "Reference outputs: `shared/fixtures/pe-core/tiny/expected.safetensors` (the tensors are the",
        "same, so loading any accepted file must reproduce `image_embeds`; the f16/bf16 ones only",
        "approximately). Plain f32 with `_metadata` is `shared/fixtures/pe-core/tiny/model.pt`.",
        "",
        "| file | wrapper | keys | dtype | a loader must | bytes |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| `{r['file']}` | {r['wrapper']} | {r['keys']} ({r['n_keys']}) | {r['dtype']} | "
                     f"{r['expect']} | {r['bytes']:,} |")
    lines += [
        "",
        f"Total {total:,} bytes.",
        "",
        "Notes:",
        "- **Text tower dropped** from `tiny-state_dict.pt`, `tiny-weights.pt` and `tiny-module-prefix.pt`",
        "  (keys `token_embedding.weight` [49408,8], `positional_embedding`, `transformer.*`, `ln_final.*`,",
        "  `text_projection`) to stay under the size budget: they test only the unwrapping. They keep",
        "  every `visual.*` key and `logit_scale`. Test them as vision-only checkpoints (or compare the",
        "  tensor maps), e.g. reproduce `image_embeds` of the tiny fixture.",
        "- The official loader (`core/vision_encoder/pe.py`, `load_ckpt`): `torch.load(weights_only=True)`;",
        "  if the top level has a `\"state_dict\"` key use it, elif `\"weights\"` use that, else the mapping",
        "  itself; then `k.replace(\"module.\", \"\")` on every key (every occurrence, not only a leading one);",
        "  the vision-only loader keeps keys containing `visual` and strips `visual.`; finally",
        "  `load_state_dict(strict=False)`. pelabel should be strict about missing keys and shapes (the",
        "  last two files) while ignoring unknown extra keys.",
        "- The wrappers are plain Python dicts; the inner mappings are `collections.OrderedDict` without",
        "  the `_metadata` attribute that `model.state_dict()` carries.",
        "- Every tensor has its own storage, offset 0, contiguous (the transposed `visual.proj` too).",
        "",
        "sha256:",
        "",
        "```",
    ]
    lines += [f"{r['sha256']}  {r['file']}" for r in rows]
    lines += ["```", ""]
    (out / "README.md").write_text("\n".join(lines))
    print(json.dumps(rows, indent=1))
    print("total bytes", total)


if __name__ == "__main__":
    main()
