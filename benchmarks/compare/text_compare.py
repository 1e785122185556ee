#!/usr/bin/env python3
"""Text towers side by side (issue [11], item 2): PE Core T16 and S16 text towers in PyTorch, ONNX
Runtime (f32 and dynamic int8) and pelabel (f32 and int8; the candle reference too), on the same
real prompts (ImageNet-1k class names in OpenAI CLIP's 80 templates), the same token ids, the same
random weights and the same thread count. Prints prompts/s and each runtime's agreement with
pelabel f32, and checks the issue's goals.

    benchmarks/compare/run_text.sh --threads 2 --json target/compare/text.json
    ~/venv-bench/bin/python benchmarks/compare/text_compare.py --threads 2 --presets T16-384,S16-384

Every runtime gets the prompts in the same groups: sorted by end-of-text position, 64 per group,
each group cut to its own longest prompt (the work a causal tower pooled at end-of-text needs;
pelabel does this inside `encode_ids`, the Python side is given the same cut). Tokenisation is
outside the timing (pelabel's tokenizer makes the ids once; the others read them).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[2]
GROUP = 64
BASELINE_PROMPTS_PER_S = 89.0  # the "today": candle graph, T16, 2 threads


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--presets", default="T16-384,S16-384", help="comma-separated PE Core presets")
    p.add_argument("--class-step", type=int, default=40, help="every Nth ImageNet class (40: 25 classes, 2000 prompts)")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds per runtime (best and median reported)")
    p.add_argument("--runtimes", default="pelabel,pelabel-int8,pelabel-candle,pytorch,onnxruntime,onnxruntime-int8")
    p.add_argument("--workdir", type=Path, default=REPO / "target" / "compare" / "text")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--json", type=Path)
    return p.parse_args()


def prompts(step):
    d = tomllib.loads((REPO / "label-sets" / "imagenet-1k.toml").read_text())
    out = []
    for label in d["labels"][::step]:
        for t in d["templates"]:
            out.append(t.replace("{}", label["name"]))
    return out


def harness(no_build):
    exe = REPO / "target" / "release" / "examples" / "text_bench"
    if not no_build:
        subprocess.run(
            ["cargo", "build", "--release", "-p", "pelabel", "--features", "testing", "--example", "text_bench"],
            cwd=REPO, check=True,
        )
    return exe


def run_pelabel(exe, model, prompts_file, engine, precision, rounds, threads, ids=None, out=None):
    cmd = [str(exe), "run", "--model", str(model), "--prompts", str(prompts_file), "--engine", engine,
           "--precision", precision, "--batch", str(GROUP), "--rounds", str(rounds)]
    if ids:
        cmd += ["--ids", str(ids)]
    if out:
        cmd += ["--out", str(out)]
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    line = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(line)


class Attention(torch.nn.Module):
    """nn.MultiheadAttention's parameters (same names), computed with scaled_dot_product_attention
    and shapes read from the input, so the ONNX export keeps batch and length dynamic."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.in_proj_weight = torch.nn.Parameter(torch.zeros(3 * width, width))
        self.in_proj_bias = torch.nn.Parameter(torch.zeros(3 * width))
        self.out_proj = torch.nn.Linear(width, width)

    def forward(self, x, mask):
        b, n, w = x.shape
        qkv = torch.nn.functional.linear(x, self.in_proj_weight, self.in_proj_bias)
        qkv = qkv.reshape(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        o = torch.nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=mask)
        return self.out_proj(o.transpose(1, 2).reshape(b, n, w))


class Block(torch.nn.Module):
    def __init__(self, width, heads, mlp, eps, layer_scale):
        super().__init__()
        self.ln_1 = torch.nn.LayerNorm(width, eps=eps)
        self.attn = Attention(width, heads)
        self.ln_2 = torch.nn.LayerNorm(width, eps=eps)
        self.mlp = torch.nn.Sequential()
        self.mlp.add_module("c_fc", torch.nn.Linear(width, mlp))
        self.mlp.add_module("gelu", torch.nn.GELU())
        self.mlp.add_module("c_proj", torch.nn.Linear(mlp, width))
        self.ls = layer_scale
        if layer_scale:
            self.ls_1 = torch.nn.Module()
            self.ls_1.gamma = torch.nn.Parameter(torch.ones(width))
            self.ls_2 = torch.nn.Module()
            self.ls_2.gamma = torch.nn.Parameter(torch.ones(width))

    def forward(self, x, mask):
        h = self.ln_1(x)
        a = self.attn(h, mask)
        x = x + (a * self.ls_1.gamma if self.ls else a)
        m = self.mlp(self.ln_2(x))
        return x + (m * self.ls_2.gamma if self.ls else m)


