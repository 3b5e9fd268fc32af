"""Saved and approved plans in the journal: what `wave run` takes its waves from.

A saved plan records the options, the catalog's content hash (and each file's, to name what
changed), the site it was made for, the waves, and who saved it. Approval is a second person's
decision with a reason; a plan approved by the person who saved it is refused unless the site
allows self-approval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from orchestrator import clock
from orchestrator.errors import InputError
from orchestrator.journal import schema
from orchestrator.journal.rows import inserted_id
from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class SavedPlan:
    id: int
    saved_by: str
    saved_at: float
    options: dict[str, Any]
    catalog_hash: str
    catalog_files: dict[str, str]
    site_name: str
    site_hash: str
    waves: list[dict[str, Any]]
    approved_by: str | None
    approved_at: float | None
    approval_reason: str | None

    @property
    def approved(self) -> bool:
        return self.approved_by is not None

    def wave(self, number: int) -> dict[str, Any]:
        """Wave ``number`` of this plan; InputError when the plan has no such wave."""
        if not 1 <= number <= len(self.waves):
            raise InputError(f"wave {number}: plan {self.id} has waves 1..{len(self.waves)}")
        return self.waves[number - 1]

    def wave_of(self, service_id: str) -> int | None:
        for wave in self.waves:
            if service_id in wave["services"]:
                return int(wave["number"])
        return None


def _plan(row: Any) -> SavedPlan:
    data = dict(row._mapping)
    for key in ("options", "catalog_files", "waves"):
        data[key] = json.loads(data[key])
    return SavedPlan(**data)


def save_plan(journal: Journal, saved_by: str, options: dict[str, Any], catalog_hash: str,
              catalog_files: dict[str, str], site_name: str, site_hash: str,
              waves: list[dict[str, Any]]) -> SavedPlan:
    with journal.engine.begin() as connection:
        result = connection.execute(insert(schema.plans).values(
            saved_by=saved_by, saved_at=clock.timestamp(), options=json.dumps(options),
            catalog_hash=catalog_hash, catalog_files=json.dumps(catalog_files), site_name=site_name,
            site_hash=site_hash, waves=json.dumps(waves)))
        plan_id = inserted_id(result)
    journal.log(None, "plan", f"plan {plan_id} saved by {saved_by}: {len(waves)} waves")
    return get_plan(journal, plan_id)


def get_plan(journal: Journal, plan_id: int) -> SavedPlan:
    with journal.engine.connect() as connection:
        row = connection.execute(select(schema.plans).where(schema.plans.c.id == plan_id)).first()
    if row is None:
        known = ", ".join(str(p.id) for p in list_plans(journal)) or "none saved yet"
        raise InputError(f"plan {plan_id}: no such plan in journal {journal.display_url} "
                         f"(plans: {known})")
    return _plan(row)


def list_plans(journal: Journal) -> list[SavedPlan]:
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.plans).order_by(schema.plans.c.id))
        return [_plan(row) for row in rows]


def approve_plan(journal: Journal, plan_id: int, by: str, reason: str,
                 allow_self_approval: bool) -> SavedPlan:
    """Approve a saved plan; refused for its own saver unless the site allows it."""
    from orchestrator.journal.approvals import check_approval

    plan = get_plan(journal, plan_id)
    check_approval(f"plan {plan_id}", "saved", plan.saved_by, plan.approved_by, by, reason,
                   allow_self_approval)
    with journal.engine.begin() as connection:  # approved once: only while nobody has approved it
        approved = connection.execute(update(schema.plans).where(
            schema.plans.c.id == plan_id, schema.plans.c.approved_by.is_(None)).values(
            approved_by=by, approved_at=clock.timestamp(), approval_reason=journal.redact(reason)))
    if approved.rowcount != 1:
        raise InputError(f"plan {plan_id} was already approved by {get_plan(journal, plan_id).approved_by}")
    journal.log(None, "plan", f"plan {plan_id} approved by {by}: {reason}")
    return get_plan(journal, plan_id)


def latest_approved(journal: Journal) -> SavedPlan | None:
    approved = [p for p in list_plans(journal) if p.approved]
    return approved[-1] if approved else None


def diff_plans(first: SavedPlan, second: SavedPlan) -> list[dict[str, Any]]:
    """Every service whose wave differs between two plans (None: not in that plan), by id."""
    def placement(plan: SavedPlan) -> dict[str, int]:
        return {sid: int(w["number"]) for w in plan.waves for sid in w["services"]}

    a, b = placement(first), placement(second)
    return [{"service": sid, "from": a.get(sid), "to": b.get(sid)}
            for sid in sorted(set(a) | set(b)) if a.get(sid) != b.get(sid)]
