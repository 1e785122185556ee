#!/usr/bin/env python3
"""Side-by-side CPU comparison of the PE Core T16-384 image tower (issue [6], item 2).

One seeded random checkpoint in timm's layout (`vit_pe_core_tiny_patch16_384`) is loaded by

- PyTorch eager (timm),
- ONNX Runtime (the same timm model exported to ONNX), and its int8 dynamic quantisation,
- ExecuTorch with the XNNPACK delegate (the same model exported and lowered to a .pte),
- OpenVINO (that ONNX file converted, CPU plugin, f32), and its NNCF post-training int8 model,
- pelabel (`sdk/examples/tower_bench.rs`, a long-lived process loading the same file),

all at the same thread count, batch 1. The script checks that every runtime's image embedding
agrees with PyTorch eager on the same preprocessed input, then runs them round-robin in one
session (warm-up first, the order rotated every round; each runtime's turn is one untimed call
and then, for every idle gap of `--gap-ms`, calls each preceded by that pause) and prints median /
p10 / p90 latency, the ratio pelabel / peer, GFLOP/s achieved against candle's measured f32
matmul peak on this machine, and each runtime's median at every gap with its ratio to back to
back. `--json out.json` writes everything.

    python benchmarks/compare/compare.py --threads 2 --rounds 40 --gap-ms 30,0,100 --json compare.json

See README.md beside this file for installation and the meaning of each column.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODEL_NAME = "vit_pe_core_tiny_patch16_384"
PELABEL_PRESET = "PE-Core-T16-384"
ALL_RUNTIMES = [
    "pytorch",
    "onnxruntime",
    "onnxruntime-int8",
    "executorch-xnnpack",
    "openvino-f32",
    "openvino-int8",
    "pelabel",
    "pelabel-int8",
    "pelabel-bf16",
]
# pelabel's reduced-precision paths (harness name -> --precision value).
PELABEL_REDUCED = {"pelabel-int8": "int8", "pelabel-bf16": "bf16"}
# Runtimes computing in f32: they must agree with PyTorch eager to float noise.
F32_RUNTIMES = {"pytorch", "onnxruntime", "executorch-xnnpack", "openvino-f32", "pelabel"}
# Issue [6] goals (T16-384, batch 1, 2 threads).
GOAL_F32_VS_FASTEST_PEER = 0.9  # pelabel f32 latency at most 0.9x the fastest f32 peer's
GOAL_FRACTION_OF_PEAK = 0.70  # pelabel f32 at least 70 % of candle's measured matmul peak
GOAL_REDUCED_COSINE = 0.995  # reduced precision: cosine to f32 at least this
GOAL_REDUCED_SPEEDUP = 1.6  # reduced precision at least 1.6x faster than pelabel f32, and faster than ORT int8
# Issue [7] goals: pelabel at most 0.9x OpenVINO's latency at the same precision, and pelabel's
# latency after a 100 ms idle gap at most 1.10x its back-to-back latency.
GOAL_VS_OPENVINO = 0.9
GOAL_IDLE_GAP_MS = 100.0
GOAL_IDLE_RATIO = 1.10
# NNCF calibration: this many seeded random images preprocessed as the timed input is.
OPENVINO_CALIBRATION_IMAGES = 16
MIN_COSINE_F32 = 0.9999
MAX_REL_ABS_F32 = 1e-3  # max |a - ref| / max |ref|


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="intra-op threads of every runtime (default 2)")
    p.add_argument("--rounds", type=int, default=40, help="timed round-robin rounds (default 40)")
    p.add_argument("--warmup", type=int, default=3, help="untimed round-robin rounds first (default 3)")
    p.add_argument(
        "--gap-ms",
        default="30",
        help="idle gaps before timed calls, comma-separated ms, e.g. 0,30,100; the first sets the main table (default 30)",
    )
    p.add_argument(
        "--calls-per-gap",
        type=int,
        default=2,
        help="timed calls per gap in each runtime's turn of a round (default 2)",
    )
    p.add_argument(
        "--solo-runs",
        type=int,
        default=10,
        help="after the rounds, back-to-back runs of each runtime alone, to show alternation costs nothing (default 10)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights and input (default 0)")
    p.add_argument(
        "--runtimes",
        default=",".join(ALL_RUNTIMES),
        help=f"comma-separated subset of {','.join(ALL_RUNTIMES)} (pytorch is always the reference)",
    )
    p.add_argument("--peak-seconds", type=float, default=1.0, help="time per shape of the matmul peak (default 1)")
    p.add_argument("--workdir", type=Path, default=REPO / "target" / "compare", help="checkpoint and exports")
    p.add_argument("--harness", type=Path, help="tower_bench binary (default: built with cargo)")
    p.add_argument("--no-build", action="store_true", help="do not run cargo build for the harness")
    p.add_argument("--rebuild", action="store_true", help="re-export ONNX / ExecuTorch even if cached")
    p.add_argument("--json", type=Path, help="write all results to this file")
    args = p.parse_args()
    args.runtimes = [r.strip() for r in args.runtimes.split(",") if r.strip()]
    try:
        args.gaps = [float(g) for g in str(args.gap_ms).split(",") if g.strip()]
    except ValueError:
        p.error(f"--gap-ms: comma-separated numbers, got {args.gap_ms!r}")
    if not args.gaps or min(args.gaps) < 0 or len(set(args.gaps)) != len(args.gaps):
        p.error("--gap-ms: one or more distinct non-negative numbers")
    unknown = set(args.runtimes) - set(ALL_RUNTIMES)
    if unknown:
        p.error(f"unknown runtimes: {', '.join(sorted(unknown))}")
    if "pytorch" not in args.runtimes:
        args.runtimes.insert(0, "pytorch")
    return args


ARGS = parse_args()
# Thread settings must be in the environment before torch / onnxruntime / executorch load their
# thread pools.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import timm  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

torch.set_num_threads(ARGS.threads)
torch.set_num_interop_threads(1)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Model, checkpoint, input


def make_checkpoint(path: Path, seed: int) -> None:
    """Random T16-384 weights in timm's layout, seeded.

    timm's own init (std 0.02 matrices, LayerNorms at 1 / 0, zero biases) shrinks the embedding
    to ~1e-4 and would let a runtime that dropped a LayerNorm affine or a bias still agree. So,
    as pelabel's `write_random_checkpoint` does: matrices N(0, 1/fan_in) (activations keep their
    scale through the layers, as in trained weights), LayerNorm weights 1 + 0.1·N(0,1), biases
    0.05·N(0,1). Position embedding, class token and pooling probe keep timm's init. `head.bias`
    stays 0: PE Core's projection has no bias (pelabel refuses a non-zero one).
    """
    torch.manual_seed(seed)
    model = timm.create_model(MODEL_NAME, pretrained=False)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "head.bias":
                p.zero_()
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            elif p.ndim == 1 and "norm" in name and name.endswith(".weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".weight") and p.ndim >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in**0.5)
    state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path))


def load_timm(path: Path) -> torch.nn.Module:
    model = timm.create_model(MODEL_NAME, pretrained=False)
    model.load_state_dict(load_file(str(path)), strict=True)
    return model.eval()


def make_input(seed: int, size: int) -> torch.Tensor:
    """A seeded random RGB image, preprocessed as PE Core does: x/255, then (x - 0.5) / 0.5."""
    rng = np.random.default_rng(seed + 2)
    img = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
    x = (img.astype(np.float32) / 255.0 - 0.5) / 0.5
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))


def model_flops(model: torch.nn.Module, image_size: int) -> tuple[float, str]:
    """Matmul FLOPs (2 per multiply-add) of one image from the model's dims; norms, softmax, GELU
    and RoPE are left out (< 1%)."""
    p = model.patch_embed.patch_size[0]
    w = model.embed_dim
    L = len(model.blocks)
    m = model.blocks[0].mlp.fc1.out_features
    n_patch = (image_size // p) ** 2
    cls = 1 if getattr(model, "cls_token", None) is not None else 0
    n = n_patch + cls
    pool = model.attn_pool
    pm = pool.mlp.fc1.out_features
    n_latent = pool.latent.shape[1]
    out = model.head.out_features
    patch = 2 * n_patch * (3 * p * p) * w
    block = 2 * n * w * (3 * w) + 2 * 2 * n * n * w + 2 * n * w * w + 2 * 2 * n * w * m
    pooling = 2 * n * w * (2 * w) + 2 * n_latent * w * w + 2 * 2 * n_latent * n * w + 2 * n_latent * w * w
    pooling += 2 * 2 * n_latent * w * pm
    head = 2 * n_latent * w * out
    total = patch + L * block + pooling + head
    formula = (
        f"patch 2·P·3p²·w + L·(qkv 2·N·w·3w + attn 2·2·N²·w + proj 2·N·w² + mlp 2·2·N·w·m) + pool + head; "
        f"P={n_patch}, N={n}, p={p}, w={w}, L={L}, m={m}: "
        f"{patch / 1e9:.3f} + {L}×{block / 1e9:.4f} + {pooling / 1e9:.3f} + {head / 1e9:.4f} = {total / 1e9:.3f} GFLOP"
    )
    return float(total), formula


# --------------------------------------------------------------------------------------------
# Runtimes: each is (load, run) where run(x) returns the [1, D] embedding as numpy.


class PyTorchEager:
    name = "pytorch"

    def __init__(self, model: torch.nn.Module, x: torch.Tensor):
        self.model, self.x = model, x

    def run(self) -> np.ndarray:
        with torch.inference_mode():
            return self.model(self.x).numpy()


def export_onnx(model: torch.nn.Module, x: torch.Tensor, path: Path) -> str:
    """ONNX opset 18 via torch.export (dynamo); falls back to the TorchScript exporter (opset 17)."""
    try:
        # The exporter prints progress on stdout; keep stdout for the table.
        with contextlib.redirect_stdout(sys.stderr):
            torch.onnx.export(model, (x,), str(path), opset_version=18, dynamo=True, external_data=False)
        return "torch.onnx.export(dynamo=True, opset 18)"
    except Exception as e:  # noqa: BLE001 - the fallback is reported
        log(f"dynamo ONNX export failed ({type(e).__name__}: {str(e)[:200]}); trying the TorchScript exporter")
        torch.onnx.export(
            model, (x,), str(path), opset_version=17, dynamo=False, input_names=["pixels"], output_names=["embedding"]
        )
        return "torch.onnx.export(dynamo=False, opset 17)"


class OnnxRuntime:
    def __init__(self, name: str, path: Path, x: torch.Tensor, threads: int):
        import onnxruntime as ort

        self.name = name
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.feed = {self.sess.get_inputs()[0].name: x.numpy()}

    def run(self) -> np.ndarray:
        return self.sess.run(None, self.feed)[0]


def quantize_onnx(src: Path, dst: Path) -> str:
    """ONNX Runtime's dynamic int8 quantisation (int8 weights, activations quantised per call)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    pre = dst.with_suffix(".pre.onnx")
    try:
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        quantize_dynamic(str(pre), str(dst), weight_type=QuantType.QInt8)
        return "quant_pre_process + quantize_dynamic(weight_type=QInt8)"
    except Exception as e:  # noqa: BLE001 - the fallback is reported
        log(f"quant_pre_process failed ({type(e).__name__}: {str(e)[:200]}); quantising the raw export")
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)
        return "quantize_dynamic(weight_type=QInt8)"


