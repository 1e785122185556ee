#!/usr/bin/env bash
# Does calibration generalise? Fits `pelabel calibrate` on one split of the demo model's
# synthetic world and measures on another split it never saw, against the uncalibrated pack at
# the same recall (one global threshold; chosen on the measured split itself, which favours it).
#
#   benchmarks/calibration/heldout.sh [N_PER_SPLIT] [OUT_DIR]
#
# Splits: `models/demo/synth.py testset` with seeds 7001 (calibration) and 7002 (measurement),
# N_PER_SPLIT images each (default 1920, 30 per label). Needs python3 with numpy and Pillow
# (installed with pip when missing) and builds the CLI. Prints one row per setting.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1920}
out=${2:-target/calibration-heldout}
mkdir -p "$out"
python3 -c 'import numpy, PIL' 2>/dev/null || python3 -m pip install --quiet numpy pillow
cargo build --quiet --release --locked -p pelabel-cli
pelabel=target/release/pelabel
for split in a:7001 b:7002; do
    IFS=: read -r name seed <<<"$split"
    if [ ! -f "$out/$name/labels.csv" ] || [ "$(wc -l <"$out/$name/labels.csv")" -ne $((n + 1)) ]; then
        rm -rf "${out:?}/$name"
        python3 models/demo/synth.py testset "$out/$name" --n "$n" --seed "$seed" >/dev/null
        python3 models/demo/testset_lists.py "$out/$name" >/dev/null
    fi
done
"$pelabel" eval --json "$out/b/labels.csv" >"$out/base.json"
printf '%-34s %10s %10s %14s %12s %9s\n' setting recall precision "global thr." "ECE" "no label"
python3 - "$out/base.json" "$out/base.json" uncalibrated <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
print(f"{sys.argv[3]:<34} {b['micro']['recall']:>10.4f} {b['micro']['precision']:>10.4f} {'':>14} {b['expected_calibration_error']:>12.4f} {b['nothing_recognised']:>9}")
PY
for setting in "--target-precision 0.9" "--target-precision 0.95" "--target-f1" "--target-precision 0.9 --sigmoid"; do
    # shellcheck disable=SC2086 # the setting is several flags
    "$pelabel" calibrate --json $setting -o "$out/calibrated.pelpack" "$out/a/labels.csv" >/dev/null
    "$pelabel" eval --json --pack "$out/calibrated.pelpack" "$out/b/labels.csv" >"$out/calibrated.json"
    python3 - "$out/base.json" "$out/calibrated.json" "$setting" <<'PY'
import json, sys
b, c = (json.load(open(p)) for p in sys.argv[1:3])
recall = c["micro"]["recall"]
curve = b["micro_curve"]
at = None
for i, p in enumerate(curve):
    if p["recall"] >= recall:
        if i == 0 or p["recall"] == recall:
            at = p["precision"]
        else:
            a = curve[i - 1]
            at = a["precision"] + (recall - a["recall"]) / (p["recall"] - a["recall"]) * (p["precision"] - a["precision"])
        break
at = "-" if at is None else f"{at:.4f}"
print(f"{sys.argv[3]:<34} {recall:>10.4f} {c['micro']['precision']:>10.4f} {at:>14} {c['expected_calibration_error']:>12.4f} {c['nothing_recognised']:>9}")
PY
done
echo "(precision of the calibrated pack vs 'global thr.': the uncalibrated pack's precision at the same recall with one threshold for all labels)"
