#!/usr/bin/env bash
# The comparison from one command on a fresh machine: a venv with the pinned packages (created on
# first use; ~5 GB because PyPI's torch brings CUDA wheels; OpenVINO and NNCF included), the
# pelabel harness built by cargo, then compare.py with any arguments given here, e.g.
#   benchmarks/compare/run.sh --threads 2 --rounds 40 --gap-ms 30,0,100 --json compare.json
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${VENV:-$HOME/venv-bench}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --upgrade pip
fi
# Quick when everything is already installed at the pinned versions (an existing venv from before
# OpenVINO was added gets openvino and nncf here).
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
exec "$venv/bin/python" "$here/compare.py" "$@"
