#!/usr/bin/env bash
# The text-tower comparison from one command (issue [11], item 2): the same venv as run.sh (created
# on first use), then text_compare.py with any arguments given here, e.g.
#   benchmarks/compare/run_text.sh --threads 2 --json target/compare/text.json
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${VENV:-$HOME/venv-bench}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --upgrade pip
fi
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
exec "$venv/bin/python" "$here/text_compare.py" "$@"
