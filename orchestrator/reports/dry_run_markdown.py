"""``dry-run.md`` for the workgroup: a summary table per service, "Needs attention" (would fail,
unknown, failed plans, held services), then per service its Terraform resources and its tasks, each
diff in a fenced ``diff`` block. Text from the document is inline-escaped: ``|`` in table cells, and
``<`` everywhere outside code (a renderer shows it, never runs it)."""

from __future__ import annotations

import re
from typing import Any

from orchestrator.reports.dry_run_view import (
    ATTENTION_WORDS,
    KNOWN_AFTER_APPLY,
    WAVE,
    ServiceView,
    Stack,
    attention_items,
    blockers_text,
    downtime_cell,
    downtime_text,
    header,
    outcome_word,
    phases_text,
    rollback_text,
    service_views,
)


def inline(text: Any) -> str:
    """Text for a line or a table cell: one line, ``|`` escaped, no raw HTML."""
    return str(text).replace("<", "&lt;").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def code(text: Any) -> str:
    """Inline code, its backtick run longer than any inside (``|`` still escaped for a table)."""
    text = str(text).replace("\n", " ").replace("|", "\\|")
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fenced(text: str, language: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *text.rstrip("\n").splitlines(), fence]


def render_markdown(document: dict[str, Any]) -> str:
    views = service_views(document)
    lines = [*head(document), *summary(views), "", *attention(views)]
    for view in views:
        lines += ["", *service_section(view, header(document)["gate"])]
    return "\n".join(lines) + "\n"


def head(document: dict[str, Any]) -> list[str]:
    words = header(document)
    digests = document.get("digests") or {}
    lines = [f"# {inline(words['title'])}: {inline(words['status'])}", "",
             f"By {inline(words['who'])}. Digests: "
             + (", ".join(f"{inline(k)} {code(v)}" for k, v in sorted(digests.items())) or "none") + "."]
    if words["only"]:
        lines += ["", f"Rehearsed {inline(words['only'])}."]
    if words["gate"]:
        lines += ["", f"Gate: {inline(words['gate'])}"]
    return [*lines, ""]


def summary(views: list[ServiceView]) -> list[str]:
    lines = ["| service | held | changes | no change | unknown | would fail | downtime | fits |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for v in views:
        cells = [inline(v.title), inline(v.held or "no"), v.changes, v.counts["no-change"],
                 v.counts["unknown"], v.counts["fail"], inline(downtime_cell(v.detail)),
                 "-" if v.id == WAVE else v.fits]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines


def attention(views: list[ServiceView]) -> list[str]:
    items = attention_items(views)
    lines = ["## Needs attention", ""]
    if not items:
        return [*lines, "Nothing: every task was rehearsed, no task would fail, no service is held."]
    return lines + [f"- **{ATTENTION_WORDS[i.kind]}** {inline(i.label)}: {inline(i.text)}" for i in items]


def service_section(view: ServiceView, gate: str) -> list[str]:
    if view.id == WAVE:
        lines = ["## Wave-level gate", "", f"Gate: {inline(gate)}", ""]
    else:
        detail = view.detail
        lines = [f"## {inline(view.id)}", "", f"- held: {inline(view.held or 'no')}",
                 f"- downtime: {inline(downtime_text(detail))}", f"- phases: {inline(phases_text(detail))}",
                 f"- rollback points: {inline(rollback_text(detail))}",
                 f"- point of no return: {inline(detail.get('point_of_no_return') or 'none')}",
                 *(f"- blocker {inline(b)}" for b in blockers_text(detail)),
                 *(f"- check {inline(c['check'])} {inline(c['outcome'])}: {inline(c.get('summary', ''))}"
                   for c in view.checks), ""]
    for stack in view.stacks:
        lines += stack_section(stack)
    return lines + tasks_section(view.tasks)


def stack_section(stack: Stack) -> list[str]:
    title = f"### Terraform: {inline(stack.step)}"
    if stack.error:
        return [title, "", f"Could not plan: {inline(stack.error)}", ""]
    lines = [title, "", f"Plan {code(stack.plan_file or '-')} (sha256 {code(stack.sha256 or '-')}): "
             f"{len(stack.resources)} to change, {stack.unchanged} unchanged.", ""]
    for resource in stack.resources:
        lines.append(f"- **{resource.action}** {code(resource.address)}")
        lines += [f"  - {code(attribute)}: {KNOWN_AFTER_APPLY}" for attribute in resource.unknown]
    return [*lines, ""]


def tasks_section(tasks: list[dict[str, Any]]) -> list[str]:
    if not tasks:
        return ["No tasks rehearsed."]
    lines = ["### Tasks", "", "| phase | host | task | outcome | reason |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {inline(t.get('phase'))} | {inline(t.get('host'))} | {inline(t.get('task'))} | "
              f"{outcome_word(t.get('outcome', ''))} | {inline(t.get('reason') or '')} |" for t in tasks]
    for t in (t for t in tasks if t.get("diff")):
        title = f"{t.get('phase')} on {t.get('host')}: {t.get('task')}"
        lines += ["", f"#### {inline(title)}", ""]
        if t.get("paths"):
            lines += ["Paths: " + ", ".join(code(p) for p in t["paths"]), ""]
        lines += fenced(t["diff"], "diff")
    return lines
