#!/usr/bin/env bash
# The main job on the embedded default: validate the catalog and print the wave plan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
set -x
logius-migrate catalog validate
logius-migrate plan
