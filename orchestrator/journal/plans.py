"""Saved and approved plans in the journal: what `wave run` takes its waves from.

A saved plan records the options, the catalog's content hash (and each file's, to name what
changed), the site it was made for, the waves, and who saved it. Approval is a second person's
decision with a reason; a plan approved by the person who saved it is refused unless the site
allows self-approval. Saving and approving are each a decision (journal/decisions.py: signed where
the site verifies signatures), written in the same transaction as the plan's row; `wave run`
checks the approval's decision before it takes a wave (:func:`check_approved`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from orchestrator import clock
from orchestrator.errors import InputError
from orchestrator.journal import schema
from orchestrator.journal.rows import inserted_id
from orchestrator.journal.store import Journal

if TYPE_CHECKING:
    from orchestrator.signing import Signer, SigningPolicy


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

    @property
    def subject(self) -> str:
        return f"plan {self.id}"

    @property
    def digest(self) -> str:
        """The SHA-256 of what was saved (options, catalog, site, waves): what its decisions name."""
        from orchestrator.journal.decisions import digest

        return digest({"options": self.options, "catalog_hash": self.catalog_hash,
                       "catalog_files": self.catalog_files, "site_name": self.site_name,
                       "site_hash": self.site_hash, "waves": self.waves})

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
              waves: list[dict[str, Any]], policy: SigningPolicy | None = None,
              signer: Signer | None = None, typed: bool = True) -> SavedPlan:
    """Save a plan, with its plan-saved decision (signed by ``signer``: then the principal is
    ``saved_by``; ``typed``: the name was given with --by, and must be the signer's)."""
    from orchestrator.journal import decisions

    with journal.engine.begin() as connection:
        result = connection.execute(insert(schema.plans).values(
            saved_by=saved_by, saved_at=clock.timestamp(), options=json.dumps(options),
            catalog_hash=catalog_hash, catalog_files=json.dumps(catalog_files), site_name=site_name,
            site_hash=site_hash, waves=json.dumps(waves)))
        plan_id = inserted_id(result)
        plan = _plan(connection.execute(select(schema.plans).where(schema.plans.c.id == plan_id)).one())
        decision = decisions.write(connection, decisions.make(
            policy, "plan-saved", plan.subject, saved_by, "saved", {"plan": plan.digest}, signer,
            typed=typed))
        connection.execute(update(schema.plans).where(schema.plans.c.id == plan_id).values(
            saved_by=decision.by, saved_at=decision.at))
    journal.log(None, "plan", f"plan {plan_id} saved by {decision.by}: {len(waves)} waves")
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
                 allow_self_approval: bool, policy: SigningPolicy | None = None,
                 signer: Signer | None = None, typed: bool = True) -> SavedPlan:
    """Approve a saved plan: a plan-approval decision (signed by ``signer``), refused for its own
    saver (the same verified principal, or the same name unsigned) unless the site allows it."""
    from orchestrator.journal import decisions
    from orchestrator.journal.approvals import check_approval

    plan = get_plan(journal, plan_id)
    decided = decisions.latest(journal, "plan-approval", plan.subject)
    check_approval(plan.subject, "saved", plan.saved_by, plan.approved_by if decided else None, by,
                   reason, allow_self_approval)
    reason = journal.redact(reason)
    decision = decisions.make(policy, "plan-approval", plan.subject, by, reason,
                              {"plan": plan.digest, "saved-by": plan.saved_by}, signer, typed=typed)
    check_approval(plan.subject, "saved", plan.saved_by, None, decision.by, reason, allow_self_approval)
    # Approved once: the update holds only while the approval it read stands (the database decides,
    # under its row lock); an approval with no decision behind it (a forged one) is replaced.
    standing = schema.plans.c.approved_by
    unapproved = standing.is_(None) if decided or plan.approved_by is None else standing == plan.approved_by
    with journal.engine.begin() as connection:
        approved = connection.execute(update(schema.plans).where(
            schema.plans.c.id == plan_id, unapproved).values(
            approved_by=decision.by, approved_at=decision.at, approval_reason=reason))
        if approved.rowcount == 1:
            decisions.write(connection, decision)
    if approved.rowcount != 1:
        raise InputError(f"plan {plan_id} was already approved by {get_plan(journal, plan_id).approved_by}")
    journal.log(None, "plan", f"plan {plan_id} approved by {decision.by}: {reason}")
    return get_plan(journal, plan_id)


def check_approved(journal: Journal, plan: SavedPlan, policy: SigningPolicy | None,
                   allow_self_approval: bool) -> str:
    """Before a wave is taken from ``plan``: its approval is a decision that checks (the person,
    reason and time of the row, the plan's content, the signature, the chain), made by someone
    other than its saver unless the site allows it, and its plan-saved decision checks where it
    has one. Refused in one line; returns who approved."""
    from orchestrator.errors import Refused
    from orchestrator.journal import decisions

    saved = decisions.latest(journal, "plan-saved", plan.subject)
    if saved is not None:
        decisions.check(journal, policy, saved, {"by": plan.saved_by, "plan": plan.digest})
    elif policy is not None and policy.require:
        raise Refused([], f"{plan.subject} has no plan-saved decision, and the site requires signed "
                          f"decisions; not acted on")
    approval = decisions.latest(journal, "plan-approval", plan.subject)
    if approval is None and decisions.predates(journal, policy, "plans", str(plan.id)):
        return plan.approved_by or ""  # approved before this journal kept decisions
    if approval is None:
        raise Refused([], f"{plan.subject}: its approval by {plan.approved_by} is no decision in the "
                          f"journal (a row written around the tool); approve it again: logius-migrate "
                          f"plan approve {plan.id}; not acted on")
    if approval.at != plan.approved_at:
        raise Refused([], f"{approval.label}: made at {approval.at}, the plan says approved at "
                          f"{plan.approved_at}; not acted on")
    by = decisions.check(journal, policy, approval,
                         {"by": plan.approved_by or "", "reason": plan.approval_reason or "",
                          "plan": plan.digest, "saved-by": plan.saved_by}, ("plans", str(plan.id)))
    if decisions.same_person(by, plan.saved_by) and not allow_self_approval:
        raise Refused([], f"{approval.label}: {plan.subject} was saved and approved by {by}; a plan is "
                          f"approved by someone else; not acted on")
    return by


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
