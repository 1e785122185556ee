#!/usr/bin/env bash
# Builds pelabel's fuzz targets and runs each for a bounded time under phone-like limits; fails
# on any crash, panic, timeout or out-of-memory. Used by CI (.ci/run, stage "fuzz").
#
#   fuzz/run.sh [SECONDS_PER_TARGET [TARGET...]]     default: 30 s, every target
#
# Limits (README.md explains the choices):
#   - 512 KiB stacks, as on a phone's secondary threads: `ulimit -s 512` for the main thread,
#     where libFuzzer runs the target, and RUST_MIN_STACK for every thread Rust spawns (rayon).
#   - memory: libFuzzer's -rss_limit_mb=2048; single allocations above 512 MiB or more than
#     2 GiB live fail inside the targets (their limited allocator, src/lib.rs).
#   - -timeout=10: one input taking longer is a failure.
# A target with a dictionary (dict/TARGET.dict: format keywords) gets it.
# Each run starts from a scratch copy of the committed seeds (corpus/TARGET), so the committed
# corpus does not grow; what a run finds stays in target/corpus-run/TARGET. A failing input is
# saved to artifacts/TARGET/ (crash-*, timeout-*, oom-*): make it a regression test.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-30}
shift || true
ALL=(pack hnsw safetensors pt labelset frame decode tokenizer)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi

# No sanitizer: the sdk is safe Rust outside its SIMD kernels, which ASan and Miri check in their
# own CI stages; bounds, overflow (debug assertions are on) and unwrap failures abort here as
# panics. The build is also several minutes shorter.
# FUZZ_CODEGEN_UNITS: cargo-fuzz builds every crate as one codegen unit unless told otherwise (the
# fastest fuzzing, the slowest build: one core per crate). CI sets 16 for its short runs: the cold
# build measured 16.2 min CPU with 1 and 12.9 min with 16 (both beside other builds, 2026-12-07).
t0=$(date +%s)
cargo +nightly fuzz build --sanitizer none ${FUZZ_CODEGEN_UNITS:+--codegen-units "$FUZZ_CODEGEN_UNITS"}
echo "fuzz: built in $(($(date +%s) - t0)) s"
BIN=target/x86_64-unknown-linux-gnu/release

failed=()
summary=()
for t in "${TARGETS[@]}"; do
    work=target/corpus-run/$t
    rm -rf "$work"
    mkdir -p "$work" "artifacts/$t"
    cp corpus/"$t"/* "$work"/
    log=target/fuzz-$t.log
    dict=()
    if [ -f "dict/$t.dict" ]; then dict=(-dict="dict/$t.dict"); fi
    status=0
    (
        ulimit -s 512
        export RUST_MIN_STACK=524288
        exec "$BIN/$t" "$work" -max_total_time="$SECS" -rss_limit_mb=2048 -malloc_limit_mb=512 \
            -timeout=10 -print_final_stats=1 -artifact_prefix="artifacts/$t/" "${dict[@]}"
    ) >"$log" 2>&1 || status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    summary+=("$(printf '%-12s %10s executions  exit %d' "$t" "$execs" "$status")")
    if [ "$status" -ne 0 ]; then
        failed+=("$t")
        echo "fuzz: $t FAILED (exit $status); last lines of $log:"
        tail -n 40 "$log"
    fi
done
printf '%s\n' "fuzz: ${SECS} s per target, $(date -u +%Y-%m-%dT%H:%MZ)" "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: failing targets: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
