#!/usr/bin/env python3
"""From qemu instruction counts and llvm-mca cycle estimates to milliseconds per frame on a phone.

Input (written by run.sh into the work directory):
  runs.json            one entry per run: tier, precision, command, wall seconds, the program's JSON line
  <tier>-<prec>.tsv    the insn_count plugin's per-translation-block counts, one interval per frame
  ckpt/                the random checkpoint the runs loaded (its config.json and tensor shapes)
and the cross-built aarch64 binary (disassembled with llvm-objdump for llvm-mca).

Output (into --out): phone.json (every number and the assumptions), table.md (the summary table),
loops/*.s (each kernel's hot inner loop and the hand-written sketches, with llvm-mca's summary).

Method, in short (README.md has it in full):
  * measured: per-frame guest instructions by class and by function (the last frame's interval);
  * estimated: cycles of the multiply-add loops = sum over their translation blocks of
    executions (measured) x llvm-mca cycles per block iteration (scheduling model, an estimate),
    plus every other instruction at an assumed IPC; divided by cores x clock; against a memory
    bound of the weight bytes per frame at an assumed bandwidth; the larger of the two.
"""

import argparse
import bisect
import collections
import json
import os
import re
import subprocess
import sys

# Multiply-adds per instruction of each class (the 128-bit forms the kernels use: FMLA .4s,
# FMLA .8h, SDOT .4s (4 x 4), SMMLA (2 x 8 x 2)).
CLASS_MACS = {"fmla_f32_elem": 4, "fmla_f32_vec": 4, "fmla_f16": 8, "sdot": 16, "smmla": 32}

# The phone: assumptions, not measurements (see README.md, "Assumptions").
PHONE = {
    "cores": 2,
    "clocks_ghz": {"A16 (3.46 GHz)": 3.46, "A17 Pro (3.78 GHz)": 3.78},
    "ipc_non_kernel": 2.0,
    "dram_gb_per_s": 51.2,
    "l2_mib": 16,
}
PRIMARY_MODEL = "neoverse-v2"
MODELS = ["neoverse-v2", "apple-a17"]
MATTR = "+neon,+dotprod,+i8mm,+fullfp16"
MCA_ITERATIONS = 200
TARGET_MS = (5, 15)


def llvm(tool, args):
    return [os.path.join(os.environ.get("LLVM_BIN", "/usr/lib/llvm-19/bin"), tool)] + args


# ---------------------------------------------------------------------------------------------
# qemu plugin output


def parse_counts(path):
    """The plugin's TSV: (start_code, class names, [interval -> {(vaddr, n): block}])."""
    start_code, classes, intervals, cur = None, None, [], None
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "start_code":
                start_code = int(fields[1], 16)
            elif fields[0] == "classes":
                classes = fields[1:]
            elif fields[0] == "interval":
                cur = {}
                intervals.append(cur)
            else:
                vaddr, n, execs = int(fields[0], 16), int(fields[1]), int(fields[2])
                cls = dict(zip(classes, map(int, fields[3 : 3 + len(classes)])))
                sym = fields[3 + len(classes)]
                block = cur.get((vaddr, n))
                if block:  # translated twice (a flush): the same code, add the executions
                    block["exec"] += execs
                else:
                    cur[(vaddr, n)] = {"vaddr": vaddr, "n": n, "exec": execs, "cls": cls, "sym": sym}
    return start_code, classes, intervals


def mac_insns(block):
    return sum(block["cls"].get(c, 0) for c in CLASS_MACS)


def is_mac_loop(block):
    """A multiply-add loop body: at least 8 multiply-add instructions, a quarter of the block."""
    m = mac_insns(block)
    return m >= 8 and 4 * m >= block["n"]


RUST_ESCAPES = {"$u7b$": "{", "$u7d$": "}", "$LT$": "<", "$GT$": ">", "$C$": ",", "$RF$": "&", "$BP$": "*",
                "$u20$": " ", "$u27$": "'", "$u5b$": "[", "$u5d$": "]", "$u3b$": ";", "$u22$": '"', "$u2b$": "+",
                "$SP$": "@", "$LP$": "(", "$RP$": ")", "..": "::"}


def demangle(names):
    """{symbol: readable name}: llvm-cxxfilt, then the Rust legacy escapes it leaves."""
    names = sorted(set(names))
    if not names:
        return {}
    plain = [re.sub(r"\.llvm\.\d+$", "", n) for n in names]
    out = subprocess.run(llvm("llvm-cxxfilt", []), input="\n".join(plain), capture_output=True, text=True, check=True)
    result = {}
    for n, d in zip(names, out.stdout.splitlines()):
        d = re.sub(r"::h[0-9a-f]{16}$", "", d)
        for k, v in RUST_ESCAPES.items():
            d = d.replace(k, v)
        result[n] = d
    return result


