#!/usr/bin/env bash
# Run the pgai_magic test suite on a fresh machine: venv, installs, lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
echo "== ruff"; ruff check pgai_magic tests bench; ruff format --check pgai_magic tests bench
echo "== mypy"; mypy
echo "== pytest"
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$rc"
