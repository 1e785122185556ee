#!/usr/bin/env bash
# Turn train.py's output into the bundled demo model and everything derived from it:
#   models/demo/pe-core-demo/        f16 halves written by `pelabel split` (+ config.json, tokenizer.json)
#   models/demo/demo-shapes.pelpack  label-sets/demo-shapes.toml compiled for it
#   tests/fixtures/demo/             PyTorch's embeddings and predictions on the test set (for tests/demo_model.rs)
# Usage: models/demo/bundle.sh TRAIN_OUT [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/../.."
train_out=${1:?usage: models/demo/bundle.sh TRAIN_OUT [PYTHON]}
py=${2:-/root/venv-pefix/bin/python}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

"$py" models/demo/export.py "$train_out" "$stage"
rm -rf models/demo/pe-core-demo
cargo run -q -p pelabel-cli -- split "$stage" --out models/demo/pe-core-demo --dtype f16
cp "$train_out/train_log.json" models/demo/train_log.json
"$py" models/demo/evaluate.py models/demo/pe-core-demo models/demo/testset \
    --predictions tests/fixtures/demo/pytorch_predictions.json --fixture tests/fixtures/demo
cargo run -q -p pelabel-cli -- compile label-sets/demo-shapes.toml --model models/demo/pe-core-demo \
    -o models/demo/demo-shapes.pelpack --no-cache
