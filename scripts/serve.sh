#!/usr/bin/env bash
# Set up and serve the built-in corpus at http://127.0.0.1:8000 (builds the index on first run).
# The package is installed once per version of pyproject.toml, not on every start.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ] || [ ! -x .venv/bin/policy-search ]; then
  .venv/bin/pip install -q -e .
  .venv/bin/pip install -q --no-deps rapidocr-onnxruntime==1.4.4  # OCR; its opencv-python would need libGL
  rm -f .venv/.installed-*
  touch "$stamp"
fi
exec .venv/bin/policy-search serve "$@"
