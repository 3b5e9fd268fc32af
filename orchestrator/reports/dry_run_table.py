"""The dry run as a terminal shows it after ``wave dry-run N``: a head, then one block per service,
what needs attention (would fail, unknown) first in each, lines kept within 100 columns."""

from __future__ import annotations

import textwrap
from typing import Any

from orchestrator.reports.dry_run_view import (
    KNOWN_AFTER_APPLY,
    WAVE,
    ServiceView,
    Stack,
    attention_items,
    blockers_text,
    counts_text,
    downtime_text,
    header,
    outcome_word,
    phases_text,
    rollback_text,
    service_views,
    task_text,
)

WIDTH = 100


def wrapped(text: str, indent: str = "", hanging: str = "    ") -> list[str]:
    """``text`` in lines of at most WIDTH columns (a longer word stays whole), later lines indented more."""
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + hanging,
                         break_long_words=False, break_on_hyphens=False) or [indent]


def render_table(document: dict[str, Any]) -> str:
    views = service_views(document)
    blocks = (line for view in views for line in ["", *block(view)])
    return "\n".join([*head_lines(document, views), *blocks]) + "\n"


def head_lines(document: dict[str, Any], views: list[ServiceView]) -> list[str]:
    head = header(document)
    items = attention_items(views)
    kinds = [(sum(i.kind == k for i in items), word) for k, word in
             (("would-fail", "would fail"), ("unknown", "unknown"), ("plan-failed", "failed to plan"),
              ("held", "held"))]
    needs = ", ".join(f"{n} {word}" for n, word in kinds if n) or "nothing"
    lines = [*wrapped(f"{head['title']}: {head['status']}"),
             *wrapped(f"by {head['who']}" + (f"; {head['only']}" if head["only"] else "")),
             *wrapped(f"digests: {head['digests']}"),
             *wrapped(f"needs attention: {needs}")]
    return lines + (wrapped(f"gate: {head['gate']}") if head["gate"] else [])


def block(view: ServiceView) -> list[str]:
    """One service: held or not, the tasks needing attention, checks, Terraform, counts, downtime."""
    lines = wrapped(f"== {view.title}: " + (f"HELD: {view.held}" if view.held else "not held"))
    for task in view.attention:
        lines += wrapped(f"{outcome_word(task['outcome']):<10}  {task_text(task)}", "  ", " " * 12)
    for check in view.checks:
        lines += wrapped(f"check {check['check']} {check['outcome']}: {check.get('summary', '')}", "  ")
    for stack in view.stacks:
        lines += stack_lines(stack)
    lines += wrapped(f"tasks: {counts_text(view.counts)}", "  ")
    if view.id == WAVE:
        return lines
    detail = view.detail
    lines += [*wrapped(f"downtime: {downtime_text(detail)}", "  "),
              *wrapped(f"phases: {phases_text(detail)}", "  "),
              *wrapped(f"rollback points: {rollback_text(detail)}", "  "),
              *wrapped(f"point of no return: {detail.get('point_of_no_return') or 'none'}", "  ")]
    for blocker in blockers_text(detail):
        lines += wrapped(f"blocker {blocker}", "  ")
    return lines


def stack_lines(stack: Stack) -> list[str]:
    if stack.error:
        return wrapped(f"terraform {stack.step}: COULD NOT PLAN: {stack.error}", "  ")
    lines = wrapped(f"terraform {stack.step}: {len(stack.resources)} to change, {stack.unchanged} unchanged"
                    + (f" (plan {stack.plan_file})" if stack.plan_file else ""), "  ")
    for resource in stack.resources:
        lines += wrapped(f"{resource.symbol:>3} {resource.action:<8} {resource.address}", "    ")
        lines += [f"{' ' * 18}{attribute}: {KNOWN_AFTER_APPLY}" for attribute in resource.unknown]
    return lines
