"""The wave plan for readers: streamed JSON, streamed Markdown, or a terminal table.

Reasons (the explanation of each placement) are computed only by the formats that show them,
service by service as the output is written, so a 100,000-service plan never sits in memory
as one document and the table costs no explanation at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from orchestrator.catalog.loader import Catalog
from orchestrator.planning.plan import TrackStage
from orchestrator.planning.waves import PRIORITIES, Plan


def plan_header(catalog: Catalog, plan: Plan) -> dict[str, Any]:
    """Everything about the plan except its waves: options, platforms, priority, end, the gaps
    in which nothing moves, the services already done, the test tracks before their waves, cost."""
    organisation = catalog.organisation
    cost = plan.cost
    return {
        "organisation": organisation.name,
        "legacy_platform": organisation.legacy_platform,
        "target_platform": organisation.target_platform,
        "options": {
            "start": plan.options.start.isoformat(),
            "wave_length_days": plan.options.wave_length_days,
            "capacity": plan.options.capacity,
            "pilot_waves": plan.pilot_waves,
            "deadline": plan.options.deadline.isoformat() if plan.options.deadline else None,
        },
        "priority": plan.priority,
        "cost_label": catalog.cost_label,
        "services": len(plan.wave_of),
        "waves_used": len(plan.waves),
        "end_date": plan.end_date.isoformat() if plan.end_date else None,
        "gaps": [{"start": g.start.isoformat(), "end": g.end.isoformat(), "before_wave": g.before,
                  "reason": g.reason} for g in plan.gaps],
        "done": [d._asdict() for d in plan.done],
        "test_tracks": [stage_row(s) for s in plan.stages],
        "cost_of_delay": None if cost is None else {
            "label": catalog.cost_label,
            "legacy_contract_end": cost.contract_end.isoformat(),
            "months_past_contract_end": cost.months_past_contract_end,
            "monthly_meur": round(cost.monthly_meur, 4),
            "extra_exposure_meur": round(cost.extra_exposure_meur, 2),
            "total_exposure_meur": round(cost.total_exposure_meur, 2),
        },
    }


def stage_row(stage: TrackStage) -> dict[str, Any]:
    """A test track's stage for JSON: service, track, build, the wave it comes before, standing."""
    return {"service": stage.service_id, "track": stage.track, "build": stage.build,
            "before_wave": stage.before_wave, "stage": stage.label, "standing": stage.standing}


def wave_rows(catalog: Catalog, plan: Plan) -> list[dict[str, Any]]:
    """Each wave with its services (id, name, action), without reasons."""
    services, index = catalog.services, catalog.index
    return [{"number": wave.number, "start": wave.start.isoformat(), "end": wave.end.isoformat(),
             "services": [{"id": p.service_id, "name": services[index[p.service_id]].name,
                           "action": p.action} for p in wave.placements]}
            for wave in plan.waves]


def reasons_for(catalog: Catalog, plan: Plan) -> Callable[[str], list[str]]:
    from orchestrator.planning.explain import Explainer

    explainer = Explainer(catalog, plan)
    return lambda service_id: explainer.explain(service_id).lines()


def write_json(catalog: Catalog, plan: Plan, out: IO[str]) -> None:
    """The plan as one JSON document, written as it is made: the header first, then one line
    per wave and per service (with its reasons)."""
    header = plan_header(catalog, plan)
    reasons = reasons_for(catalog, plan)
    dumps = json.dumps
    out.write("{\n")
    for key, value in header.items():
        out.write(f" {dumps(key)}: {dumps(value, ensure_ascii=False)},\n")
    out.write(' "waves": [')
    for position, wave in enumerate(wave_rows(catalog, plan)):
        services = wave.pop("services")
        head = dumps(wave, ensure_ascii=False)[:-1]
        out.write(("," if position else "") + f"\n  {head}, \"services\": [")
        for k, service in enumerate(services):
            service["reasons"] = reasons(service["id"])
            out.write(("," if k else "") + "\n   " + dumps(service, ensure_ascii=False))
        out.write("]}")
    out.write("\n ]\n}\n")


def summary_line(header: dict[str, Any]) -> str:
    """One sentence: waves used, end date, and what running past the contract end costs."""
    text = (f"{header['services']} services in {header['waves_used']} waves; plan ends "
            f"{header['end_date']}")
    cost = header["cost_of_delay"]
    if cost is None:
        return text + (f"; without a legacy contract end (calendar) and a cost model (cost_model) "
                       f"in the catalog, no {header['cost_label']} is computed.")
    if cost["months_past_contract_end"] <= 0:
        return text + (f", within the legacy contract end {cost['legacy_contract_end']}: no extra "
                       f"{cost['label']} (it stays {cost['total_exposure_meur']} M EUR).")
    return text + (f", {cost['months_past_contract_end']} months past the legacy contract end "
                   f"{cost['legacy_contract_end']}: +{cost['extra_exposure_meur']} M EUR "
                   f"{cost['label']} at {cost['monthly_meur']:.2f} M EUR/month (total "
                   f"{cost['total_exposure_meur']} M EUR).")


def markdown(catalog: Catalog, plan: Plan) -> Iterator[str]:
    """The plan as Markdown, in pieces, reasons computed as each service is written."""
    from orchestrator.reports.plan_table import DONE_SHOWN
    from orchestrator.reports.templates import stream

    header = plan_header(catalog, plan)
    gaps_before: dict[int, list[dict[str, Any]]] = {}
    for gap in header["gaps"]:
        gaps_before.setdefault(gap["before_wave"], []).append(gap)
    stages_before: dict[int, list[str]] = {}
    for stage in plan.stages:
        stages_before.setdefault(stage.before_wave, []).append(stage.line())
    return stream("plan.md.j2", plan=header, waves=wave_rows(catalog, plan),
                  reasons=reasons_for(catalog, plan), summary=summary_line(header),
                  gaps_before=gaps_before, stages_before=stages_before, done_shown=DONE_SHOWN,
                  priority_means=PRIORITIES.get(plan.priority.split(",")[0], plan.priority))


def render_table(catalog: Catalog, plan: Plan, out: IO[str]) -> None:
    """Print the plan as a table on ``out``, row by row: one row per wave (at most ten names in
    a row), a dim row for each stretch in which nothing moves, then the summary."""
    from orchestrator.reports.plan_table import write_table

    write_table(plan, summary_line(plan_header(catalog, plan)), out)
