#!/usr/bin/env python3
"""Why is pelabel slower after an idle gap? (issue [7], item 6)

Drives `tower_bench serve` (the gap is slept *inside* the harness, `run N GAP MODE`, so no pipe or
Python sits between the idle time and the timer) and prints the median latency per condition:

1. `threads`: gaps 0 / 30 / 100 ms with RAYON_NUM_THREADS=1 and 2. If one thread shows no
   penalty, the pool's hand-offs after idle are where it goes.
2. `modes`: at one gap, what the process does meanwhile: `sleep` (camera app), `spin` (this
   thread busy, workers idle), `spin-pool` (every worker busy, no vCPU idles), `thrash`
   (workers busy writing 64 MiB: caches evicted, vCPUs busy), `warm-U` (sleep, then the pool
   spins U µs before the frame), `linger-L` (the pool spins L ms after each frame).
3. `spinner`: the same sleep gaps while two `nice 19` busy loops keep both vCPUs from idling
   (the harness, at nice 0, still gets ~98 % of a core when it wants one).
4. `perf`: `perf stat` software counters (context switches, CPU migrations, page faults, task
   clock) of the harness over passes at each gap, per pass (the gap's own sleep included).
5. `openvino`: OpenVINO int8 (the NNCF model compare.py saved, 2 threads, latency hint) in this
   process, at the same gaps, interleaved with pelabel int8, with perf stat counts per pass.
6. `wake`: `tower_bench wake`, the model-free micro-experiment (pool wake-up latency, FMA speed
   of a core just back from idle, a pass over 8 MiB after idle).

Conditions are interleaved in short blocks so slow drifts of a shared host hit all of them. The
machine is shared: for every block the script also measures how much CPU *other* processes used
meanwhile (/proc/stat busy time minus this script's and the harness's own) and the steal time the
hypervisor reports, and prints the medians over all blocks and over the quiet blocks alone
(others below `--quiet` of the machine).

    ~/venv-bench/bin/python benchmarks/compare/idle_gaps.py --precision int8 --json target/compare/idle.json

The checkpoint and input default to the ones `compare.py` leaves in target/compare/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    work = REPO / "target" / "compare"
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    p.add_argument("--harness", type=Path, default=target / "release" / "examples" / "tower_bench")
    p.add_argument("--model", type=Path, default=work / "vit_pe_core_tiny_patch16_384-seed0.safetensors")
    p.add_argument("--input", type=Path, default=work / "input.f32")
    p.add_argument("--precision", default="int8", help="f32, int8 or bf16 (default int8)")
    p.add_argument("--gaps", default="0,30,100", help="gaps in ms (default 0,30,100)")
    p.add_argument("--mode-gap", type=float, default=100.0, help="gap of the `modes` experiment (default 100)")
    p.add_argument(
        "--modes",
        default="sleep,spin,spin-pool,thrash,warm-200,warm-2000,linger-5,linger-30",
        help="gap modes of the `modes` experiment",
    )
    p.add_argument("--blocks", type=int, default=8, help="interleaved blocks per condition (default 8)")
    p.add_argument("--per-block", type=int, default=5, help="timed passes per block (default 5)")
    p.add_argument(
        "--experiments", default="threads,modes,spinner,perf,openvino,wake",
        help="subset of threads,modes,spinner,perf,openvino,wake",
    )
    p.add_argument("--quiet", type=float, default=0.05, help="max CPU share of other processes in a quiet block")
    p.add_argument("--json", type=Path)
    return p.parse_args()


ARGS = parse_args()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_busy_steal() -> tuple[float, float]:
    """Seconds of busy (non-idle, non-iowait, non-steal) and of steal time, all CPUs, since boot."""
    f = [float(v) for v in open("/proc/stat").readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = f[:8]
    return (user + nice + system + irq + softirq) / TICK, steal / TICK


def proc_cpu(pid: int | str) -> float:
    """utime + stime of a process (all its threads), seconds."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (float(f[11]) + float(f[12])) / TICK