# ---------------------------------------------------------------------------------------------
# the binary


def exec_segment_vaddr(binary):
    out = subprocess.run(llvm("llvm-readelf", ["-lW", binary]), capture_output=True, text=True, check=True).stdout
    vaddrs = [int(f[2], 16) for f in (l.split() for l in out.splitlines()) if f and f[0] == "LOAD" and "E" in f[6:-1]]
    return min(vaddrs)


def disassemble(binary, cache):
    """{address: instruction text} and {address: function} of the whole binary (cached)."""
    if os.path.exists(cache) and os.path.getmtime(cache) > os.path.getmtime(binary):
        with open(cache) as f:
            d = json.load(f)
        return {int(k): v for k, v in d["insns"].items()}, {int(k): v for k, v in d["funcs"].items()}
    proc = subprocess.Popen(llvm("llvm-objdump", ["-d", "--no-show-raw-insn", binary]), stdout=subprocess.PIPE, text=True)
    insns, funcs, func = {}, {}, None
    line_re = re.compile(r"^\s+([0-9a-f]+):\s+(.*)$")
    head_re = re.compile(r"^([0-9a-f]+) <(.*)>:$")
    for line in proc.stdout:
        m = line_re.match(line)
        if m:
            insns[int(m.group(1), 16)] = m.group(2).strip()
            continue
        h = head_re.match(line)
        if h:
            func = h.group(2)
            funcs[int(h.group(1), 16)] = func
    proc.wait()
    with open(cache, "w") as f:
        json.dump({"insns": insns, "funcs": funcs}, f)
    return insns, funcs


def block_text(insns, addr, n):
    """The instructions of a block as llvm-mca input, or None when the binary lacks them."""
    lines = []
    for i in range(n):
        t = insns.get(addr + 4 * i)
        if t is None:
            return None
        t = re.sub(r"\s*//.*$", "", t)
        t = re.sub(r"<[^>]*>", "", t)
        # Branch, adr/adrp and literal targets are absolute addresses: point them at a label.
        t = re.sub(r"(?<![#\w-])0x[0-9a-f]+", "{L}", t)
        lines.append(" ".join(t.split()))
    return lines


BRANCH_RE = re.compile(r"^(b|b\.\w+|cbn?z|tbn?z)\s")
TARGET_RE = re.compile(r"(?<![#\w-])0x([0-9a-f]+)")
MAX_LOOP_BYTES = 8192


def loop_around(insns, addr):
    """(start, back-edge address) of the innermost loop holding `addr`: the first backward branch
    at or after `addr` whose target is at or before it (structured code), or None when a `ret`
    or 8 KiB come first."""
    a = addr
    while a - addr < MAX_LOOP_BYTES:
        t = insns.get(a)
        if t is None or t.startswith("ret"):
            return None
        if BRANCH_RE.match(t):
            targets = TARGET_RE.findall(t.split("<")[0])
            if targets:
                target = int(targets[-1], 16)
                if target <= addr and a - target < MAX_LOOP_BYTES:
                    return target, a
        a += 4
    return None


def find_units(blocks, bias, insns, coverage, max_units, prefix):
    """Groups a frame's hot translation blocks into the units llvm-mca estimates.

    qemu cuts a loop body into several blocks (it ends a block when its code buffer fills, and at
    every branch), and llvm-mca run on one fragment alone as if it were a loop sees dependency
    chains the whole body would hide. So a hot block inside a loop of the binary becomes the loop:
    the blocks between the loop's start and its back edge that run at least half as often as the
    hottest of them (the path taken; rarely taken branches left out), in address order, once per
    iteration (the back edge's count). A hot block in no loop is a unit alone. Units are taken,
    hottest first, until `coverage` of the frame's instructions."""
    by_addr = collections.defaultdict(list)
    for b in blocks:
        by_addr[b["vaddr"] - bias].append(b)
    addrs = sorted(by_addr)
    total = sum(b["n"] * b["exec"] for b in blocks)
    used, units, covered = set(), [], 0
    for b in blocks:
        if covered >= coverage * total or len(units) >= max_units:
            break
        if id(b) in used:
            continue
        a = b["vaddr"] - bias
        path = [b]
        loop = loop_around(insns, a)
        if loop:
            start, end = loop
            inside = [x for ad in addrs[bisect.bisect_left(addrs, start) : bisect.bisect_right(addrs, end)]
                      for x in by_addr[ad] if id(x) not in used and ad + 4 * x["n"] - 4 <= end]
            top = max(x["exec"] for x in inside) if inside else 0
            cand = sorted((x for x in inside if 2 * x["exec"] >= top), key=lambda x: x["vaddr"])
            if b in cand and cand[-1]["vaddr"] - bias + 4 * cand[-1]["n"] - 4 == end:
                path = cand
        lines = []
        for x in path:
            t = block_text(insns, x["vaddr"] - bias, x["n"])
            if t is None:
                lines = None
                break
            lines += t
        for x in path:
            used.add(id(x))
        dyn = sum(x["n"] * x["exec"] for x in path)
        covered += dyn
        if lines is None:
            continue
        cls = collections.Counter()
        for x in path:
            cls.update(x["cls"])
        units.append(
            {
                "name": f"{prefix}_{a:x}_{len(path)}",
                "addr": path[0]["vaddr"] - bias,
                "loop": len(path) > 1 or bool(loop and path[0]["vaddr"] - bias == loop[0]),
                "lines": lines,
                "blocks": len(path),
                "n": sum(x["n"] for x in path),
                "cls": dict(cls),
                "iterations": path[-1]["exec"],
                "dyn": dyn,
                "sym": b["sym"],
            }
        )
    return units


