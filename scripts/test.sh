#!/usr/bin/env bash
# Run the pgai_magic test suite on a fresh machine: venv, installs, lint, types, tests.
#   bash scripts/test.sh               everything (what CI runs)
#   bash scripts/test.sh --fast ARGS   the quick loop: tests marked `slow` (over ~5 s each) left out
# Other arguments go to pytest as they are (e.g. a folder: bash scripts/test.sh --fast tests/sql).
set -euo pipefail
marks=()
if [ "${1:-}" = "--fast" ]; then
  shift
  marks=(-m "not slow")
fi
cd "$(dirname "$0")/.."
source scripts/setup.sh
echo "== ruff"; ruff check pgai_magic tests bench; ruff format --check pgai_magic tests bench
echo "== mypy"; mypy
echo "== pytest"
set +e
python -m pytest "${marks[@]}" "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$rc"