class OpenVinoInt8:
    """compare.py's NNCF int8 model in OpenVINO's CPU plugin, as compare.py compiles it; the gap is
    slept here (Python), then one inference is timed."""

    def __init__(self, threads: int):
        import numpy as np
        import openvino as ov
        import openvino.properties as props
        import openvino.properties.hint as hints

        core = ov.Core()
        xml = ARGS.model.parent / "t16.openvino-int8.xml"
        cfg = {props.inference_num_threads: threads, hints.performance_mode: hints.PerformanceMode.LATENCY,
               props.num_streams: 1}
        self.req = core.compile_model(core.read_model(str(xml)), "CPU", cfg).create_infer_request()
        self.x = np.fromfile(ARGS.input, dtype="<f4").reshape(1, 3, 384, 384)
        self.proc = type("P", (), {"pid": os.getpid()})()
        for _ in range(5):
            self.req.infer({0: self.x})

    def cmd(self, line: str) -> dict:
        return {}

    def run(self, n: int, gap: float, mode: str) -> tuple[list[float], list[float], float, float]:
        self.req.infer({0: self.x})
        t0, (b0, s0), m0 = time.perf_counter(), cpu_busy_steal(), proc_cpu("self")
        ms = []
        for _ in range(n):
            if gap > 0:
                time.sleep(gap / 1e3)
            t = time.perf_counter()
            self.req.infer({0: self.x})
            ms.append((time.perf_counter() - t) * 1e3)
        t1, (b1, s1), m1 = time.perf_counter(), cpu_busy_steal(), proc_cpu("self")
        cap = (t1 - t0) * (os.cpu_count() or 1)
        return ms, [float("nan")] * n, max(0.0, (b1 - b0) - (m1 - m0)) / cap, (s1 - s0) / cap


def ctx_switches(pid: int) -> tuple[int, int]:
    """Voluntary (blocked: futex, read, sleep) and involuntary (preempted) context switches, summed
    over the threads of `pid`, from /proc/PID/task/*/status."""
    vol = invol = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches"):
                    vol += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol += int(line.split()[1])
        except OSError:
            pass
    return vol, invol


class Harness:
    def __init__(self, threads: int, precision: str):
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads), CANDLE_NUM_THREADS=str(threads))
        cmd = [str(ARGS.harness), "serve", "--model", str(ARGS.model), "--preset", "PE-Core-T16-384"]
        cmd += ["--threads", str(threads), "--precision", precision]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        ready = self.read()
        if ready.get("precision") != precision:
            raise RuntimeError(f"asked for {precision}, harness runs {ready.get('precision')}")
        self.cmd(f"input {ARGS.input} 384 384")
        self.cmd("run 5")  # warm-up

    def read(self) -> dict:
        a = json.loads(self.proc.stdout.readline())
        if "error" in a:
            raise RuntimeError(a["error"])
        return a

    def cmd(self, line: str) -> dict:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.read()

    def run(self, n: int, gap: float, mode: str) -> tuple[list[float], list[float], float, float]:
        """`n` passes after `gap` ms of `mode`; also the CPU share other processes used meanwhile
        and the steal share (both as fractions of all CPUs over the wall time)."""
        # One untimed pass first: the gap before the first timed pass is then exactly `gap`.
        self.cmd("run 1")
        t0, (b0, s0), h0, m0 = time.perf_counter(), cpu_busy_steal(), proc_cpu(self.proc.pid), proc_cpu("self")
        a = self.cmd(f"run {n} {gap:g} {mode}")
        t1, (b1, s1), h1, m1 = time.perf_counter(), cpu_busy_steal(), proc_cpu(self.proc.pid), proc_cpu("self")
        cap = (t1 - t0) * (os.cpu_count() or 1)
        others = max(0.0, (b1 - b0) - (h1 - h0) - (m1 - m0)) / cap
        return a["ms"], a["blocks_ms"], others, (s1 - s0) / cap

    def close(self) -> None:
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=10)


