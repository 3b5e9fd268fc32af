#!/usr/bin/env bash
# Set up and run the whole test suite (and the linter). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
. .venv/bin/activate
ruff check orchestrator tests benchmarks
python -m pytest "$@"
