#!/usr/bin/env bash
# Set up and run the tests (lint included). torch goes in first, as the local CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e ".[test]"
# the OCR engine without its opencv-python requirement (which needs libGL): pyproject.toml lists the rest,
# with opencv-python-headless
.venv/bin/pip install -q --no-deps rapidocr-onnxruntime==1.4.4
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