def export_executorch(model: torch.nn.Module, x: torch.Tensor, path: Path) -> dict:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    ep = torch.export.export(model, (x,))
    edge = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    info: dict = {}
    try:
        from executorch.devtools.backend_debug import get_delegation_info

        d = get_delegation_info(edge.exported_program().graph_module)
        info = {"delegated_nodes": d.num_delegated_nodes, "non_delegated_nodes": d.num_non_delegated_nodes}
        info["non_delegated_ops"] = {
            op: v.non_delegated for op, v in d.delegation_by_operator.items() if v.non_delegated
        }
    except Exception as e:  # noqa: BLE001 - informational only
        info = {"delegation_info_error": f"{type(e).__name__}: {e}"}
    prog = edge.to_executorch()
    path.write_bytes(prog.buffer)
    return info


class ExecuTorch:
    name = "executorch-xnnpack"

    def __init__(self, path: Path, x: torch.Tensor, threads: int):
        from executorch.extension.pybindings import portable_lib as et

        # XNNPACK runs on ExecuTorch's own threadpool (sized from cpuinfo, not OMP_NUM_THREADS).
        et._unsafe_reset_threadpool(threads)
        self.threads = et._threadpool_get_thread_count()
        self.module = et._load_for_executorch(str(path))
        self.inputs = (x,)

    def run(self) -> np.ndarray:
        return self.module.forward(self.inputs)[0].numpy()


