#!/usr/bin/env bash
# Compile at scale (issue [11], item 3): `pelabel compile` of coco-80, imagenet-1k (80 templates) and
# a generated 100 000-label set on a T16-size text tower (random weights at the real dims), cold
# (empty cache) and cached, at f32 and int8, with wall time and peak memory (/usr/bin/time -v).
#
#   benchmarks/compile_scale.sh [OUT_DIR]        # default target/compile-scale; prints a table
#
# Needs a release build of the CLI and text_bench (built here).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/compile-scale}"
mkdir -p "$out"
cd "$root"
cargo build --release --locked -p pelabel-cli >&2
cargo build --release --locked -p pelabel --features testing --example text_bench >&2
model="$out/T16-384"
[ -f "$model/model.safetensors" ] || target/release/examples/text_bench checkpoint --dir "$model" --preset PE-Core-T16-384 >&2
python3 label-sets/tools/gen_synthetic.py 100000 "$out/synthetic-100k.toml" >&2
printf '| label set | labels | prompts | text tower | cache | seconds | prompts/s | peak RSS MiB |\n|---|---:|---:|---|---|---:|---:|---:|\n'
for set in label-sets/coco-80.toml label-sets/imagenet-1k.toml "$out/synthetic-100k.toml"; do
    name=$(basename "$set" .toml)
    for prec in int8 f32; do
        cache="$out/cache-$name-$prec.redb"
        rm -f "$cache"
        for state in cold cached; do
            log="$out/$name-$prec-$state"
            /usr/bin/time -v target/release/pelabel compile "$set" --model "$model" --text-precision "$prec" \
                --cache "$cache" -o "$out/$name-$prec.pelpack" --json >"$log.json" 2>"$log.time"
            python3 - "$log.json" "$log.time" "$name" "$prec" "$state" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
r = j["report"]; secs = j["seconds"]
rate = r["embedded"] / secs if r["embedded"] else 0
print(f"| {sys.argv[3]} | {r['labels']} | {r['unique_prompts']} | {sys.argv[4]} | {sys.argv[5]} | {secs:.1f} | {rate:.0f} | {rss:.0f} |")
PY
        done
    done
done
