#!/usr/bin/env bash
# Set up and run the whole test suite: linters (ruff, mypy, ansible-lint offline, playbook syntax),
# then pytest. The PostgreSQL tests need the Debian package `postgresql`, the SSH lab's tests
# `openssh-server` (.ci/run installs both). Extra arguments go to pytest (-m "not slow": the fast loop).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
. .venv/bin/activate
ruff check orchestrator tests benchmarks
mypy  # the package's types, configured in pyproject.toml
(cd playbooks && for playbook in *.yml ../orchestrator/lab/hooks/*.yml; do
   ansible-playbook --syntax-check -i localhost, "$playbook" >/dev/null
 done && ansible-lint --offline --nocolor -q . ../orchestrator/lab/hooks)
# Two workers, each test file kept on one (module fixtures, such as the crash tests' reference
# runs, are built once): the engine tests mostly wait on Ansible and leases, so this halves the time.
# The longest files go first (tests/conftest.py orders them; xdist keeps that order only without
# its own reordering by test count).
python -m pytest -n 2 --dist loadfile --no-loadscope-reorder "$@"