# ---------------------------------------------------------------------------------------------
# llvm-mca


def run_mca(regions, model):
    """{name: (cycles per iteration, block reciprocal throughput)} for {name: [instructions]}.

    One llvm-mca process per model over all regions (code regions are analysed independently);
    a region it cannot parse is retried alone and left out when it fails again.
    """

    def one_pass(items):
        src = []
        for name, lines in items:
            label = ".L" + re.sub(r"\W", "_", name)
            src.append(f"# LLVM-MCA-BEGIN {name}")
            src.append(label + ":")
            src += ["  " + l.replace("{L}", label) for l in lines]
            src.append("# LLVM-MCA-END")
        args = [
            "-mtriple=aarch64",
            f"-mcpu={model}",
            f"-mattr={MATTR}",
            f"-iterations={MCA_ITERATIONS}",
            "-instruction-info=0",
            "-resource-pressure=0",
        ]
        p = subprocess.run(llvm("llvm-mca", args), input="\n".join(src) + "\n", capture_output=True, text=True)
        if p.returncode != 0:
            return None
        res, name = {}, None
        for line in p.stdout.splitlines():
            m = re.match(r"^\[\d+\] Code Region - (.*)$", line)
            if m:
                name = m.group(1).strip()
            m = re.match(r"^Total Cycles:\s+(\d+)", line)
            if m and name is not None:
                res[name] = [int(m.group(1)) / MCA_ITERATIONS, None]
            m = re.match(r"^Block RThroughput:\s+([\d.]+)", line)
            if m and name is not None:
                res[name][1] = float(m.group(1))
        if len(items) == 1 and not res:
            # A single region prints no "Code Region" header.
            m1 = re.search(r"Total Cycles:\s+(\d+)", p.stdout)
            m2 = re.search(r"Block RThroughput:\s+([\d.]+)", p.stdout)
            if m1:
                res[items[0][0]] = [int(m1.group(1)) / MCA_ITERATIONS, float(m2.group(1)) if m2 else None]
        return res

    items = list(regions.items())
    res = one_pass(items) if items else {}
    if res is None:
        res = {}
        for item in items:
            r = one_pass([item])
            if r:
                res.update(r)
    return {k: tuple(v) for k, v in res.items()}


def mca_report(lines, model, label=".Lloop"):
    src = [label + ":"] + ["  " + l.replace("{L}", label) for l in lines]
    args = ["-mtriple=aarch64", f"-mcpu={model}", f"-mattr={MATTR}", f"-iterations={MCA_ITERATIONS}",
            "-bottleneck-analysis", "-instruction-info=0"]
    p = subprocess.run(llvm("llvm-mca", args), input="\n".join(src) + "\n", capture_output=True, text=True)
    if p.returncode != 0:
        return p.stderr
    # The summary, the bottleneck analysis and the pressure per resource; not the per-instruction
    # pressure table (as long as the loop).
    return p.stdout.split("Resource pressure by instruction:")[0].rstrip() + "\n"


# ---------------------------------------------------------------------------------------------
# hand-written loops: what each kernel's inner loop would cost at its best (same register tile)


