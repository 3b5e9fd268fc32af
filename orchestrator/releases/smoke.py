"""REL-ANS-*: the smoke playbook (``playbooks/smoke.yml``) on the LPC hosts of the site's inventory.

Each verdict task of the playbook is named after its check; its outcome on each host is read from
ansible-runner's events. A check FAILs when it failed on any host, is INCONCLUSIVE when some host
could not be asked (unreachable before it, or no LPC hosts at all), and PASSes otherwise, with
every host's answer as evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.checks import Outcome, Result, maker

if TYPE_CHECKING:
    from orchestrator.sites import Site

CHECKS: list[tuple[str, str]] = [
    ("REL-ANS-001", "every LPC host answers Ansible"),
    ("REL-ANS-002", "every LPC host runs the release"),
    ("REL-ANS-003", "every LPC host has the free disk space the policy asks"),
]
TIMEOUT_SECONDS = 300


def run(ctx: Any) -> list[Result]:
    site = ctx.site
    if site is None:
        return _all_inconclusive(ctx, "not checked: no site was given", "validate with --site SITE")
    hosts, why = lpc_hosts(site)
    if not hosts:
        return _all_inconclusive(ctx, f"not checked: {why}",
                                 "list the LPC hosts in group lpc of the inventory")
    from orchestrator.errors import LogiusMigrateError
    from orchestrator.steps import ansible

    answers: dict[tuple[str, str], tuple[str, str]] = {}
    variables = {"smoke_release_id": ctx.manifest.id, "smoke_min_free_mb": ctx.policy.min_free_disk_mb}
    try:
        result = ansible.run_playbook(
            ansible.PlaybookRequest("smoke.yml", site.inventory, tuple(hosts), variables,
                                    timeout=TIMEOUT_SECONDS),
            on_event=lambda event: _record(event, answers))
    except LogiusMigrateError as exc:
        return _all_inconclusive(ctx, f"not checked: {exc}", "run the smoke playbook again")
    stopped = dict(result.failed_hosts)
    return [_verdict(ctx, check_id, title, hosts, answers, stopped) for check_id, title in CHECKS]


def lpc_hosts(site: Site) -> tuple[list[str], str]:
    """The hosts of group ``lpc`` of the site's inventory, or none and why."""
    import yaml

    from orchestrator.steps import ansible

    try:
        inventory = ansible.load_inventory(site.inventory)
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        return [], f"the inventory {site.inventory} cannot be read ({type(exc).__name__})"
    hosts = sorted(h for h, v in inventory.items() if v.get("group") == "lpc")
    return hosts, "" if hosts else f"no host in group lpc of {site.inventory}"


def _record(event: dict[str, Any], answers: dict[tuple[str, str], tuple[str, str]]) -> None:
    """Keep each verdict task's outcome and message per host; an unreachable host, per check."""
    data = event.get("event_data") or {}
    kind, host, task = event.get("event", ""), data.get("host"), str(data.get("task") or "")
    result = data.get("res") or {}
    message = str(result.get("msg") or "").splitlines()[0][:300] if result.get("msg") else ""
    if not host:
        return
    if kind == "runner_on_unreachable":
        answers[("REL-ANS-001", host)] = ("unreachable", message or "unreachable")
    elif task.startswith("REL-ANS-") and kind in ("runner_on_ok", "runner_on_failed"):
        ok = kind == "runner_on_ok"
        answers[(task.split()[0], host)] = ("ok" if ok else "failed", message or ("pong" if ok else "failed"))


def _verdict(ctx: Any, check_id: str, title: str, hosts: list[str],
             answers: dict[tuple[str, str], tuple[str, str]], stopped: dict[str, str]) -> Result:
    make = maker(check_id, title, ctx.manifest)
    states = {h: answers.get((check_id, h), ("not asked", stopped.get(h, "the play stopped first")))
              for h in hosts}
    answer = "; ".join(f"{h}: {message}" for h, (_, message) in sorted(states.items()))
    asked = f"playbooks/smoke.yml on {len(hosts)} LPC host(s)"
    bad = sorted(h for h, (state, _) in states.items() if state in ("failed", "unreachable"))
    unasked = sorted(h for h, (state, _) in states.items() if state == "not asked")
    if bad:
        return make(Outcome.FAIL, _grouped({h: states[h][1] for h in bad}), asked, answer, _REMEDY[check_id])
    if unasked:
        why = _grouped({h: states[h][1] for h in unasked})
        return make(Outcome.INCONCLUSIVE, f"not asked on every host: {why}", asked, answer,
                    "reach every LPC host")
    passed = _PASSED[check_id].format(n=len(hosts), release=ctx.manifest.id, mb=ctx.policy.min_free_disk_mb)
    return make(Outcome.PASS, passed, asked, answer)


def _grouped(messages: dict[str, str], names: int = 3) -> str:
    """Hosts with the same message together: "MESSAGE: host-a, host-b and 7 more; MESSAGE2: ..."."""
    by_message: dict[str, list[str]] = {}
    for host, message in sorted(messages.items()):
        by_message.setdefault(message, []).append(host)
    parts = []
    for message, hosts in by_message.items():
        shown = ", ".join(hosts[:names]) + (f" and {len(hosts) - names} more" if len(hosts) > names else "")
        parts.append(f"{message}: {shown}")
    return "; ".join(parts)


_PASSED = {"REL-ANS-001": "all {n} LPC host(s) answer", "REL-ANS-002": "all {n} LPC host(s) run {release}",
           "REL-ANS-003": "all {n} LPC host(s) have {mb} MB free or more"}

_REMEDY = {"REL-ANS-001": "make every LPC host reachable for Ansible",
           "REL-ANS-002": "install the release on every LPC host (its /etc/lpc-release names it)",
           "REL-ANS-003": "free disk space on the hosts named"}


def _all_inconclusive(ctx: Any, summary: str, remedy: str) -> list[Result]:
    return [maker(check_id, title, ctx.manifest)(Outcome.INCONCLUSIVE, summary, remedy=remedy)
            for check_id, title in CHECKS]
