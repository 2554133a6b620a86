#!/usr/bin/env bash
# Set up and serve the built-in corpus at http://127.0.0.1:8000 (builds the index on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e .
exec .venv/bin/policy-search serve "$@"
