#!/usr/bin/env bash
# Phone speed on paper, from counts: per-frame instruction counts of the image tower under
# qemu-aarch64 (our insn_count TCG plugin), llvm-mca cycle estimates of the hot blocks, and the
# table of estimated ms per frame on two iPhone 15-class performance cores. See README.md.
#
#   benchmarks/phone/run.sh [--frames N] [--preset NAME] [--configs "TIER:PREC ..."] [--skip-build]
#
# Environment: CARGO_TARGET_DIR (default <repo>/target), PHONE_WORK (scratch, default
# $CARGO_TARGET_DIR/phone), PHONE_OUT (results, default benchmarks/phone/results), LLVM_BIN
# (default /usr/lib/llvm-19/bin), QEMU_CPU (default max).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
frames=2
preset=PE-Core-T16-384
configs="portable:f32 neon:f32 neon-dotprod:int8 neon-i8mm:int8"
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --frames) frames=$2; shift 2 ;;
        --preset) preset=$2; shift 2 ;;
        --configs) configs=$2; shift 2 ;;
        --skip-build) build=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export LLVM_BIN=${LLVM_BIN:-/usr/lib/llvm-19/bin}
work=${PHONE_WORK:-$CARGO_TARGET_DIR/phone}
out=${PHONE_OUT:-$here/results}
qemu_cpu=${QEMU_CPU:-max}
target=aarch64-unknown-linux-gnu
sysroot=/usr/aarch64-linux-gnu
bin=$CARGO_TARGET_DIR/$target/release/examples/phone_frames
mkdir -p "$work" "$out"
t_start=$(date +%s)

need() { command -v "$1" >/dev/null 2>&1 || { echo "run.sh: needs $1 ($2)" >&2; exit 1; }; }
need qemu-aarch64 "apt-get install qemu-user"
need aarch64-linux-gnu-gcc "apt-get install gcc-aarch64-linux-gnu"
need gcc "apt-get install gcc"
need python3 "apt-get install python3"
for t in llvm-mca llvm-objdump llvm-readelf llvm-cxxfilt; do
    [ -x "$LLVM_BIN/$t" ] || { echo "run.sh: needs $LLVM_BIN/$t (apt-get install llvm-19)" >&2; exit 1; }
done
[ -d "$sysroot" ] || { echo "run.sh: needs $sysroot (apt-get install libc6-dev-arm64-cross)" >&2; exit 1; }

# 1. The plugin (never committed as a binary), checked against hand-counted instructions.
gcc -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -o "$work/libinsn_count.so" "$here/plugin/insn_count.c"
aarch64-linux-gnu-gcc -O1 -march=armv8.6-a+fp16+dotprod+i8mm -o "$work/selftest" "$here/plugin/selftest.c"
qemu-aarch64 -L "$sysroot" -cpu max -plugin "$work/libinsn_count.so,outfile=$work/selftest.tsv" "$work/selftest"
python3 "$here/plugin/check_selftest.py" "$work/selftest.tsv" >&2

# 2. The program, cross-built.
if [ "$build" = 1 ]; then
    rustup target list --installed | grep -qx $target || rustup target add $target
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        cargo build --release -p pelabel --features testing --example phone_frames --target $target \
        --manifest-path "$root/Cargo.toml"
fi
[ -x "$bin" ] || { echo "run.sh: $bin missing (run without --skip-build)" >&2; exit 1; }
t_built=$(date +%s)

qemu() { qemu-aarch64 -L "$sysroot" -cpu "$qemu_cpu" "$@"; }

# 3. A random checkpoint at the preset's real size (written once, under qemu: no host build).
if [ ! -f "$work/ckpt/model.safetensors" ] || [ "$(cat "$work/ckpt/preset" 2>/dev/null)" != "$preset" ]; then
    rm -rf "$work/ckpt"
    qemu "$bin" checkpoint --dir "$work/ckpt" --preset "$preset" --seed 1 >/dev/null
    echo "$preset" >"$work/ckpt/preset"
fi

# 4. One counted run per tier and precision; one worker thread, so the count is the total work.
runs=()
for cfg in $configs; do
    tier=${cfg%%:*}
    prec=${cfg##*:}
    tsv="$tier-$prec.tsv"
    cmd="PELABEL_CPU_TIER=$tier RAYON_NUM_THREADS=1 qemu-aarch64 -L $sysroot -cpu $qemu_cpu -plugin libinsn_count.so,outfile=$tsv phone_frames run --model ckpt --preset $preset --precision $prec --frames $frames"
    echo "run.sh: $cmd" >&2
    # Once here qemu died silently (no message, no core: a signal from outside?) in the middle of
    # a frame; a second attempt ran through. Retry once, and say so.
    for attempt in 1 2; do
        t0=$(date +%s.%N)
        if line=$(PELABEL_CPU_TIER=$tier RAYON_NUM_THREADS=1 \
            qemu -plugin "$work/libinsn_count.so,outfile=$work/$tsv" \
            "$bin" run --model "$work/ckpt" --preset "$preset" --precision "$prec" --frames "$frames"); then
            break
        else
            rc=$?
            echo "run.sh: $tier $prec: qemu exited with status $rc (attempt $attempt of 2)" >&2
            [ "$attempt" = 2 ] && exit 1
        fi
    done
    t1=$(date +%s.%N)
    runs+=("$(python3 -c 'import json,sys; o=json.loads(sys.argv[5]); print(json.dumps({"tier":sys.argv[1],"precision":sys.argv[2],"counts":sys.argv[3],"command":sys.argv[4],"output":o,"tier_in_effect":o["tier"],"precision_in_effect":o["precision"],"seconds":round(float(sys.argv[7])-float(sys.argv[6]),1)}))' \
        "$tier" "$prec" "$tsv" "$cmd" "$line" "$t0" "$t1")")
done
t_counted=$(date +%s)

commit=$(git -C "$root" rev-parse HEAD)
dirty=$(git -C "$root" status --porcelain --untracked-files=no | grep -q . && echo true || echo false)
python3 - "$work/runs.json" "$commit" "$dirty" "$(qemu-aarch64 --version | head -1)" "$("$LLVM_BIN/llvm-mca" --version | grep -i version | head -1 | xargs)" \
    "$preset" "$frames" "$qemu_cpu" "$(rustc --version)" "${runs[@]}" <<'EOF'
import json, sys
path, commit, dirty, qemu, mca, preset, frames, cpu, rustc, *runs = sys.argv[1:]
json.dump({"commit": commit, "worktree_dirty": dirty == "true", "qemu": qemu, "llvm_mca": mca, "rustc": rustc,
           "preset": preset, "frames": int(frames), "qemu_cpu": cpu, "runs": [json.loads(r) for r in runs]},
          open(path, "w"), indent=1)
EOF

# 5. llvm-mca and the table.
python3 "$here/analyze.py" --work "$work" --binary "$bin" --out "$out"
t_end=$(date +%s)
echo "run.sh: build $((t_built - t_start)) s, qemu runs $((t_counted - t_built)) s, analysis $((t_end - t_counted)) s, total $((t_end - t_start)) s" >&2
python3 - "$out/phone.json" "$((t_built - t_start))" "$((t_counted - t_built))" "$((t_end - t_counted))" <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["meta"]["seconds"] = {"build": int(sys.argv[2]), "qemu_runs": int(sys.argv[3]), "analysis": int(sys.argv[4])}
json.dump(d, open(p, "w"), indent=1)
EOF