def interleave(conditions: list[tuple[str, Harness, float, str]]) -> dict:
    """Runs every (label, harness, gap, mode) in `blocks` interleaved blocks; medians per label."""
    got: dict[str, dict[str, list]] = {
        c[0]: {"ms": [], "blocks_ms": [], "quiet_ms": [], "others": [], "steal": []} for c in conditions
    }
    for b in range(ARGS.blocks):
        order = conditions[b % len(conditions) :] + conditions[: b % len(conditions)]
        for label, h, gap, mode in order:
            ms, blocks, others, steal = h.run(ARGS.per_block, gap, mode)
            g = got[label]
            g["ms"] += ms
            g["blocks_ms"] += blocks
            g["others"].append(others)
            g["steal"].append(steal)
            if others < ARGS.quiet:
                g["quiet_ms"] += ms
    out = {}
    for label, v in got.items():
        ms = sorted(v["ms"])
        out[label] = {
            "median_ms": statistics.median(ms),
            "p10_ms": ms[len(ms) // 10],
            "p90_ms": ms[(9 * len(ms)) // 10],
            "blocks_median_ms": statistics.median(v["blocks_ms"]),
            "runs": len(ms),
            "quiet_median_ms": statistics.median(v["quiet_ms"]) if v["quiet_ms"] else None,
            "quiet_runs": len(v["quiet_ms"]),
            "others_cpu_share_median": statistics.median(v["others"]),
            "steal_share_median": statistics.median(v["steal"]),
            "raw_ms": v["ms"],
            "others_by_block": v["others"],
        }
    return out


def table(title: str, res: dict, base: str | None = None) -> None:
    print(f"\n{title}")
    print(
        f"  {'condition':34s} {'median':>8s} {'p10':>7s} {'p90':>7s} {'blocks':>7s} {'ratio':>6s} "
        f"{'others':>6s} {'steal':>6s} {'quiet med (n)':>14s} {'q ratio':>7s}"
    )
    bq = res[base]["quiet_median_ms"] if base else None
    for label, r in res.items():
        ratio = f"{r['median_ms'] / res[base]['median_ms']:6.3f}" if base else ""
        q = r["quiet_median_ms"]
        quiet = f"{q:8.2f} ({r['quiet_runs']:3d})" if q is not None else f"{'-':>8s} (  0)"
        qratio = f"{q / bq:7.3f}" if q is not None and bq else f"{'-':>7s}"
        print(
            f"  {label:34s} {r['median_ms']:8.2f} {r['p10_ms']:7.2f} {r['p90_ms']:7.2f} "
            f"{r['blocks_median_ms']:7.2f} {ratio} {100 * r['others_cpu_share_median']:5.1f}% "
            f"{100 * r['steal_share_median']:5.1f}% {quiet:>14s} {qratio}"
        )


def main() -> int:
    gaps = [float(g) for g in ARGS.gaps.split(",")]
    exps = set(ARGS.experiments.split(","))
    report: dict = {"precision": ARGS.precision, "load_average_start": os.getloadavg(), "cpu_count": os.cpu_count()}
    print(f"tower_bench {ARGS.precision}, load average at start {os.getloadavg()[0]:.2f}")

    if "threads" in exps:
        log("experiment `threads`")
        hs = {t: Harness(t, ARGS.precision) for t in (1, 2)}
        conds = [(f"threads={t} gap={g:g}", hs[t], g, "sleep") for t in (1, 2) for g in gaps]
        res = interleave(conds)
        for t in (1, 2):
            sub = {k: v for k, v in res.items() if k.startswith(f"threads={t} ")}
            table(f"RAYON_NUM_THREADS={t}, sleep gaps (ratio to gap {gaps[0]:g})", sub, f"threads={t} gap={gaps[0]:g}")
        report["threads"] = res
        for h in hs.values():
            h.close()

    if "modes" in exps:
        log("experiment `modes`")
        h = Harness(2, ARGS.precision)
        conds = [("back to back (gap 0)", h, 0.0, "sleep")]
        conds += [(f"gap {ARGS.mode_gap:g} {m}", h, ARGS.mode_gap, m) for m in ARGS.modes.split(",")]
        res = interleave(conds)
        table(f"2 threads, gap {ARGS.mode_gap:g} ms spent in each mode (ratio to back to back)", res, conds[0][0])
        report["modes"] = res
        h.close()

    if "spinner" in exps:
        log("experiment `spinner`")
        h = Harness(2, ARGS.precision)
        quiet = interleave([(f"no spinners, gap {g:g}", h, g, "sleep") for g in gaps])
        spin = "import os\nos.nice(19)\nwhile True: pass\n"
        spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 2)]
        try:
            time.sleep(0.5)
            busy = interleave([(f"nice-19 spinners, gap {g:g}", h, g, "sleep") for g in gaps])
        finally:
            for s in spinners:
                s.kill()
                s.wait()
        table(f"2 threads, with and without {len(spinners)} nice-19 busy loops (ratio to gap {gaps[0]:g})", {**quiet, **busy}, f"no spinners, gap {gaps[0]:g}")
        report["spinner"] = {**quiet, **busy}
        h.close()

    if "perf" in exps:
        log("experiment `perf`")
        n = ARGS.blocks * ARGS.per_block
        # Voluntary / involuntary switches per pass, 1 and 2 threads (the gap's own sleep is one
        # voluntary switch of the harness's main thread per pass).
        vcs = {}
        for t in (1, 2):
            ht = Harness(t, ARGS.precision)
            for g in gaps:
                ht.cmd("run 1")
                v0, i0 = ctx_switches(ht.proc.pid)
                ms = ht.cmd(f"run {n} {g:g} sleep")["ms"]
                v1, i1 = ctx_switches(ht.proc.pid)
                vcs[f"threads={t} gap={g:g}"] = {
                    "median_ms": statistics.median(ms), "voluntary": (v1 - v0) / n, "involuntary": (i1 - i0) / n
                }
            ht.close()
        print(f"\ncontext switches per pass from /proc/PID/task/*/status ({n} passes each)")
        for k, r in vcs.items():
            print(f"  {k:22s} median {r['median_ms']:7.2f} ms  voluntary {r['voluntary']:7.1f}  involuntary {r['involuntary']:6.1f}")
        report["ctx_switches"] = vcs
        h = Harness(2, ARGS.precision)
        events = "context-switches,cpu-migrations,page-faults,task-clock"
        rows = {}
        for g in gaps:
            h.cmd("run 1")
            perf = subprocess.Popen(
                ["perf", "stat", "-x,", "-e", events, "-p", str(h.proc.pid)],
                stderr=subprocess.PIPE, text=True,
            )
            time.sleep(0.3)  # perf attached
            ms = h.cmd(f"run {n} {g:g} sleep")["ms"]
            perf.send_signal(2)
            counts = {}
            for line in perf.communicate()[1].splitlines():
                f = line.split(",")
                if len(f) > 2 and f[2] in events.split(","):
                    try:
                        counts[f[2]] = float(f[0]) / n
                    except ValueError:
                        counts[f[2]] = None
            rows[g] = {"median_ms": statistics.median(ms), "per_pass": counts}
        print(f"\nperf stat per pass, 2 threads ({n} passes per gap; counts include the 0.3 s attach wait / {n})")
        print(f"  {'gap ms':>6s} {'median':>8s} {'ctx sw':>8s} {'migr':>7s} {'faults':>7s} {'task-clock ms':>13s}")
        for g, r in rows.items():
            c = r["per_pass"]
            fmt = lambda v, p=1: "n/a" if v is None else f"{v:.{p}f}"  # noqa: E731
            print(
                f"  {g:6g} {r['median_ms']:8.2f} {fmt(c.get('context-switches')):>8s} {fmt(c.get('cpu-migrations')):>7s} "
                f"{fmt(c.get('page-faults')):>7s} {fmt(c.get('task-clock'), 2):>13s}"
            )
        report["perf"] = rows
        h.close()

    if "openvino" in exps:
        log("experiment `openvino`")
        h = Harness(2, ARGS.precision)
        ov8 = OpenVinoInt8(2)
        conds = [(f"pelabel-{ARGS.precision} gap {g:g}", h, g, "sleep") for g in gaps]
        conds += [(f"openvino-int8 gap {g:g}", ov8, g, "sleep") for g in gaps]
        res = interleave(conds)
        table("pelabel vs OpenVINO int8 at the same gaps (ratio to pelabel gap 0)", res, conds[0][0])
        # Context switches per pass, OpenVINO (this process) and pelabel (the harness).
        n = ARGS.blocks * ARGS.per_block
        counts = {}
        for who, pid, runner in (("openvino-int8", os.getpid(), ov8), (f"pelabel-{ARGS.precision}", h.proc.pid, h)):
            for g in gaps:
                perf = subprocess.Popen(
                    ["perf", "stat", "-x,", "-e", "context-switches,task-clock", "-p", str(pid)],
                    stderr=subprocess.PIPE, text=True,
                )
                time.sleep(0.3)
                runner.run(n, g, "sleep")
                perf.send_signal(2)
                c = {}
                for line in perf.communicate()[1].splitlines():
                    f = line.split(",")
                    if len(f) > 2 and f[2] in ("context-switches", "task-clock"):
                        c[f[2]] = float(f[0]) / n
                counts[f"{who} gap {g:g}"] = c
        print("  perf stat per pass: " + "; ".join(
            f"{k}: {v.get('context-switches', float('nan')):.0f} ctx sw, {v.get('task-clock', float('nan')):.1f} ms CPU"
            for k, v in counts.items()))
        report["openvino"] = {"latency": res, "perf_per_pass": counts}
        h.close()

    if "wake" in exps:
        log("experiment `wake`")
        rows = {}
        for t in (1, 2):
            env = dict(os.environ, RAYON_NUM_THREADS=str(t))
            out = subprocess.run(
                [str(ARGS.harness), "wake", "--threads", str(t), "--gaps", "0,1,5,30,100", "--reps", "30"],
                capture_output=True, text=True, check=True, env=env,
            )
            rows[t] = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        print("\nwake micro-experiment (medians of 30): pool wake-up, FMA slices on a core back from idle, 8 MiB pass")
        print(
            f"  {'threads':>7s} {'gap ms':>6s} {'wake us':>8s} {'bcast us':>8s} {'1st 50us':>8s} {'slice':>6s} "
            f"{'1ms slow':>8s} {'to steady':>9s} {'mem 1st':>8s} {'mem 2nd':>8s} {'h 0-9':>6s} {'h 10-49':>7s} "
            f"{'h last50':>8s} {'chain ms':>8s}"
        )
        for t, rs in rows.items():
            for r in rs:
                print(
                    f"  {t:7d} {r['gap_ms']:6g} {r['pool_wake_us_median']:8.1f} {r['broadcast_roundtrip_us_median']:8.1f} "
                    f"{r['fma_first_50us_slice_us_median']:8.1f} {r['fma_slice_us_median']:6.1f} "
                    f"{r['fma_first_1ms_slowdown_median']:8.2f} {r['fma_slices_until_steady_median']:9.0f} "
                    f"{r['mem_8mib_after_gap_us_median']:8.0f} {r['mem_8mib_again_us_median']:8.0f} "
                    f"{r['handoff_us_first10_median']:6.1f} {r['handoff_us_10_to_50_median']:7.1f} "
                    f"{r['handoff_us_last50_median']:8.1f} {r['handoff_chain_ms_median']:8.2f}"
                )
        report["wake"] = rows

    report["load_average_end"] = os.getloadavg()
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    if ARGS.json:
        ARGS.json.parent.mkdir(parents=True, exist_ok=True)
        ARGS.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