def sketch_fmla(kind):
    """An ideal inner loop of the NEON tiles: 6 activation rows in v0-v5 (FMLA .8h by element can
    only index v0-v15), one weight vector at a time in v6/v7, 24 accumulators v8-v31; row pointers
    x0-x5, weights x6, count x7.

    f32:  6 x 16 tile, 4 k per iteration: 6 activation loads, 16 weight loads, 96 FMLA .4s by element.
    f16:  6 x 32 tile (the same 24 accumulators, 8 halves each), 8 k per iteration: 6 activation
          loads, 32 weight loads, 192 FMLA .8h by element (f16 accumulation).
    sdot: 6 x 16 tile, 16 k (4 lanes) per iteration: 6 loads, 16 weight loads, 96 SDOT by element.
    smmla: 3 row pairs x 16 columns, 8 k per iteration, weights already in 2 x 8 column blocks
          (no ZIP), activations in row pairs (QuantRows::paired): 3 row-pair loads, 8 weight
          loads, 24 SMMLA.
    Returns (instructions, multiply-adds per iteration).
    """
    lines = []
    if kind in ("f32", "f16", "sdot"):
        steps = {"f32": 4, "f16": 8, "sdot": 4}[kind]
        for r in range(6):
            lines.append(f"ldr q{r}, [x{r}], #16")
        off = 0
        for s in range(steps):
            for c in range(4):
                wreg = 6 + (c % 2)
                lines.append(f"ldr q{wreg}, [x6, #{off}]")
                off += 16
                for r in range(6):
                    acc = 8 + 4 * r + c
                    if kind == "f32":
                        lines.append(f"fmla v{acc}.4s, v{wreg}.4s, v{r}.s[{s}]")
                    elif kind == "f16":
                        lines.append(f"fmla v{acc}.8h, v{wreg}.8h, v{r}.h[{s}]")
                    else:
                        lines.append(f"sdot v{acc}.4s, v{wreg}.16b, v{r}.4b[{s}]")
        lines.append(f"add x6, x6, #{off}")
        macs = {"f32": 96 * 4, "f16": 192 * 8, "sdot": 96 * 16}[kind]
    else:  # smmla: accumulators v8-v31 = 3 pairs x 8 column blocks
        for i in range(3):
            lines.append(f"ldr q{i}, [x{i}], #16")
        off = 0
        for j in range(8):
            wreg = 6 + (j % 2)
            lines.append(f"ldr q{wreg}, [x6, #{off}]")
            off += 16
            for i in range(3):
                lines.append(f"smmla v{8 + 8 * i + j}.4s, v{i}.16b, v{wreg}.16b")
        lines.append(f"add x6, x6, #{off}")
        macs = 24 * 32
    lines += ["subs x7, x7, #1", "b.ne {L}"]
    return lines, macs


# ---------------------------------------------------------------------------------------------
# the model's arithmetic


def checkpoint_facts(ckpt_dir):
    """Config and the element counts of the image tower's tensors (from the safetensors header)."""
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(ckpt_dir, "model.safetensors"), "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    params, matrix_params = 0, 0
    for k, v in header.items():
        if k == "__metadata__":
            continue
        e = 1
        for s in v["shape"]:
            e *= s
        params += e
        # The weights the matrix products read: 2-D (and the conv's 4-D) tensors except the
        # position and class embeddings.
        if len(v["shape"]) >= 2 and "embedding" not in k and "probe" not in k:
            matrix_params += e
    return cfg, params, matrix_params


