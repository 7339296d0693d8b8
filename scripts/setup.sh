#!/usr/bin/env bash
# Shared set-up (sourced): a .venv with pgai_magic and its dev extras; CPU torch unless one is present.
set -euo pipefail
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
source .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
quiet_pip() {  # pip, without the warnings about configured package folders that do not exist here
  python -m pip "$@" 2> >(grep -v "is neither a file nor a directory" >&2)
}
if ! python -c "import torch" 2>/dev/null; then
  # the CPU build first, so nothing pulls the multi-GB CUDA packages (users with GPUs keep theirs)
  quiet_pip install -q torch==2.13.0
fi
quiet_pip install -q -e ".[dev]"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
