#!/usr/bin/env bash
# Replay the whole programme on the lab, with the tool's clock set to each moment of its history:
#   2021-11  lpc-1.0 delivered, validated and rejected; its blocking issues registered; waves held
#   2022-10  lpc-1.1 delivered, validated (it fixes the blockers) and accepted; a plan from there,
#            approved; the waves that lpc-1.1 carries run, each on its first day: rehearsed (a
#            dry-run), the rehearsal approved, run, and the rehearsal measured against the run
#   2023-05  lpc-2.0 delivered, validated and accepted; a new plan from where the programme stands
#            (done services are not planned again), approved; Digipoort's rebuild through the Azure
#            test track; the plan's waves run
# No gate is overridden anywhere. It ends with every service's state and the total time.
# Usage: scripts/programme.sh            (the lab in ./.lab, rebuilt; reports in ./programme/)
#        LOGIUS_MIGRATE_LAB=DIR scripts/programme.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${PROGRAMME_NO_SETUP:-}" ] || scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
began=$(date +%s)
out=${PROGRAMME_OUT:-programme}
mkdir -p "$out"
# `lm ARGS`: logius-migrate ARGS, echoed with the clock; with $PROGRAMME_TIMES, each command's wall
# time is appended to that file (seconds, then the command), for benchmarks/programme.py.
lm() {
  echo "+ [${LOGIUS_MIGRATE_NOW:-now}] logius-migrate $*" >&2
  local t0 code=0; t0=$(date +%s.%N)
  logius-migrate "$@" || code=$?
  [ -z "${PROGRAMME_TIMES:-}" ] || echo "$(awk "BEGIN {print $(date +%s.%N) - $t0}")	$*" >> "$PROGRAMME_TIMES"
  return $code
}
at() { export LOGIUS_MIGRATE_NOW="$1"; }
# `expect CODE command...`: run it, and stop the replay unless it exits CODE.
expect() {
  local want=$1 got=0; shift
  "$@" || got=$?
  if [ "$got" != "$want" ]; then echo "programme: '$*' exited $got, not $want" >&2; exit 1; fi
}
waves_of() {  # the numbers and first days of the waves of plan $1 that hold services
  logius-migrate plan show "$1" --format json | python3 -c '
import json, sys
for w in json.load(sys.stdin)["waves"]:
    if w["services"]:
        print(w["number"], w["start"])'
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
run_waves() {  # every wave of plan $1 whose first day is before $2 (or all), each on its first day:
  # rehearsed by the workgroup (a dry-run, its reports in $out/dry-run-PLAN-WAVE), the rehearsal approved by
  # the change board, the wave run (it applies what was rehearsed), the rehearsal measured against it
  local plan=$1 until=${2:-9999-12-31} number start rehearsal run
  while read -r number start; do
    [[ "$start" < "$until" ]] || continue
    at "${start}T09:00"
    lm lab backup                     # the legacy platform's nightly backup job, that morning
    rehearsal=$(lm wave dry-run "$number" --plan "$plan" --by ann --format json \
                  --out "$out/dry-run-$plan-$number" | field id)
    lm wave dry-run approve "$rehearsal" --by bob --reason "wave $number rehearsed"
    run=$(lm wave run "$number" --plan "$plan" --approve --by ann --format json | field run)
    lm wave dry-run compare "$rehearsal" "$run"
  done < <(waves_of "$plan")
}

at 2021-11-01T09:00
lm lab down >/dev/null
lm lab up
expect 1 lm release validate seeds/releases/lpc-1.0.yaml --out "$out/lpc-1.0" --by ann
lm release reject lpc-1.0 --by bob --reason "REL checks failed; migrations paused"
lm blocker add --scope platform --severity blocking --owner supplier \
  --title "persistent volumes detach from pods under sustained write load (LPC-KI-1)"
lm blocker add --scope platform --severity blocking --owner supplier \
  --title "network policies are not enforced between namespaces (LPC-KI-2)"

at 2022-01-10T09:00
lm plan save --by ann
lm plan approve 1 --by bob --reason "programme plan on lpc-1.0"
expect 1 lm check --wave 1 --plan 1 >/dev/null   # held: no accepted release, two blockers in force
echo "programme: wave 1 held on lpc-1.0, as it must be" >&2

# `release_arrives RELEASE DELIVERED ACCEPTED PLAN REASON`: the supplier delivers RELEASE on the
# day DELIVERED, it is validated, accepted on ACCEPTED, and plan PLAN is saved from there, approved.
release_arrives() {
  at "$2T09:00"
  lm lab deliver "$1"
  lm release validate "seeds/releases/$1.yaml" --out "$out/$1" --by ann
  at "$3T08:00"
  lm release accept "$1" --by bob --reason "validation passed"
  lm plan save --by ann
  lm plan approve "$4" --by bob --reason "$5"
}

release_arrives lpc-1.1 2022-10-01 2022-10-03 2 "migrations resume on lpc-1.1"
run_waves 2 2023-05-01
release_arrives lpc-2.0 2023-05-01 2023-06-05 3 "the remaining services on lpc-2.0"
# Digipoort's rebuild goes through the Azure test track first ("the Azure test and development
# environment has been taken into use", 2023): provisioned under the Rijkscloud conditions, deployed,
# tested, reported, destroyed. PRE-AZT-001 holds its LPC wave until then.
at 2023-06-12T09:00
lm track azure-test run digipoort --by ann
run_waves 3

unset LOGIUS_MIGRATE_NOW
# Every decision above was signed by the lab's two people (ann makes, bob approves: the four-eyes
# rule on verified principals); the auditor's check: the chain intact, every signature verified.
logius-migrate journal verify >&2
logius-migrate journal show --format json | python3 -c '
import collections, json, sys
states = {sid: s["state"] for sid, s in json.load(sys.stdin)["service_states"].items()}
counts = collections.Counter(states.values())
print("programme: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
      + f" ({len(states)} services)")'
echo "programme: done in $(( $(date +%s) - began )) s" >&2
