#!/usr/bin/env bash
# The main job on the embedded default: build the local lab afresh (SQLite journal, real Ansible
# on local hosts, real Terraform with a local provider mirror), plan, save and approve the plan,
# check wave 1's preconditions, run wave 1, show its status.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
set -x
logius-migrate lab down
logius-migrate lab up
logius-migrate catalog validate
logius-migrate plan
logius-migrate plan save --by planner
logius-migrate plan approve 1 --by reviewer --reason "demo: wave 1 of the shipped catalog"
logius-migrate check --wave 1
logius-migrate wave run 1 --approve
logius-migrate wave status 1
