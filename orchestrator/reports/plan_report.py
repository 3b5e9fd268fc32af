"""The wave plan as one JSON-ready document, and that document as Markdown or a terminal table."""

from __future__ import annotations

from typing import Any

from orchestrator.catalog.loader import Catalog
from orchestrator.planning.explain import explain_all
from orchestrator.planning.waves import Plan


def plan_document(catalog: Catalog, plan: Plan) -> dict[str, Any]:
    """Everything a reader needs: options, waves with each placement's reasons, end date, cost."""
    explanations = explain_all(catalog, plan)
    names = {s.id: s.name for s in catalog.services}
    cost = plan.cost
    return {
        "options": {
            "start": plan.options.start.isoformat(),
            "wave_length_days": plan.options.wave_length_days,
            "capacity": plan.options.capacity,
            "pilot_waves": plan.pilot_waves,
            "deadline": plan.options.deadline.isoformat() if plan.options.deadline else None,
        },
        "waves": [
            {
                "number": wave.number,
                "start": wave.start.isoformat(),
                "end": wave.end.isoformat(),
                "services": [
                    {"id": p.service_id, "name": names[p.service_id], "action": p.action,
                     "reasons": explanations[p.service_id].lines()}
                    for p in wave.placements
                ],
            }
            for wave in plan.waves
        ],
        "end_date": plan.end_date.isoformat() if plan.end_date else None,
        "cost_of_delay": None if cost is None else {
            "legacy_contract_end": cost.contract_end.isoformat(),
            "months_past_contract_end": cost.months_past_contract_end,
            "monthly_meur": round(cost.monthly_meur, 4),
            "extra_exposure_meur": round(cost.extra_exposure_meur, 2),
            "total_exposure_meur": round(cost.total_exposure_meur, 2),
        },
    }


def summary_line(document: dict[str, Any]) -> str:
    """One sentence: waves used, end date, and what running past the contract end costs."""
    used = [w for w in document["waves"] if w["services"]]
    text = (f"{sum(len(w['services']) for w in used)} services in {len(used)} waves "
            f"(of {len(document['waves'])} on the grid); plan ends {document['end_date']}")
    cost = document["cost_of_delay"]
    if cost is None:
        return text + "; no cost model or contract end in the catalog, so no cost of delay."
    if cost["months_past_contract_end"] <= 0:
        return text + (f", within the legacy contract end {cost['legacy_contract_end']}: no extra "
                       f"exposure (exposure stays {cost['total_exposure_meur']} M EUR).")
    return text + (f", {cost['months_past_contract_end']} months past the legacy contract end "
                   f"{cost['legacy_contract_end']}: +{cost['extra_exposure_meur']} M EUR unlawful-extension "
                   f"exposure at {cost['monthly_meur']:.2f} M EUR/month (total "
                   f"{cost['total_exposure_meur']} M EUR).")


def render_markdown(document: dict[str, Any]) -> str:
    from orchestrator.reports.templates import render

    return render("plan.md.j2", plan=document, summary=summary_line(document))


def render_table(document: dict[str, Any], console: Any) -> None:
    """Print the plan on a rich console: one row per wave, empty stretches folded into one row."""
    from rich.table import Table

    table = Table(title="Wave plan", title_justify="left")
    table.add_column("wave", justify="right")
    table.add_column("dates")
    table.add_column("services (action)")
    empty_from = None
    waves = document["waves"]
    for position, wave in enumerate(waves):
        if not wave["services"]:
            empty_from = empty_from or wave
            nxt = waves[position + 1] if position + 1 < len(waves) else None
            if nxt is None or nxt["services"]:
                label = (str(wave["number"]) if empty_from is wave
                         else f"{empty_from['number']}-{wave['number']}")
                table.add_row(label, f"{empty_from['start']} .. {wave['end']}",
                              "[dim]nothing ready to move[/dim]")
                empty_from = None
            continue
        items = ", ".join(f"{s['id']} ({s['action']})" for s in wave["services"])
        table.add_row(str(wave["number"]), f"{wave['start']} .. {wave['end']}", items)
    console.print(table)
    console.print(summary_line(document))
