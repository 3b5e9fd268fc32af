"""The dry-run document read for its reports: the words, the order and the per-service view that
the terminal table, ``dry-run.md`` and ``dry-run.html`` share (the document is /tmp/dryrun-spec.md's
"dry-run document", a JSON-able dict).

Unknown and would-fail tasks come first (would fail, then unknown); an attribute Terraform knows
only after apply is shown as "known after apply"; ["delete", "create"] (either order) is "replace".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: the outcome of a task as the reports say it
OUTCOME_WORDS = {"change": "would change", "no-change": "no change", "unknown": "unknown",
                 "fail": "would fail"}
#: the outcomes that need a reader's attention, in the order they are shown
ATTENTION = ("fail", "unknown")
#: the kinds of things needing attention (each is a CSS class too) as the reports say them
ATTENTION_WORDS = {"would-fail": "would fail", "unknown": "unknown", "plan-failed": "could not plan",
                   "held": "held"}
#: Terraform's symbols for an action, as its plan prints them
SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<="}
KNOWN_AFTER_APPLY = "known after apply"
#: the service of the wave-level gate's tasks
WAVE = "_wave"
DIGEST_SHOWN = 12


def action_word(actions: list[str]) -> str:
    """One word for Terraform's action list: "replace" for a delete and a create, "no-op" for none."""
    kinds = [a for a in actions if a != "no-op"]
    if sorted(kinds) == ["create", "delete"]:
        return "replace"
    return "+".join(kinds) or "no-op"


def outcome_word(outcome: str) -> str:
    return OUTCOME_WORDS.get(outcome, outcome)