class TextTower(torch.nn.Module):
    """PE Core's text tower (reference §6) with the official parameter names."""

    def __init__(self, cfg, layer_scale):
        super().__init__()
        w = cfg["width"]
        mlp = cfg.get("mlp_width") or int(w * (cfg.get("mlp_ratio") or 4.0))
        self.token_embedding = torch.nn.Embedding(cfg["vocab_size"], w)
        self.positional_embedding = torch.nn.Parameter(torch.zeros(cfg["context_length"], w))
        self.transformer = torch.nn.Module()
        self.transformer.resblocks = torch.nn.ModuleList(
            Block(w, cfg["heads"], mlp, cfg["layernorm_eps"], layer_scale) for _ in range(cfg["layers"])
        )
        self.ln_final = torch.nn.LayerNorm(w, eps=cfg["layernorm_eps"])
        self.text_projection = torch.nn.Parameter(torch.zeros(w, cfg["output_dim"]))

    def forward(self, ids, eot):
        n = ids.shape[1]
        x = self.token_embedding(ids) + self.positional_embedding[:n]
        mask = torch.full((n, n), float("-inf")).triu(1)
        for blk in self.transformer.resblocks:
            x = blk(x, mask)
        x = self.ln_final(x[torch.arange(ids.shape[0]), eot])
        return x @ self.text_projection


def load_torch(model_dir):
    cfg = json.loads((model_dir / "config.json").read_text())["text"]
    state = load_file(str(model_dir / "model.safetensors"))
    text = {k: v for k, v in state.items() if not k.startswith("visual.") and k != "logit_scale"}
    tower = TextTower(cfg, any(".ls_1." in k for k in text))
    tower.load_state_dict(text, strict=True)
    return tower.eval(), cfg


