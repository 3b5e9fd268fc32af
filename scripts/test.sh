#!/usr/bin/env bash
# Set up and run the whole test suite: linters (ruff, ansible-lint offline, playbook syntax),
# then pytest. The PostgreSQL tests need the Debian package `postgresql` (.ci/run installs it;
# elsewhere they are skipped if it is missing). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
. .venv/bin/activate
ruff check orchestrator tests benchmarks
(cd playbooks && for playbook in *.yml; do
   ansible-playbook --syntax-check -i localhost, "$playbook" >/dev/null
 done && ansible-lint --offline --nocolor -q .)
# Two workers, each test file kept on one (module fixtures, such as the crash tests' reference
# runs, are built once): the engine tests mostly wait on Ansible and leases, so this halves the time.
python -m pytest -n 2 --dist loadfile "$@"