def needing_attention(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The would-fail tasks, then the unknown ones, each in the document's order."""
    return [t for outcome in ATTENTION for t in tasks if t.get("outcome") == outcome]


def short(digest: str | None) -> str:
    return (digest or "-")[:DIGEST_SHOWN]


def minutes(value: float | None) -> str:
    return "?" if value is None else f"{value:g} min"


@dataclass(frozen=True)
class Resource:
    address: str
    action: str
    symbol: str
    unknown: list[str]


@dataclass(frozen=True)
class Stack:
    step: str
    plan_file: str | None
    sha256: str | None
    error: str | None
    resources: list[Resource]
    unchanged: int


@dataclass(frozen=True)
class ServiceView:
    """One service (or the wave-level gate, ``WAVE``) as every report shows it."""

    id: str
    held: str | None
    stacks: list[Stack]
    tasks: list[dict[str, Any]]
    attention: list[dict[str, Any]]
    counts: dict[str, int]
    checks: list[dict[str, Any]]
    detail: dict[str, Any]

    @property
    def title(self) -> str:
        return "wave-level gate" if self.id == WAVE else self.id

    @property
    def changes(self) -> int:
        """Tasks that would change plus Terraform resources that would change."""
        return self.counts["change"] + sum(len(s.resources) for s in self.stacks)

    @property
    def fits(self) -> str:
        fits = (self.detail.get("downtime") or {}).get("fits")
        return "?" if fits is None else ("yes" if fits else "no")


def stack_view(stack: dict[str, Any]) -> Stack:
    every = [(r, action_word(r.get("actions") or [])) for r in stack.get("resources") or []]
    resources = [Resource(r["address"], action, SYMBOLS.get(action, "?"), list(r.get("unknown") or []))
                 for r, action in every if action != "no-op"]
    return Stack(stack.get("step", ""), stack.get("plan_file"), stack.get("sha256"), stack.get("error"),
                 resources, len(every) - len(resources))


def service_ids(document: dict[str, Any]) -> list[str]:
    """The wave's services in the document's order, any other service a stack or task names, and
    the wave-level gate last when it has tasks."""
    ids = list(document.get("services") or [])
    for item in [*(document.get("stacks") or []), *(document.get("tasks") or [])]:
        if item.get("service") not in ids and item.get("service") != WAVE:
            ids.append(item["service"])
    if any(t.get("service") == WAVE for t in document.get("tasks") or []):
        ids.append(WAVE)
    return ids


def service_views(document: dict[str, Any]) -> list[ServiceView]:
    details = {d["service"]: d for d in document.get("services_detail") or []}
    held = document.get("held") or {}
    views = []
    for sid in service_ids(document):
        tasks = [t for t in document.get("tasks") or [] if t.get("service") == sid]
        detail = details.get(sid, {})
        views.append(ServiceView(
            id=sid, held=held.get(sid) or detail.get("held"),
            stacks=[stack_view(s) for s in document.get("stacks") or [] if s.get("service") == sid],
            tasks=tasks, attention=needing_attention(tasks),
            counts={o: sum(t.get("outcome") == o for t in tasks) for o in OUTCOME_WORDS},
            checks=[c for c in document.get("checks") or []
                    if c.get("service") == sid and c.get("outcome") != "PASS"],
            detail=detail))
    return views


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {OUTCOME_WORDS[o]}" for o, n in counts.items())


def downtime_text(detail: dict[str, Any]) -> str:
    """"15 min expected (size S), 432 min left in the window: fits"."""
    downtime = detail.get("downtime")
    if not downtime:
        return "not estimated"
    fits = downtime.get("fits")
    verdict = "fits" if fits else ("unknown whether it fits" if fits is None else "does NOT fit")
    basis = f" ({downtime['basis']})" if downtime.get("basis") else ""
    return (f"{minutes(downtime.get('expected_minutes'))} expected{basis}, "
            f"{minutes(downtime.get('left_minutes'))} left in the window: {verdict}")


def downtime_cell(detail: dict[str, Any]) -> str:
    """"15 min of 432 min left" for a summary table."""
    downtime = detail.get("downtime")
    if not downtime:
        return "-"
    return f"{minutes(downtime.get('expected_minutes'))} of {minutes(downtime.get('left_minutes'))} left"


def phases_text(detail: dict[str, Any]) -> str:
    return ", ".join(f"{p['phase']} " + ("unknown" if p.get("seconds") is None else f"{p['seconds']:g} s")
                     + (f" ({p['basis']})" if p.get("basis") and p.get("seconds") is not None else "")
                     for p in detail.get("phases") or []) or "-"


def rollback_text(detail: dict[str, Any]) -> str:
    return ", ".join(f"{p['phase']} ({p['kind']})" for p in detail.get("rollback_points") or []) or "none"


def blockers_text(detail: dict[str, Any]) -> list[str]:
    return [f"{b['id']} ({b.get('severity', '?')}): {b.get('title', '')}"
            + (f"; waived: {b['waiver']}" if b.get("waiver") else "")
            for b in detail.get("blockers") or []]


def header(document: dict[str, Any]) -> dict[str, str]:
    """The document's head as words: title, who and when, the digests shortened."""
    digests = document.get("digests") or {}
    only = document.get("only")
    title = (f"Dry run {document.get('id', '?')}: wave {document.get('wave')} of plan {document.get('plan')}"
             f" on site {document.get('site')}")
    return {"title": title, "status": str(document.get("status")),
            "who": f"{document.get('by')} at {document.get('at')}",
            "digests": ", ".join(f"{k} {short(v)}" for k, v in sorted(digests.items())) or "-",
            "only": "" if only is None else f"only {only if isinstance(only, str) else ', '.join(only)}",
            "gate": str((document.get("gate") or {}).get("question") or "")}


@dataclass(frozen=True)
class Attention:
    """One thing a reader must look at before approving: ``kind`` is its CSS class too."""

    kind: str  # would-fail, unknown, plan-failed, held
    service: str
    label: str  # the service's title
    task: dict[str, Any] | None
    text: str


def attention_items(views: list[ServiceView]) -> list[Attention]:
    """Every would-fail task, then every unknown one (both across the wave, in the document's order),
    then the stacks that failed to plan and the services held."""
    tasks = [(v, t) for v in views for t in v.tasks]
    items = [Attention("would-fail" if outcome == "fail" else "unknown", v.id, v.title, t, task_text(t))
             for outcome in ATTENTION for v, t in tasks if t.get("outcome") == outcome]
    items += [Attention("plan-failed", v.id, v.title, None, f"Terraform could not plan {s.step}: {s.error}")
              for v in views for s in v.stacks if s.error]
    items += [Attention("held", v.id, v.title, None, v.held) for v in views if v.held]
    return items


def task_text(task: dict[str, Any]) -> str:
    """"prepare-target on cpa-lpc-1: Create the application directories: <reason>"."""
    reason = task.get("reason") or ""
    where = f"{task.get('phase')} on {task.get('host')}: {task.get('task')}"
    return f"{where}: {reason}" if reason else where
