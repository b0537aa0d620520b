#!/usr/bin/env bash
# Create .venv in the repository root and install vaesa with its test extras.
# torch is installed first and pinned to its CPU wheel, because an unpinned
# torch requirement makes pip pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==${TORCH_VERSION}"
.venv/bin/python -m pip install --quiet -e ".[test]"
echo "vaesa installed in $(pwd)/.venv"
