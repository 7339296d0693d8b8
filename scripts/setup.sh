#!/usr/bin/env bash
# Shared set-up (sourced): a .venv with pgai_magic and its dev extras; CPU torch unless one is present.
set -euo pipefail
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
source .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! python -c "import torch" 2>/dev/null; then
  # the CPU build first, so nothing pulls the multi-GB CUDA packages (users with GPUs keep theirs)
  pip install -q torch==2.13.0
fi
pip install -q -e ".[dev]"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