def frame_macs(v):
    """Multiply-adds of one frame of the image tower, by product (reference pe-core.md §2, §5)."""
    w, layers, heads = v["width"], v["layers"], v["heads"]
    d = w // heads
    m = v.get("mlp_width") or int(w * (v.get("mlp_ratio") or 4.0))
    p, s = v["patch_size"], v["image_size"]
    g = s // p
    n = g * g + (1 if v.get("use_cls_token", True) else 0)
    out_dim = v.get("output_dim") or 512
    pool_mlp = v.get("attn_pooler_mlp_width") or 4 * w
    macs = {
        "patch embed (conv as a product)": g * g * 3 * p * p * w,
        "qkv": layers * n * w * 3 * w,
        "attention q·kᵀ": layers * heads * n * n * d,
        "attention p·v": layers * heads * n * n * d,
        "out proj": layers * n * w * w,
        "mlp fc1": layers * n * w * m,
        "mlp fc2": layers * n * m * w,
        "pool k, v": n * w * 2 * w,
        # one query: its projection, scores and weighted sum over n tokens, out proj, MLP, proj
        "pool head (q, scores, p·v, out, mlp, proj)": w * w + 2 * n * w + w * w + 2 * w * pool_mlp + w * out_dim,
    }
    return macs, {"tokens": n, "width": w, "layers": layers, "heads": heads, "head_dim": d, "mlp": m}


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, help="run.sh's work directory")
    ap.add_argument("--binary", required=True, help="the aarch64 phone_frames binary the runs used")
    ap.add_argument("--out", required=True, help="results directory")
    ap.add_argument("--coverage", type=float, default=0.995, help="share of a frame's instructions given to llvm-mca")
    ap.add_argument("--max-units", type=int, default=400)
    args = ap.parse_args()
    os.makedirs(os.path.join(args.out, "loops"), exist_ok=True)

    with open(os.path.join(args.work, "runs.json")) as f:
        meta = json.load(f)
    cfg, params, matrix_params = checkpoint_facts(os.path.join(args.work, "ckpt"))
    macs_by_product, dims = frame_macs(cfg["vision"])
    arch_macs = sum(macs_by_product.values())

    insns, funcs = disassemble(args.binary, os.path.join(args.work, "disasm.json"))
    seg = exec_segment_vaddr(args.binary)
    func_starts = sorted(funcs)

    def func_of(addr):
        i = bisect.bisect_right(func_starts, addr) - 1
        return funcs[func_starts[i]] if i >= 0 else "?"

    runs = []
    all_regions = {}
    for run in meta["runs"]:
        start_code, classes, intervals = parse_counts(os.path.join(args.work, run["counts"]))
        bias = start_code - seg
        frames = intervals[1:-1]
        if not frames:
            sys.exit(f"{run['counts']}: no frame interval (markers missing?)")
        frame = frames[-1]  # the last frame: warm caches of the engine (workspaces, tables)
        blocks = sorted(frame.values(), key=lambda b: -b["n"] * b["exec"])
        total = sum(b["n"] * b["exec"] for b in blocks)
        by_class = collections.Counter()
        for b in blocks:
            for c, k in b["cls"].items():
                by_class[c] += k * b["exec"]
        executed_macs = sum(by_class[c] * k for c, k in CLASS_MACS.items())
        names = demangle([b["sym"] for b in blocks if b["sym"] != "-"])
        by_func = collections.Counter()
        for b in blocks:
            by_func[names.get(b["sym"], b["sym"])] += b["n"] * b["exec"]
        # Check the load bias on the hottest block: qemu's symbol and the disassembly's must agree.
        hot = blocks[0]
        fa = func_of(hot["vaddr"] - bias)
        bias_ok = hot["sym"] == "-" or fa == hot["sym"]
        if not bias_ok:
            sys.exit(f"{run['counts']}: the hottest block is in {hot['sym']} for qemu but in {fa} in the binary: wrong binary?")
        # Units for llvm-mca (loops rebuilt from their blocks), hottest first.
        units = find_units(blocks, bias, insns, args.coverage, args.max_units, f"r{len(runs)}")
        for u in units:
            all_regions[u["name"]] = u["lines"]
        runs.append(
            {
                "run": run,
                "bias": bias,
                "bias_checked": bias_ok,
                "frames": [sum(b["n"] * b["exec"] for b in fr.values()) for fr in frames],
                "load_insns": sum(b["n"] * b["exec"] for b in intervals[0].values()),
                "blocks": blocks,
                "units": units,
                "total": total,
                "by_class": by_class,
                "executed_macs": executed_macs,
                "by_func": by_func,
                "names": names,
            }
        )

    # Hand-written loops.
    sketches = {k: sketch_fmla(k) for k in ("f32", "f16", "sdot", "smmla")}
    for k, (lines, _) in sketches.items():
        all_regions[f"sketch_{k}"] = lines

    mca = {model: run_mca(all_regions, model) for model in MODELS}

    # Per run: cycles.
    ipc = PHONE["ipc_non_kernel"]
    for r in runs:
        est = {}
        for model in MODELS:
            res = mca[model]
            mac_cycles = mac_insns_total = 0.0
            rest_mca_cycles = rest_mca_insns = 0.0
            for u in r["units"]:
                c = res.get(u["name"])
                if c is None:
                    continue
                if is_mac_loop(u):
                    mac_cycles += u["iterations"] * c[0]
                    mac_insns_total += u["dyn"]
                else:
                    rest_mca_cycles += u["iterations"] * c[0]
                    rest_mca_insns += u["dyn"]
            # MAC loops that were not given to llvm-mca (beyond coverage) count with the rest.
            rest_insns = r["total"] - mac_insns_total
            rest_cycles = rest_insns / ipc
            rest_cycles_mca = rest_mca_cycles + (rest_insns - rest_mca_insns) / ipc
            est[model] = {
                "mac_loop_insns": mac_insns_total,
                "mac_loop_cycles": mac_cycles,
                "rest_insns": rest_insns,
                "rest_cycles_at_assumed_ipc": rest_cycles,
                "rest_cycles_mca_where_covered": rest_cycles_mca,
                "rest_ipc_mca_where_covered": rest_mca_insns / rest_mca_cycles if rest_mca_cycles else None,
                "cycles": mac_cycles + rest_cycles,
                "cycles_rest_by_mca": mac_cycles + rest_cycles_mca,
            }
        r["estimate"] = est
        # Where the primary model's cycles go: the costliest units, each as llvm-mca sees it.
        res = mca[PRIMARY_MODEL]
        costed = [(u["iterations"] * res[u["name"]][0], u) for u in r["units"] if u["name"] in res]
        r["costliest_units"] = [
            {
                "function": u["sym"],
                "addr": hex(u["addr"]),
                "multiply_add_loop": is_mac_loop(u),
                "instructions": u["n"],
                "iterations": u["iterations"],
                "cycles_per_iteration": round(res[u["name"]][0], 2),
                "cycles": round(cyc),
                "instructions_executed": u["dyn"],
            }
            for cyc, u in sorted(costed, key=lambda t: -t[0])[:25]
        ]

    # Hot inner loop of each kernel: the MAC loop with most instructions of its class.
    def hottest(run_filter, classes):
        best = None
        for r in runs:
            if not run_filter(r["run"]):
                continue
            for u in r["units"]:
                if sum(u["cls"].get(c, 0) for c in classes) >= 8 and is_mac_loop(u):
                    if best is None or u["dyn"] > best[1]["dyn"]:
                        best = (r, u)
        return best

    kernels = [
        ("f32 FMLA tile (neon)", lambda m: m["tier_in_effect"] == "neon" and m["precision_in_effect"] == "f32", ["fmla_f32_elem"], "f32"),
        ("int8 SDOT tile (neon-dotprod)", lambda m: m["tier_in_effect"] == "neon-dotprod" and m["precision_in_effect"] == "int8", ["sdot"], "sdot"),
        ("int8 SMMLA tile (neon-i8mm)", lambda m: m["tier_in_effect"] == "neon-i8mm" and m["precision_in_effect"] == "int8", ["smmla"], "smmla"),
        ("f32 gemm crate (portable)", lambda m: m["tier_in_effect"] == "portable", ["fmla_f32_elem", "fmla_f32_vec"], None),
    ]
    loops = []
    for title, flt, cls, sketch in kernels:
        h = hottest(flt, cls)
        entry = {"kernel": title}
        if h:
            r, u = h
            name = u["name"]
            macs = sum(u["cls"].get(c, 0) * k for c, k in CLASS_MACS.items())
            text = u["lines"]
            spills = [t for t in text if re.search(r"\[sp", t)]
            entry.update(
                {
                    "unit": name,
                    "function": r["names"].get(u["sym"], u["sym"]),
                    "qemu_blocks": u["blocks"],
                    "insns": u["n"],
                    "mac_insns": mac_insns(u),
                    "macs_per_iteration": macs,
                    "iterations_per_frame": u["iterations"],
                    "share_of_frame_insns": u["dyn"] / r["total"],
                    "stack_accesses": spills,
                    "mca": {
                        m: {
                            "cycles_per_iteration": mca[m].get(name, (None, None))[0],
                            "block_rthroughput": mca[m].get(name, (None, None))[1],
                            "macs_per_cycle": macs / mca[m][name][0] if name in mca[m] else None,
                        }
                        for m in MODELS
                    },
                }
            )
            with open(os.path.join(args.out, "loops", re.sub(r"\W+", "_", title).strip("_") + ".s"), "w") as f:
                f.write(f"// {title}: {entry['function']}\n")
                f.write(f"// loop at {u['addr']:#x} (from {u['blocks']} qemu blocks): {u['n']} instructions, ")
                f.write(f"{u['iterations']:,} iterations per frame (qemu), {macs} multiply-adds per iteration\n")
                f.write(".Lloop:\n" + "\n".join(t.replace("{L}", ".Lloop") for t in text) + "\n\n")
                for m in MODELS:
                    f.write(f"/* llvm-mca -mcpu={m} -mattr={MATTR} -iterations={MCA_ITERATIONS} -bottleneck-analysis -instruction-info=0\n")
                    f.write(f"{mca_report(text, m)}*/\n")
        if sketch:
            lines, smacs = sketches[sketch]
            entry["sketch"] = {
                "insns": len(lines),
                "macs_per_iteration": smacs,
                "mca": {
                    m: {
                        "cycles_per_iteration": mca[m][f"sketch_{sketch}"][0],
                        "macs_per_cycle": smacs / mca[m][f"sketch_{sketch}"][0],
                    }
                    for m in MODELS
                    if f"sketch_{sketch}" in mca[m]
                },
            }
        loops.append(entry)
    f16_lines, f16_macs = sketches["f16"]
    with open(os.path.join(args.out, "loops", "f16_fmla_sketch.s"), "w") as f:
        f.write("// f16 FMLA .8h by element, 6 x 32 tile, 8 k per iteration: a sketch, no f16 path exists\n")
        f.write(".Lloop:\n" + "\n".join(t.replace("{L}", ".Lloop") for t in f16_lines) + "\n\n")
        for m in MODELS:
            f.write(f"/* llvm-mca -mcpu={m} -mattr={MATTR} -iterations={MCA_ITERATIONS} -bottleneck-analysis -instruction-info=0\n")
            f.write(f"{mca_report(f16_lines, m)}*/\n")
    loops.append(
        {
            "kernel": "f16 FMLA .8h tile (sketch only: no f16 path in the engine)",
            "sketch": {
                "insns": len(f16_lines),
                "macs_per_iteration": f16_macs,
                "mca": {
                    m: {"cycles_per_iteration": mca[m]["sketch_f16"][0], "macs_per_cycle": f16_macs / mca[m]["sketch_f16"][0]}
                    for m in MODELS
                },
            },
        }
    )

    # Rows of the table.
    def ms(cycles, ghz):
        return cycles / (PHONE["cores"] * ghz * 1e9) * 1e3

    def mem_ms(bytes_):
        return bytes_ / (PHONE["dram_gb_per_s"] * 1e9) * 1e3

    rows = []
    for r in runs:
        m = r["run"]
        e = r["estimate"][PRIMARY_MODEL]
        bpp = 1 if m["precision_in_effect"] == "int8" else 4
        wbytes = matrix_params * bpp
        rows.append(
            {
                "config": f"{m['precision_in_effect']} ({m['tier_in_effect']})",
                "tier": m["tier_in_effect"],
                "precision": m["precision_in_effect"],
                "insns_per_frame": r["total"],
                "insns_frames": r["frames"],
                "mac_insns_per_frame": sum(r["by_class"][c] for c in CLASS_MACS),
                "executed_macs": r["executed_macs"],
                "arch_macs": arch_macs,
                "cycles": e["cycles"],
                "mac_loop_insns": e["mac_loop_insns"],
                "mac_loop_cycles": e["mac_loop_cycles"],
                "rest_cycles": e["rest_cycles_at_assumed_ipc"],
                "cycles_rest_by_mca": e["cycles_rest_by_mca"],
                "cycles_apple_a17_model": r["estimate"]["apple-a17"]["cycles"],
                "weight_bytes": wbytes,
                "memory_ms": mem_ms(wbytes),
                "ms": {k: max(ms(e["cycles"], g), mem_ms(wbytes)) for k, g in PHONE["clocks_ghz"].items()},
                "compute_ms": {k: ms(e["cycles"], g) for k, g in PHONE["clocks_ghz"].items()},
            }
        )
    # f16: estimate only, from the f32 run's non-kernel work and the f16 sketch.
    f32run = next((r for r in runs if r["run"]["precision_in_effect"] == "f32" and r["run"]["tier_in_effect"] == "neon"), None)
    if f32run and "sketch_f16" in mca[PRIMARY_MODEL]:
        e = f32run["estimate"][PRIMARY_MODEL]
        # The same multiply-adds as the f32 kernels executed (tile padding included), at the
        # sketch's multiply-adds per cycle.
        f32_macs = sum(f32run["by_class"][c] * k for c, k in CLASS_MACS.items())
        f16_cpi = mca[PRIMARY_MODEL]["sketch_f16"][0]
        mac_cycles = f32_macs / f16_macs * f16_cpi
        cycles = mac_cycles + e["rest_cycles_at_assumed_ipc"]
        wbytes = matrix_params * 2
        rows.append(
            {
                "config": "f16 (no path: sketch)",
                "tier": "-",
                "precision": "f16",
                "insns_per_frame": None,
                "executed_macs": f32_macs,
                "arch_macs": arch_macs,
                "cycles": cycles,
                "mac_loop_cycles": mac_cycles,
                "rest_cycles": e["rest_cycles_at_assumed_ipc"],
                "cycles_apple_a17_model": f32_macs / f16_macs * mca["apple-a17"]["sketch_f16"][0]
                + e["rest_cycles_at_assumed_ipc"],
                "weight_bytes": wbytes,
                "memory_ms": mem_ms(wbytes),
                "ms": {k: max(ms(cycles, g), mem_ms(wbytes)) for k, g in PHONE["clocks_ghz"].items()},
                "compute_ms": {k: ms(cycles, g) for k, g in PHONE["clocks_ghz"].items()},
            }
        )

    # Markdown.
    clk = list(PHONE["clocks_ghz"])
    md = []
    md.append(
        "| precision (tier) | instructions / frame (measured, qemu) | of which in multiply-add loops (measured) | "
        f"multiply-add loop cycles (est., llvm-mca {PRIMARY_MODEL}) | other cycles (est., IPC {ipc:g}) | "
        f"cycles / frame (est.) | memory floor, ms (est.) | ms on 2 P-cores, {clk[0]} (est.) | "
        f"ms on 2 P-cores, {clk[1]} (est.) | target |"
    )
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        if row["insns_per_frame"]:
            ins = f"{row['insns_per_frame'] / 1e9:.3f} G"
            inl = f"{row['mac_loop_insns'] / 1e9:.3f} G"
        else:
            ins, inl = "n/a (no f16 path)", "n/a"
        md.append(
            f"| {row['config']} | {ins} | {inl} | {row['mac_loop_cycles'] / 1e6:.0f} M | {row['rest_cycles'] / 1e6:.0f} M | "
            f"{row['cycles'] / 1e6:.0f} M | {row['memory_ms']:.2f} | {row['ms'][clk[0]]:.1f} | {row['ms'][clk[1]]:.1f} | "
            f"{TARGET_MS[0]}–{TARGET_MS[1]} ms |"
        )
    # How much the assumed IPC of the other instructions matters.
    ipcs = [1.5, 2.0, 3.0, 4.0]
    sens_md = [
        f"| precision (tier) | multiply-add loops alone, ms ({clk[1]}) | "
        + " | ".join(f"total ms at IPC {i:g} ({clk[1]})" for i in ipcs)
        + " | total ms with the other instructions at llvm-mca's IPC where covered | total ms, loops on the "
        "apple-a17 (Cyclone) model, IPC 2 |",
        "|---|---:|" + "---:|" * len(ipcs) + "---:|---:|",
    ]
    g = PHONE["clocks_ghz"][clk[1]]
    for row in rows:
        rest_insns = row["rest_cycles"] * ipc
        cells = [f"{ms(row['mac_loop_cycles'], g):.1f}"] + [f"{ms(row['mac_loop_cycles'] + rest_insns / i, g):.1f}" for i in ipcs]
        cells.append(f"{ms(row['cycles_rest_by_mca'], g):.1f}" if row.get("cycles_rest_by_mca") else "–")
        cells.append(f"{ms(row['cycles_apple_a17_model'], g):.1f}")
        sens_md.append(f"| {row['config']} | " + " | ".join(cells) + " |")
    # Where the other instructions go: the top functions outside the multiply-add loops' share.
    fn_md = ["| precision (tier) | function | instructions / frame (measured) | share |", "|---|---|---:|---:|"]
    for r in runs:
        m = r["run"]
        for name, v in r["by_func"].most_common(6):
            fn_md.append(f"| {m['precision_in_effect']} ({m['tier_in_effect']}) | `{name[:90]}` | {v / 1e6:.1f} M | {v / r['total']:.1%} |")
    loop_md = [
        f"| loop | function | instructions | MACs / iteration | iterations / frame (measured, qemu) | cycles / iteration "
        f"(est., {PRIMARY_MODEL}) | MACs / cycle (est.) | cycles / iteration (est., apple-a17 = Cyclone model) | "
        f"hand-written sketch: instructions, MACs / iteration, cycles / iteration, MACs / cycle (est., {PRIMARY_MODEL}) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for l in loops:
        s_ = l.get("sketch")
        sk = s_["mca"].get(PRIMARY_MODEL) if s_ else None
        skm = f"{s_['insns']}, {s_['macs_per_iteration']}, {sk['cycles_per_iteration']:.2f}, {sk['macs_per_cycle']:.1f}" if sk else "–"
        if "unit" in l:
            a = l["mca"][PRIMARY_MODEL]
            c = l["mca"]["apple-a17"]
            loop_md.append(
                f"| {l['kernel']} | `{l['function'][:80]}` | {l['insns']} | {l['macs_per_iteration']} | "
                f"{l['iterations_per_frame']:,} | {a['cycles_per_iteration']:.2f} | {a['macs_per_cycle']:.1f} | "
                f"{c['cycles_per_iteration']:.2f} | {skm} |"
            )
        else:
            loop_md.append(f"| {l['kernel']} | (not in these runs) | | | | | | | {skm} |")
    table = "\n\n".join("\n".join(t) for t in (md, sens_md, loop_md, fn_md)) + "\n"
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(table)

    def slim(r):
        return {
            "tier": r["run"]["tier_in_effect"],
            "precision": r["run"]["precision_in_effect"],
            "command": r["run"]["command"],
            "qemu_wall_seconds": r["run"]["seconds"],
            "program_output": r["run"]["output"],
            "load_bias": hex(r["bias"]),
            "load_bias_checked_on_hottest_block": r["bias_checked"],
            "insns_startup_and_load": r["load_insns"],
            "insns_per_frame_each_frame": r["frames"],
            "insns_per_frame": r["total"],
            "insns_by_class": dict(r["by_class"]),
            "multiply_adds_executed": r["executed_macs"],
            "top_functions": [{"function": k, "insns": v} for k, v in r["by_func"].most_common(15)],
            "mca_units": len(r["units"]),
            "mca_loops": sum(1 for u in r["units"] if u["loop"]),
            "mca_coverage": sum(u["dyn"] for u in r["units"]) / r["total"],
            "estimate": r["estimate"],
            "costliest_units": r["costliest_units"],
        }

    out = {
        "meta": {k: v for k, v in meta.items() if k != "runs"},
        "assumptions": dict(PHONE, primary_model=PRIMARY_MODEL, models=MODELS, mattr=MATTR, mca_iterations=MCA_ITERATIONS),
        "model": {"dims": dims, "params": params, "matrix_params": matrix_params, "macs_by_product": macs_by_product, "macs": arch_macs},
        "runs": [slim(r) for r in runs],
        "loops": loops,
        "table": rows,
    }
    with open(os.path.join(args.out, "phone.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(table)


if __name__ == "__main__":
    main()