def groups(ids):
    """Sorted by end-of-text position, 64 per group, each cut to its longest prompt: the same
    work pelabel does. Returns (original indices, ids [g, n] int64, eot [g] int64) per group."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = []
    for s in range(0, len(order), GROUP):
        idx = order[s:s + GROUP]
        n = max(len(ids[i]) for i in idx)
        a = np.zeros((len(idx), n), dtype=np.int64)
        for r, i in enumerate(idx):
            a[r, : len(ids[i])] = ids[i]
        out.append((idx, a, np.array([len(ids[i]) - 1 for i in idx], dtype=np.int64)))
    return out


def timed(run_group, batches, count, dim, rounds):
    emb = np.zeros((count, dim), dtype=np.float32)
    secs = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for idx, a, e in batches:
            emb[idx] = run_group(a, e)
        secs.append(time.perf_counter() - t0)
    return emb, secs


def export_onnx(tower, path):
    ids = torch.zeros((2, 8), dtype=torch.int64)
    eot = torch.tensor([7, 5], dtype=torch.int64)
    torch.onnx.export(
        tower, (ids, eot), str(path), input_names=["ids", "eot"], output_names=["embedding"],
        dynamic_axes={"ids": {0: "batch", 1: "tokens"}, "eot": {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=17, dynamo=False,
    )


def ort_session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def cosines(a, b):
    num = (a * b).sum(1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return num / np.maximum(den, 1e-30)


def one_preset(preset, args, exe, prompt_file, count):
    wd = args.workdir / preset
    wd.mkdir(parents=True, exist_ok=True)
    if not (wd / "model.safetensors").exists():
        subprocess.run([str(exe), "checkpoint", "--dir", str(wd), "--preset", preset], check=True, capture_output=True)
    wanted = args.runtimes.split(",")
    results = {}
    log(f"{preset}: pelabel f32")
    results["pelabel"] = run_pelabel(exe, wd, prompt_file, "fast", "f32", args.rounds, args.threads,
                                     ids=wd / "ids.json", out=wd / "pelabel.f32")
    ref = np.fromfile(wd / "pelabel.f32", dtype="<f4").reshape(count, -1)
    dim = ref.shape[1]
    ids = json.loads((wd / "ids.json").read_text())
    batches = groups(ids)
    for name, engine, prec in [("pelabel-int8", "fast", "int8"), ("pelabel-candle", "candle", "f32")]:
        if name in wanted:
            log(f"{preset}: {name}")
            results[name] = run_pelabel(exe, wd, prompt_file, engine, prec, args.rounds, args.threads,
                                        out=wd / f"{name}.f32")
            emb = np.fromfile(wd / f"{name}.f32", dtype="<f4").reshape(count, -1)
            results[name]["min_cosine_to_pelabel_f32"] = float(cosines(emb, ref).min())
    torch.set_num_threads(args.threads)
    tower, _ = load_torch(wd)
    if "pytorch" in wanted:
        log(f"{preset}: pytorch")
        with torch.inference_mode():
            emb, secs = timed(lambda a, e: tower(torch.from_numpy(a), torch.from_numpy(e)).numpy(), batches, count, dim,
                              args.rounds)
        results["pytorch"] = {"seconds": secs, "precision": "f32", "min_cosine_to_pelabel_f32": float(cosines(emb, ref).min())}
    onnx = wd / "text.onnx"
    if {"onnxruntime", "onnxruntime-int8"} & set(wanted):
        if not onnx.exists():
            log(f"{preset}: exporting ONNX")
            export_onnx(tower, onnx)
        q8 = wd / "text-int8.onnx"
        if "onnxruntime-int8" in wanted and not q8.exists():
            quantize_dynamic(str(onnx), str(q8), weight_type=QuantType.QInt8)
        for name, path, prec in [("onnxruntime", onnx, "f32"), ("onnxruntime-int8", q8, "int8")]:
            if name not in wanted:
                continue
            log(f"{preset}: {name}")
            s = ort_session(path, args.threads)
            emb, secs = timed(lambda a, e: s.run(None, {"ids": a, "eot": e})[0], batches, count, dim, args.rounds)
            results[name] = {"seconds": secs, "precision": prec, "min_cosine_to_pelabel_f32": float(cosines(emb, ref).min())}
    for r in results.values():
        secs = sorted(r["seconds"])
        r["prompts_per_s_best"] = count / secs[0]
        r["prompts_per_s_median"] = count / statistics.median(secs)
    return results


def goals(preset, res):
    out = []
    if "T16" not in preset:
        return out
    f32 = res["pelabel"]["prompts_per_s_best"]
    peers = [res[k]["prompts_per_s_best"] for k in ("pytorch", "onnxruntime") if k in res]
    if peers:
        out.append(("pelabel f32 >= the fastest f32 peer", f32 >= max(peers), f"{f32:.0f} vs {max(peers):.0f}"))
    out.append((f"pelabel f32 >= 3 x {BASELINE_PROMPTS_PER_S:.0f} prompts/s", f32 >= 3 * BASELINE_PROMPTS_PER_S, f"{f32:.0f}"))
    if "pelabel-int8" in res and res["pelabel-int8"]["precision"] == "int8":
        i8 = res["pelabel-int8"]["prompts_per_s_best"]
        out.append(("pelabel int8 >= 1.6 x pelabel f32", i8 >= 1.6 * f32, f"{i8 / f32:.2f} x"))
        cos = res["pelabel-int8"]["min_cosine_to_pelabel_f32"]
        out.append(("int8 cosine to f32 >= 0.995 (every prompt)", cos >= 0.995, f"{cos:.5f}"))
    return out


def main():
    args = parse_args()
    exe = harness(args.no_build)
    args.workdir.mkdir(parents=True, exist_ok=True)
    ps = prompts(args.class_step)
    prompt_file = args.workdir / "prompts.txt"
    prompt_file.write_text("\n".join(ps) + "\n")
    load = os.getloadavg()
    log(f"{len(ps)} prompts, {args.threads} threads, load average {load[0]:.2f}")
    report = {"threads": args.threads, "prompts": len(ps), "load_start": load, "presets": {}}
    all_ok = True
    for preset in args.presets.split(","):
        res = one_preset(preset, args, exe, prompt_file, len(ps))
        report["presets"][preset] = res
        print(f"\n{preset} text tower, {len(ps)} prompts, {args.threads} threads")
        print(f"| runtime | precision | prompts/s (best) | prompts/s (median) | min cosine to pelabel f32 |")
        print("|---|---|---:|---:|---:|")
        for name, r in res.items():
            cos = r.get("min_cosine_to_pelabel_f32", 1.0)
            print(f"| {name} | {r.get('precision', 'f32')} | {r['prompts_per_s_best']:.0f} | {r['prompts_per_s_median']:.0f} | {cos:.6f} |")
        g = goals(preset, res)
        report["presets"][preset]["goals"] = [{"goal": a, "met": b, "value": c} for a, b, c in g]
        for a, b, c in g:
            print(f"goal: {a}: {'MET' if b else 'NOT MET'} ({c})")
            all_ok &= b
    report["load_end"] = os.getloadavg()
    log(f"load average at the end {report['load_end'][0]:.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