def openvino_models(onnx_path: Path, f32_xml: Path, int8_xml: Path, want_int8: bool) -> dict:
    """OpenVINO IR of the ONNX export (f32 weights kept: `compress_to_fp16=False`) and, when asked,
    its NNCF post-training int8 quantisation (`model_type=TRANSFORMER`, calibrated on seeded random
    images preprocessed as the timed input is). Both are saved, so later runs only compile them."""
    import openvino as ov

    info: dict = {}
    if not f32_xml.exists():
        log("converting the ONNX export to OpenVINO IR")
        ov.save_model(ov.convert_model(str(onnx_path)), str(f32_xml), compress_to_fp16=False)
    info["openvino_convert"] = "openvino.convert_model(ONNX export), save_model(compress_to_fp16=False)"
    if want_int8 and not int8_xml.exists():
        import nncf

        log(f"quantising the OpenVINO model with NNCF ({OPENVINO_CALIBRATION_IMAGES} calibration images)")
        size = int(ov.Core().read_model(str(f32_xml)).inputs[0].partial_shape[2].get_length())
        calib = [make_input(1000 + i, size).numpy() for i in range(OPENVINO_CALIBRATION_IMAGES)]
        q = nncf.quantize(
            ov.Core().read_model(str(f32_xml)),
            nncf.Dataset(calib),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(calib),
        )
        ov.save_model(q, str(int8_xml), compress_to_fp16=False)
    if want_int8:
        info["openvino_int8"] = (
            f"nncf.quantize(model_type=TRANSFORMER, preset PERFORMANCE, {OPENVINO_CALIBRATION_IMAGES} seeded random "
            f"images preprocessed like the input, seeds 1000..{1000 + OPENVINO_CALIBRATION_IMAGES - 1})"
        )
    return info


class OpenVino:
    """OpenVINO's CPU plugin, `threads` inference threads, one stream, latency hint.

    f32 is asked for explicitly (`INFERENCE_PRECISION_HINT=f32`): on CPUs with AMX or
    AVX512_BF16 the plugin's default is bf16 for the ops that stay in floating point. The int8
    model keeps the plugin's default there (its quantised ops run in int8 either way); the
    precision in effect is recorded."""

    def __init__(self, name: str, xml: Path, x: torch.Tensor, threads: int, f32: bool):
        import openvino as ov
        import openvino.properties as props
        import openvino.properties.hint as hints

        self.name = name
        core = ov.Core()
        config = {
            props.inference_num_threads: threads,
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            props.num_streams: 1,
        }
        if f32:
            config[hints.inference_precision] = ov.Type.f32
        self.compiled = core.compile_model(core.read_model(str(xml)), "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.x = x.numpy()
        self.properties = {}
        for key in ("INFERENCE_NUM_THREADS", "INFERENCE_PRECISION_HINT", "PERFORMANCE_HINT", "NUM_STREAMS", "ENABLE_CPU_PINNING"):
            try:
                self.properties[key] = str(self.compiled.get_property(key))
            except Exception:  # noqa: BLE001 - informational only
                pass

    def run(self) -> np.ndarray:
        return self.request.infer({0: self.x})[0].copy()


class Pelabel:
    """The Rust harness: a child process loading the checkpoint once, answering stdin commands."""

    def __init__(
        self, name: str, binary: Path, checkpoint: Path, x: torch.Tensor, threads: int, workdir: Path, precision: str
    ):
        self.name = name
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads), CANDLE_NUM_THREADS=str(threads))
        self.stderr = open(workdir / f"tower_bench.{name}.stderr", "w")
        cmd = [str(binary), "serve", "--model", str(checkpoint), "--preset", PELABEL_PRESET, "--threads", str(threads)]
        if precision != "f32":
            cmd += ["--precision", precision]
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=env,
        )
        self.ready = self._read()
        # A harness without the option ignores it; one on a CPU without the instructions falls back.
        effective = self.ready.get("precision", "f32")
        if effective != precision:
            self.close()
            raise RuntimeError(f"asked for {precision}, the harness runs {effective}")
        raw = workdir / "input.f32"
        x.numpy().astype("<f4").tofile(raw)
        self.cmd(f"input {raw} {x.shape[2]} {x.shape[3]}")
        self.first = np.asarray(self.cmd("embed")["embedding"], dtype=np.float32)[None]
        # Process start → loaded tower → first embedding (includes reading the input file).
        self.startup_ms = (time.perf_counter() - t0) * 1e3

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"tower_bench exited (code {self.proc.poll()}); see {self.stderr.name}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"tower_bench: {answer['error']}")
        return answer

    def cmd(self, line: str) -> dict:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._read()

    def run(self) -> np.ndarray:
        return np.asarray(self.cmd("embed")["embedding"], dtype=np.float32)[None]

    def timed(self) -> float:
        """One forward pass timed inside the harness (no pipe or JSON in the figure)."""
        return float(self.cmd("run 1")["ms"][0])

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - best effort at exit
            self.proc.kill()
        self.stderr.close()


