#!/usr/bin/env bash
# The main job on the embedded default: build the local lab afresh (SQLite journal, real Ansible
# on local hosts, real Terraform with a local provider mirror, its Kubernetes API stand-in), with
# the release the supplier has delivered by today; validate that release and accept it; plan,
# save and approve the plan; check wave 1's preconditions, rehearse wave 1 (a dry-run that changes
# nothing) and have the rehearsal approved, run wave 1 (it applies what was rehearsed), measure the
# rehearsal against the run, show its status, and verify the journal (the chain, every signature:
# the lab signs with the keys of its two example people, ann and bob).
# (scripts/programme.sh replays the whole programme, every wave, from the first delivery.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
set -x
logius-migrate lab down
logius-migrate lab up
logius-migrate catalog validate
logius-migrate release validate seeds/releases/lpc-2.0.yaml --out release-lpc-2.0
logius-migrate release accept lpc-2.0 --by bob --reason "demo: the delivered release passed"
logius-migrate plan
logius-migrate plan save --by ann
logius-migrate plan approve 1 --by bob --reason "demo: wave 1 of the shipped catalog"
logius-migrate check --wave 1
logius-migrate wave dry-run 1 --by ann --out dry-run-1
logius-migrate wave dry-run approve 1 --by bob --reason "demo: the rehearsal of wave 1"
logius-migrate wave run 1 --approve --by ann
logius-migrate wave dry-run compare 1 wave-1
logius-migrate wave status 1
logius-migrate journal verify
