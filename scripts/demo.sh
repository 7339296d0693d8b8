#!/usr/bin/env bash
# The main job on a fresh machine: set up, then run every tutorial on the embedded PostgreSQL and
# write the rendered notebooks (HTML) to demo_output/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
python scripts/run_tutorials.py --out demo_output "$@"