# --------------------------------------------------------------------------------------------


def harness_binary() -> Path:
    if ARGS.harness:
        return ARGS.harness
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "release" / "examples" / "tower_bench"
    if not ARGS.no_build:
        log("building the pelabel harness: cargo build --release -p pelabel --features testing --example tower_bench")
        subprocess.run(
            ["cargo", "build", "--release", "-p", "pelabel", "--features", "testing", "--example", "tower_bench"], cwd=REPO, check=True
        )
    if not binary.exists():
        sys.exit(f"{binary} not found: build it with `cargo build --release -p pelabel --features testing --example tower_bench`")
    return binary


def matmul_peak(binary: Path) -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS=str(ARGS.threads), CANDLE_NUM_THREADS=str(ARGS.threads))
    out = subprocess.run(
        [str(binary), "peak", "--threads", str(ARGS.threads), "--seconds", str(ARGS.peak_seconds)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def agreement(out: np.ndarray, ref: np.ndarray) -> dict:
    a, r = out.astype(np.float64).ravel(), ref.astype(np.float64).ravel()
    cos = float(a @ r / (np.linalg.norm(a) * np.linalg.norm(r)))
    max_abs = float(np.max(np.abs(a - r)))
    return {"max_abs": max_abs, "rel_max_abs": max_abs / float(np.max(np.abs(r))), "cosine": cos}


def pelabel_source() -> str:
    """The commit the harness was built from, `+dirty` when sdk/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "sdk"], cwd=REPO, capture_output=True, text=True)
        here = head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
        # A prebuilt harness may come from another tree: say so rather than claim this one.
        return f"{ARGS.harness} (prebuilt; repo now at {here})" if ARGS.harness else here
    except OSError:
        return "unknown"


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def versions() -> dict:
    v = {"python": platform.python_version(), "torch": torch.__version__, "timm": timm.__version__}
    for mod in ("onnx", "onnxruntime", "onnxscript", "openvino", "nncf"):
        try:
            v[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            v[mod] = None
    try:
        from importlib.metadata import version

        v["executorch"] = version("executorch")
    except Exception:  # noqa: BLE001
        v["executorch"] = None
    return v


def check_goals(results: dict) -> list[dict]:
    """The issue's performance goals against this run: met, missed (by how much) or not measurable."""
    goals = []
    pel = results.get("pelabel")
    peers = {n: r for n, r in results.items() if n in F32_RUNTIMES and n != "pelabel"}
    if pel and peers:
        fastest = min(peers, key=lambda n: peers[n]["median_ms"])
        ratio = pel["median_ms"] / peers[fastest]["median_ms"]
        goals.append({
            "goal": f"f32 latency <= {GOAL_F32_VS_FASTEST_PEER}x the fastest f32 peer",
            "measured": f"pelabel {pel['median_ms']:.1f} ms / {fastest} {peers[fastest]['median_ms']:.1f} ms = {ratio:.3f}x",
            "met": ratio <= GOAL_F32_VS_FASTEST_PEER,
        })
    if pel:
        goals.append({
            "goal": f"f32 >= {GOAL_FRACTION_OF_PEAK:.0%} of candle's f32 matmul peak",
            "measured": f"{pel['gflops']:.1f} GFLOP/s = {pel['fraction_of_peak']:.1%} of the peak",
            "met": pel["fraction_of_peak"] >= GOAL_FRACTION_OF_PEAK,
        })
    reduced = [n for n in PELABEL_REDUCED if n in results]
    if not reduced:
        goals.append({"goal": "reduced precision (int8 or bf16)", "measured": "no pelabel-int8/bf16 in this run", "met": None})
        return goals
    q = results.get("onnxruntime-int8")
    for name in reduced:
        red = results[name]
        cos = red["agreement_vs_pytorch"].get("cosine_vs_pelabel_f32", red["agreement_vs_pytorch"]["cosine"])
        goals.append({
            "goal": f"{name}: cosine to f32 >= {GOAL_REDUCED_COSINE}",
            "measured": f"{cos:.5f}",
            "met": cos >= GOAL_REDUCED_COSINE,
        })
        if pel:
            speedup = pel["median_ms"] / red["median_ms"]
            goals.append({
                "goal": f"{name}: >= {GOAL_REDUCED_SPEEDUP}x faster than pelabel f32",
                "measured": f"{pel['median_ms']:.1f} / {red['median_ms']:.1f} ms = {speedup:.2f}x",
                "met": speedup >= GOAL_REDUCED_SPEEDUP,
            })
        if q:
            goals.append({
                "goal": f"{name}: faster than ONNX Runtime int8 (dynamic)",
                "measured": f"{name} {red['median_ms']:.1f} ms vs onnxruntime-int8 {q['median_ms']:.1f} ms",
                "met": red["median_ms"] < q["median_ms"],
            })
    return goals


def gap_summary(by_gap: dict[float, list[float]], gaps: list[float]) -> dict:
    """Median / p10 / p90 at each gap and the ratio of each median to the back-to-back one (gap 0,
    or the smallest gap when 0 was not run). Keys are the gaps as strings (JSON)."""
    base = 0.0 if 0.0 in gaps else min(gaps)
    base_med = float(np.median(by_gap[base]))
    out = {}
    for g in gaps:
        v = np.asarray(by_gap[g])
        med = float(np.median(v))
        out[str(g)] = {
            "median_ms": med,
            "p10_ms": float(np.percentile(v, 10)),
            "p90_ms": float(np.percentile(v, 90)),
            "runs": len(v),
            "ratio_to_base": med / base_med,
        }
    return out


def check_goals_issue7(results: dict, gaps: list[float], base: float) -> list[dict]:
    """Issue [7]: pelabel <= 0.9x OpenVINO at the same precision (at every gap run, the first gap's
    being the headline), and pelabel's median after a 100 ms idle gap <= 1.10x back to back."""
    goals = []
    for pel, ov in (("pelabel", "openvino-f32"), ("pelabel-int8", "openvino-int8")):
        if pel not in results or ov not in results:
            goals.append({"goal": f"{pel} / {ov} <= {GOAL_VS_OPENVINO}", "measured": "not in this run", "met": None})
            continue
        for g in gaps:
            a, b = results[pel]["by_gap"][str(g)]["median_ms"], results[ov]["by_gap"][str(g)]["median_ms"]
            goals.append({
                "goal": f"{pel} / {ov} <= {GOAL_VS_OPENVINO} (gap {g:g} ms)",
                "measured": f"{a:.1f} / {b:.1f} ms = {a / b:.3f}",
                "ratio": a / b,
                "gap_ms": g,
                "met": a / b <= GOAL_VS_OPENVINO,
            })
    for pel in ("pelabel", *PELABEL_REDUCED):
        if pel not in results:
            continue
        if GOAL_IDLE_GAP_MS not in gaps or base not in gaps or base == GOAL_IDLE_GAP_MS:
            goals.append({
                "goal": f"{pel} after {GOAL_IDLE_GAP_MS:g} ms idle <= {GOAL_IDLE_RATIO}x back to back",
                "measured": f"run with --gap-ms 0,{GOAL_IDLE_GAP_MS:g}",
                "met": None,
            })
            continue
        bg = results[pel]["by_gap"]
        r = bg[str(GOAL_IDLE_GAP_MS)]["ratio_to_base"]
        goals.append({
            "goal": f"{pel} after {GOAL_IDLE_GAP_MS:g} ms idle <= {GOAL_IDLE_RATIO}x back to back ({base:g} ms)",
            "measured": f"{bg[str(GOAL_IDLE_GAP_MS)]['median_ms']:.1f} / {bg[str(base)]['median_ms']:.1f} ms = {r:.3f}",
            "ratio": r,
            "met": r <= GOAL_IDLE_RATIO,
        })
    return goals


def main() -> int:
    work: Path = ARGS.workdir
    work.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    binary = harness_binary()

    ckpt = work / f"{MODEL_NAME}-seed{ARGS.seed}.safetensors"
    make_checkpoint(ckpt, ARGS.seed)
    ckpt_sha = sha256(ckpt)
    log(f"checkpoint {ckpt} ({ckpt.stat().st_size / 1e6:.1f} MB, sha256 {ckpt_sha[:16]})")

    t = time.perf_counter()
    model = load_timm(ckpt)
    load_ms = {"pytorch": (time.perf_counter() - t) * 1e3}
    image_size = model.pretrained_cfg["input_size"][1]
    x = make_input(ARGS.seed, image_size)
    flops, formula = model_flops(model, image_size)

    # Exports are cached next to the checkpoint, keyed by its hash and the library versions.
    manifest_path = work / "manifest.json"
    key = {"checkpoint_sha256": ckpt_sha, **versions()}
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    fresh = ARGS.rebuild or manifest.get("key") != key
    onnx_path, int8_path, pte_path = work / "t16.onnx", work / "t16.int8.onnx", work / "t16.xnnpack.pte"
    ov_f32_xml, ov_int8_xml = work / "t16.openvino.xml", work / "t16.openvino-int8.xml"
    if fresh:
        manifest = {"key": key}
        # Exports of other weights or versions must not survive into this run.
        for stale in (onnx_path, int8_path, pte_path, ov_f32_xml, ov_int8_xml):
            stale.unlink(missing_ok=True)
            stale.with_suffix(".bin").unlink(missing_ok=True)

    runtimes: dict[str, object] = {"pytorch": PyTorchEager(model, x)}
    failures: dict[str, str] = {}

    if {"onnxruntime", "onnxruntime-int8", "openvino-f32", "openvino-int8"} & set(ARGS.runtimes):
        try:
            if fresh or not onnx_path.exists():
                log("exporting ONNX")
                manifest["onnx_exporter"] = export_onnx(model, x, onnx_path)
            if "onnxruntime" in ARGS.runtimes:
                t = time.perf_counter()
                runtimes["onnxruntime"] = OnnxRuntime("onnxruntime", onnx_path, x, ARGS.threads)
                load_ms["onnxruntime"] = (time.perf_counter() - t) * 1e3
            if "onnxruntime-int8" in ARGS.runtimes:
                if fresh or not int8_path.exists():
                    log("quantising ONNX to int8 (dynamic)")
                    manifest["onnx_int8"] = quantize_onnx(onnx_path, int8_path)
                t = time.perf_counter()
                runtimes["onnxruntime-int8"] = OnnxRuntime("onnxruntime-int8", int8_path, x, ARGS.threads)
                load_ms["onnxruntime-int8"] = (time.perf_counter() - t) * 1e3
        except Exception as e:  # noqa: BLE001 - reported in the table and JSON
            failures["onnxruntime"] = f"{type(e).__name__}: {e}"
            log(f"ONNX Runtime failed: {failures['onnxruntime']}")

    if "executorch-xnnpack" in ARGS.runtimes:
        try:
            if fresh or not pte_path.exists():
                log("exporting ExecuTorch .pte with the XNNPACK delegate")
                manifest["executorch_delegation"] = export_executorch(model, x, pte_path)
            t = time.perf_counter()
            runtimes["executorch-xnnpack"] = ExecuTorch(pte_path, x, ARGS.threads)
            load_ms["executorch-xnnpack"] = (time.perf_counter() - t) * 1e3
        except Exception as e:  # noqa: BLE001 - reported in the table and JSON
            failures["executorch-xnnpack"] = f"{type(e).__name__}: {e}"
            log(f"ExecuTorch failed: {failures['executorch-xnnpack']}")
    ov_props: dict[str, dict] = {}
    if {"openvino-f32", "openvino-int8"} & set(ARGS.runtimes):
        try:
            if not onnx_path.exists():
                raise RuntimeError("no ONNX export to convert (see the ONNX Runtime failure)")
            manifest.update(
                openvino_models(onnx_path, ov_f32_xml, ov_int8_xml, want_int8="openvino-int8" in ARGS.runtimes)
            )
            for name, xml, f32 in (("openvino-f32", ov_f32_xml, True), ("openvino-int8", ov_int8_xml, False)):
                if name in ARGS.runtimes:
                    t = time.perf_counter()
                    runtimes[name] = OpenVino(name, xml, x, ARGS.threads, f32)
                    load_ms[name] = (time.perf_counter() - t) * 1e3
                    ov_props[name] = runtimes[name].properties
                    log(f"{name}: {ov_props[name]}")
        except Exception as e:  # noqa: BLE001 - reported in the table and JSON
            failures["openvino"] = f"{type(e).__name__}: {e}"
            log(f"OpenVINO failed: {failures['openvino']}")
    manifest_path.write_text(json.dumps(manifest, indent=2))

    pelabel = None
    harnesses: list[Pelabel] = []
    for name, precision in (("pelabel", "f32"), *PELABEL_REDUCED.items()):
        if name not in ARGS.runtimes:
            continue
        try:
            h = Pelabel(name, binary, ckpt, x, ARGS.threads, work, precision)
        except Exception as e:  # noqa: BLE001 - reported in the table and JSON
            failures[name] = f"{type(e).__name__}: {e}"
            log(f"{name} failed: {failures[name]}")
            continue
        harnesses.append(h)
        runtimes[name] = h
        load_ms[name] = h.ready["load_ms"]
        if name == "pelabel":
            pelabel = h

    # Agreement on the same input, against PyTorch eager.
    ref = runtimes["pytorch"].run()
    agree = {name: agreement(rt.run(), ref) for name, rt in runtimes.items()}
    if pelabel is not None:
        agree["pelabel"]["first_call_matches"] = agreement(pelabel.first, ref)["cosine"]
    for name in PELABEL_REDUCED:
        if name in runtimes and "pelabel" in runtimes:
            agree[name]["cosine_vs_pelabel_f32"] = agreement(runtimes[name].run(), runtimes["pelabel"].run())["cosine"]
    if "onnxruntime-int8" in runtimes and "onnxruntime" in runtimes:
        agree["onnxruntime-int8"]["cosine_vs_onnxruntime_f32"] = agreement(
            runtimes["onnxruntime-int8"].run(), runtimes["onnxruntime"].run()
        )["cosine"]
    if "openvino-int8" in runtimes and "openvino-f32" in runtimes:
        agree["openvino-int8"]["cosine_vs_openvino_f32"] = agreement(
            runtimes["openvino-int8"].run(), runtimes["openvino-f32"].run()
        )["cosine"]
    bad = [
        n
        for n, a in agree.items()
        if n in F32_RUNTIMES and (a["cosine"] < MIN_COSINE_F32 or a["rel_max_abs"] > MAX_REL_ABS_F32)
    ]
    for n, a in agree.items():
        log(f"agreement {n:20s} cosine {a['cosine']:.8f}  max abs {a['max_abs']:.2e}  rel {a['rel_max_abs']:.2e}")

    log(f"measuring candle's f32 matmul peak ({ARGS.threads} threads)")
    peak_before = matmul_peak(binary)

    def timed(rt) -> float:
        """Milliseconds of one call: pelabel's as measured inside the harness (no pipe or JSON),
        the others' around the call, output materialised as numpy included."""
        if isinstance(rt, Pelabel):
            return rt.timed()
        t = time.perf_counter()
        rt.run()
        return (time.perf_counter() - t) * 1e3

    # Round-robin timing. In each round every runtime gets one turn (order rotated per round): one
    # untimed call, so what follows does not start from another runtime's caches and threads, then
    # for each idle gap `--calls-per-gap` calls, each after sleeping that gap. The first timed call
    # of a gap therefore follows this runtime's own previous call by exactly the gap, as frames do
    # in a camera app (gap 0 = back to back); during the sleep the whole process is idle.
    names = list(runtimes)
    gaps = ARGS.gaps
    gap_times: dict[str, dict[float, list[float]]] = {n: {g: [] for g in gaps} for n in names}
    log(
        f"timing {len(names)} runtimes: {ARGS.warmup} warm-up + {ARGS.rounds} rounds, {ARGS.threads} threads, "
        f"gaps {gaps} ms x {ARGS.calls_per_gap} calls"
    )
    for r in range(ARGS.warmup + ARGS.rounds):
        if r > 0 and r % 10 == 0:
            log(f"round {r} of {ARGS.warmup + ARGS.rounds}, 1-min load {os.getloadavg()[0]:.2f}")
        order = names[r % len(names) :] + names[: r % len(names)]
        for n in order:
            timed(runtimes[n])
            for g in gaps:
                for _ in range(ARGS.calls_per_gap):
                    if g > 0:
                        time.sleep(g / 1e3)
                    ms = timed(runtimes[n])
                    if r >= ARGS.warmup:
                        gap_times[n][g].append(ms)
    # The main table is the first gap's.
    times: dict[str, list[float]] = {n: gap_times[n][gaps[0]] for n in names}

    solo: dict[str, list[float]] = {n: [] for n in names}
    if ARGS.solo_runs > 0:
        log(f"solo: {ARGS.solo_runs} back-to-back runs of each runtime")
        for n in names:
            time.sleep(0.2)
            timed(runtimes[n])
            solo[n] = [timed(runtimes[n]) for _ in range(ARGS.solo_runs)]
    # The peak again after the rounds; the higher of the two counts, so a burst of load from
    # other processes during one measurement does not lower the bar.
    log("measuring the matmul peak again")
    peak_after = matmul_peak(binary)
    peak = max(peak_before, peak_after, key=lambda p: p["peak_gflops"])
    peak["before_and_after_gflops"] = [peak_before["peak_gflops"], peak_after["peak_gflops"]]
    peak_gflops = peak["peak_gflops"]
    load_end = os.getloadavg()

    memory = pelabel.cmd("stats") if pelabel is not None else None
    for h in harnesses:
        h.close()

    results = {}
    for n in names:
        v = np.asarray(times[n])
        med = float(np.median(v))
        results[n] = {
            "median_ms": med,
            "p10_ms": float(np.percentile(v, 10)),
            "p90_ms": float(np.percentile(v, 90)),
            "min_ms": float(v.min()),
            "runs": len(v),
            "solo_median_ms": float(np.median(solo[n])) if solo[n] else None,
            "gflops": flops / (med / 1e3) / 1e9,
            "fraction_of_peak": flops / (med / 1e3) / 1e9 / peak_gflops,
            "load_ms": load_ms.get(n),
            "agreement_vs_pytorch": agree[n],
            "by_gap": gap_summary(gap_times[n], gaps),
        }
    if "pelabel" in results:
        pm = results["pelabel"]["median_ms"]
        for n in names:
            results[n]["pelabel_over_this"] = pm / results[n]["median_ms"]

    # Table.
    print()
    print(
        f"PE Core T16-384 image tower, batch 1, {ARGS.threads} threads, {ARGS.rounds} alternating rounds "
        f"(+{ARGS.warmup} warm-up), seed {ARGS.seed}"
    )
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; pelabel at {pelabel_source()}")
    print(f"load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f} (1-min)")
    print(f"model FLOPs: {formula}")
    print(
        f"candle f32 matmul peak ({ARGS.threads} threads): {peak_gflops:.1f} GFLOP/s (best per-shape median; "
        f"measured before / after the rounds: {peak['before_and_after_gflops'][0]:.1f} / "
        f"{peak['before_and_after_gflops'][1]:.1f})"
    )
    print()
    header = (
        f"{'runtime':20s} {'median ms':>10s} {'p10':>8s} {'p90':>8s} {'solo':>8s} {'pelabel/x':>10s} "
        f"{'GFLOP/s':>8s} {'% peak':>7s} {'cosine':>10s} {'max abs':>9s}"
    )
    print(header)
    print("-" * len(header))
    for n in names:
        r = results[n]
        ratio = f"{r['pelabel_over_this']:.3f}" if "pelabel_over_this" in r else "-"
        a = r["agreement_vs_pytorch"]
        solo_ms = f"{r['solo_median_ms']:.1f}" if r["solo_median_ms"] is not None else "-"
        print(
            f"{n:20s} {r['median_ms']:10.1f} {r['p10_ms']:8.1f} {r['p90_ms']:8.1f} {solo_ms:>8s} {ratio:>10s} "
            f"{r['gflops']:8.1f} {100 * r['fraction_of_peak']:6.1f}% {a['cosine']:10.7f} {a['max_abs']:9.2e}"
        )
    for n, why in failures.items():
        print(f"{n:20s} FAILED: {why[:300]}")
    print()
    print("matmul peak per shape (GFLOP/s, median / best):")
    for s in peak["shapes"]:
        print(f"  {s['shape']:34s} {s['median_gflops']:7.1f} / {s['best_gflops']:7.1f}")
    if "onnxruntime-int8" in results:
        a = results["onnxruntime-int8"]["agreement_vs_pytorch"]
        print(
            f"onnxruntime-int8 cosine vs PyTorch f32 {a['cosine']:.5f}, "
            f"vs ONNX Runtime f32 {a.get('cosine_vs_onnxruntime_f32', float('nan')):.5f}"
        )
    if pelabel is not None:
        print(
            f"pelabel harness: load {pelabel.ready['load_ms']:.0f} ms, process start → first embedding "
            f"{pelabel.startup_ms:.0f} ms, RSS {memory['rss_mib']:.0f} MiB (peak {memory['peak_rss_mib']:.0f} MiB)"
        )
    for name in PELABEL_REDUCED:
        if name in results:
            a = results[name]["agreement_vs_pytorch"]
            print(
                f"{name} cosine vs PyTorch f32 {a['cosine']:.5f}, "
                f"vs pelabel f32 {a.get('cosine_vs_pelabel_f32', float('nan')):.5f}"
            )
    goals = check_goals(results)
    print()
    print("issue [6] goals:")
    for g in goals:
        print(f"  [{'met' if g['met'] else 'MISSED' if g['met'] is False else 'n/a'}] {g['goal']}: {g['measured']}")
    for name in ("openvino-int8",):
        if name in results:
            a = results[name]["agreement_vs_pytorch"]
            print(
                f"{name} cosine vs PyTorch f32 {a['cosine']:.5f}, "
                f"vs OpenVINO f32 {a.get('cosine_vs_openvino_f32', float('nan')):.5f}"
            )
    for name, p in ov_props.items():
        print(f"{name} compiled with {p}")

    # Latency by idle gap.
    base = 0.0 if 0.0 in gaps else min(gaps)
    print()
    print(
        f"median ms by idle gap before the call ({ARGS.calls_per_gap} calls per gap per round; "
        f"ratio = median at the gap / median at {base:g} ms):"
    )
    gap_header = f"{'runtime':20s} " + " ".join(f"{f'{g:g} ms':>9s}" for g in gaps) + " " + " ".join(
        f"{f'x@{g:g}':>7s}" for g in gaps if g != base
    )
    print(gap_header)
    print("-" * len(gap_header))
    for n in names:
        bg = results[n]["by_gap"]
        print(
            f"{n:20s} "
            + " ".join(f"{bg[str(g)]['median_ms']:9.1f}" for g in gaps)
            + " "
            + " ".join(f"{bg[str(g)]['ratio_to_base']:7.3f}" for g in gaps if g != base)
        )
    goals7 = check_goals_issue7(results, gaps, base)
    print()
    print("issue [7] goals:")
    for g in goals7:
        print(f"  [{'PASS' if g['met'] else 'MISS' if g['met'] is False else 'n/a'}] {g['goal']}: {g['measured']}")
    print()
    if "executorch-xnnpack" in results and "executorch_delegation" in manifest:
        print(f"executorch delegation: {json.dumps(manifest['executorch_delegation'])}")
    if bad:
        print(f"DISAGREEMENT: {', '.join(bad)} (f32 needs cosine >= {MIN_COSINE_F32} and rel max abs <= {MAX_REL_ABS_F32})")
    else:
        print(f"agreement: every f32 runtime within cosine >= {MIN_COSINE_F32}, rel max abs <= {MAX_REL_ABS_F32}")

    if ARGS.json:
        report = {
            "model": MODEL_NAME,
            "checkpoint": str(ckpt),
            "checkpoint_sha256": ckpt_sha,
            "threads": ARGS.threads,
            "rounds": ARGS.rounds,
            "warmup": ARGS.warmup,
            "gaps_ms": gaps,
            "calls_per_gap": ARGS.calls_per_gap,
            "seed": ARGS.seed,
            "cpu": cpu_model(),
            "pelabel_source": pelabel_source(),
            "load_average_start": load_start,
            "load_average_end": load_end,
            "versions": versions(),
            "exports": {k: v for k, v in manifest.items() if k != "key"},
            "model_gflop": flops / 1e9,
            "flop_formula": formula,
            "matmul_peak": peak,
            "results": results,
            "failures": failures,
            "disagreeing": bad,
            "goals": goals,
            "goals_issue7": goals7,
            "openvino_properties": ov_props,
            "pelabel_harness": None
            if pelabel is None
            else {"ready": pelabel.ready, "startup_ms": pelabel.startup_ms, "memory": memory},
            "raw_ms": times,
            "raw_ms_by_gap": {n: {str(g): v for g, v in gap_times[n].items()} for n in names},
            "solo_raw_ms": solo,
        }
        ARGS.json.write_text(json.dumps(report, indent=2))
        log(f"wrote {ARGS.json}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
