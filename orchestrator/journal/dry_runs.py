"""Dry-run records in the journal: what a rehearsal of a wave predicted, and who approved it.

A record keeps the document `wave dry-run` made (every check, every stack's saved plan, every
task's predicted outcome, per service the downtime and rollback points), redacted, with its own
id in it; the digests of the catalog, site and inventory it rehearsed; and the approval. As for
plans, approval is a second person's decision with a reason; a dry-run approved by the person who
made it is refused unless the site allows self-approval, and a dry-run that rehearsed nothing
(``failed``) is not approved at all. Making and approving are each a decision
(journal/decisions.py: signed where the site verifies signatures) in the record's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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

STATUSES = ("complete", "partial", "failed")
DIGESTS = ("catalog", "site", "inventory")
TASK_KEY = ("phase", "service", "host", "task")


@dataclass(frozen=True)
class DryRun:
    id: int
    wave: int
    plan_id: int | None
    created_by: str
    created_at: float
    catalog_digest: str
    site_digest: str
    inventory_digest: str
    status: str  # complete | partial | failed
    document: dict[str, Any]
    approved_by: str | None
    approved_at: float | None
    approval_reason: str | None

    @property
    def approved(self) -> bool:
        return self.approved_by is not None

    @property
    def subject(self) -> str:
        return f"dry-run {self.id}"

    @property
    def digest(self) -> str:
        """The SHA-256 of the stored document: what its decisions name."""
        from orchestrator.journal.decisions import digest

        return digest(self.document)

    @property
    def digests(self) -> dict[str, str]:
        """The digests of what was rehearsed, by name: catalog, site, inventory."""
        return {"catalog": self.catalog_digest, "site": self.site_digest,
                "inventory": self.inventory_digest}


def _dry_run(row: Any) -> DryRun:
    data = dict(row._mapping)
    data["document"] = json.loads(data["document"])
    return DryRun(**data)


def _columns(document: dict[str, Any]) -> dict[str, Any]:
    """The record's columns from the document; ValueError naming what the document lacks."""
    digests = document.get("digests") or {}
    missing = [k for k in ("wave", "by", "status") if document.get(k) in (None, "")]
    missing += [f"digests.{name}" for name in DIGESTS if not digests.get(name)]
    if missing:
        raise ValueError(f"a dry-run document needs {', '.join(missing)}")
    if document["status"] not in STATUSES:
        raise ValueError(f"a dry-run's status is one of {', '.join(STATUSES)}, not {document['status']!r}")
    plan = document.get("plan")
    return {"wave": int(document["wave"]), "plan_id": None if plan is None else int(plan),
            "created_by": str(document["by"]), "status": document["status"],
            "catalog_digest": digests["catalog"], "site_digest": digests["site"],
            "inventory_digest": digests["inventory"]}


def _redacted(journal: Journal, document: dict[str, Any]) -> dict[str, Any]:
    """The document with every known secret replaced (diffs, reasons, evidence, errors: every
    string), except the digests, which hold no secret and must stay comparable byte for byte."""
    redacted: dict[str, Any] = journal.redact.deep(document)
    if "digests" in document:
        redacted["digests"] = dict(document["digests"])
    for kept, stack in zip(redacted.get("stacks") or [], document.get("stacks") or [], strict=False):
        if isinstance(stack, dict) and "sha256" in stack:
            kept["sha256"] = stack["sha256"]
    return redacted


def record_dry_run(journal: Journal, document: dict[str, Any], policy: SigningPolicy | None = None,
                   signer: Signer | None = None, typed: bool = True) -> DryRun:
    """Record a dry-run document (redacted), with its dry-run-made decision (signed by
    ``signer``: the principal is then its maker); the stored document carries its new ``id``. The
    caller's dict is not changed: the returned record's ``document`` is what was stored."""
    from orchestrator.journal import decisions

    columns = _columns(document)
    stored = _redacted(journal, document)
    with journal.engine.begin() as connection:
        result = connection.execute(insert(schema.dry_runs).values(
            **columns, created_at=clock.timestamp(), document=json.dumps(stored)))
        dry_run_id = inserted_id(result)
        stored["id"] = dry_run_id
        decision = decisions.write(connection, decisions.make(
            policy, "dry-run-made", f"dry-run {dry_run_id}", columns["created_by"], "rehearsed",
            {"document": decisions.digest(stored), **{n: columns[f"{n}_digest"] for n in DIGESTS}},
            signer, typed=typed))
        connection.execute(update(schema.dry_runs).where(schema.dry_runs.c.id == dry_run_id).values(
            document=json.dumps(stored), created_by=decision.by, created_at=decision.at))
    columns["created_by"] = decision.by
    counts = (f"{len(stored.get('tasks') or [])} task(s), {len(stored.get('stacks') or [])} stack(s), "
              f"{len(stored.get('held') or {})} held")
    journal.log(None, "dry-run", f"dry-run {dry_run_id} of wave {columns['wave']} recorded by "
                                 f"{columns['created_by']}: {columns['status']}, {counts}")
    return get_dry_run(journal, dry_run_id)


def get_dry_run(journal: Journal, dry_run_id: int) -> DryRun:
    with journal.engine.connect() as connection:
        row = connection.execute(select(schema.dry_runs).where(schema.dry_runs.c.id == dry_run_id)).first()
        if row is None:
            ids = connection.execute(select(schema.dry_runs.c.id).order_by(schema.dry_runs.c.id)).scalars()
            known = ", ".join(str(i) for i in ids) or "none recorded yet"
            raise InputError(f"dry-run {dry_run_id}: no such dry-run in journal {journal.display_url} "
                             f"(dry-runs: {known})")
    return _dry_run(row)


def list_dry_runs(journal: Journal, wave: int | None = None) -> list[DryRun]:
    """Every dry-run (of ``wave``, if given), oldest first."""
    query = select(schema.dry_runs).order_by(schema.dry_runs.c.id)
    if wave is not None:
        query = query.where(schema.dry_runs.c.wave == wave)
    with journal.engine.connect() as connection:
        return [_dry_run(row) for row in connection.execute(query)]


def latest_approved_dry_run(journal: Journal, wave: int) -> DryRun | None:
    """The newest approved dry-run of ``wave``, or None."""
    query = (select(schema.dry_runs).where(schema.dry_runs.c.wave == wave,
                                           schema.dry_runs.c.approved_by.is_not(None))
             .order_by(schema.dry_runs.c.id.desc()).limit(1))
    with journal.engine.connect() as connection:
        row = connection.execute(query).first()
    return _dry_run(row) if row else None


def approve_dry_run(journal: Journal, dry_run_id: int, by: str, reason: str,
                    allow_self_approval: bool, policy: SigningPolicy | None = None,
                    signer: Signer | None = None, typed: bool = True) -> DryRun:
    """Approve a dry-run: a dry-run-approval decision (signed by ``signer``), refused for the
    person who made it unless the site allows it, and bad input when it is approved already or
    rehearsed nothing."""
    from orchestrator.journal import decisions
    from orchestrator.journal.approvals import check_approval

    dry_run = get_dry_run(journal, dry_run_id)
    if dry_run.status == "failed":
        raise InputError(f"dry-run {dry_run_id} failed: nothing was rehearsed, so there is nothing to "
                         f"approve; rehearse wave {dry_run.wave} again (`wave dry-run {dry_run.wave}`)")
    what = dry_run.subject
    check_approval(what, "rehearsed", dry_run.created_by, dry_run.approved_by, by, reason,
                   allow_self_approval)
    reason = journal.redact(reason)
    decision = decisions.make(policy, "dry-run-approval", what, by, reason,
                              {"document": dry_run.digest, "made-by": dry_run.created_by}, signer,
                              typed=typed)
    check_approval(what, "rehearsed", dry_run.created_by, None, decision.by, reason, allow_self_approval)
    with journal.engine.begin() as connection:  # approved once: only while nobody has approved it
        approved = connection.execute(update(schema.dry_runs).where(
            schema.dry_runs.c.id == dry_run_id, schema.dry_runs.c.approved_by.is_(None)).values(
            approved_by=decision.by, approved_at=decision.at, approval_reason=reason))
        if approved.rowcount == 1:
            decisions.write(connection, decision)
    if approved.rowcount != 1:
        raise InputError(f"{what} was already approved by {get_dry_run(journal, dry_run_id).approved_by}")
    journal.log(None, "dry-run", f"dry-run {dry_run_id} approved by {decision.by}: {reason}")
    return get_dry_run(journal, dry_run_id)


def check_dry_run_approved(journal: Journal, dry_run: DryRun, policy: SigningPolicy | None) -> str:
    """Before a run applies ``dry_run``: its approval is a decision that checks (person, reason,
    time, the document, signature, chain). Refused in one line; returns who approved."""
    from orchestrator.errors import Refused
    from orchestrator.journal import decisions

    approval = decisions.latest(journal, "dry-run-approval", dry_run.subject)
    if approval is None and decisions.predates(journal, policy, "dry_runs", str(dry_run.id)):
        return dry_run.approved_by or ""  # approved before this journal kept decisions
    if approval is None or approval.at != dry_run.approved_at:
        raise Refused([], f"{dry_run.subject}: its approval by {dry_run.approved_by} is no decision in "
                          f"the journal (a row written around the tool); not acted on")
    return decisions.check(journal, policy, approval,
                           {"by": dry_run.approved_by or "", "reason": dry_run.approval_reason or "",
                            "document": dry_run.digest, "made-by": dry_run.created_by},
                           ("dry_runs", str(dry_run.id)))


def diff_dry_runs(first: DryRun, second: DryRun) -> list[dict[str, Any]]:
    """What ``second`` predicts differently from ``first``: items ``{"kind", "key", "first",
    "second"}`` (None: absent from that dry-run), sorted by kind (digest, held, resource, task),
    then key. Keys: a digest's name; a held service; ``service/address`` of a stack resource (its
    actions); ``phase/service/host/task`` of a task (its outcome). A key met again in the same
    document (a task name used twice) is numbered ``#2``, ``#3``... in document order."""
    a, b = first.document, second.document
    return [*_changes("digest", dict(a.get("digests") or {}), dict(b.get("digests") or {})),
            *_changes("held", dict(a.get("held") or {}), dict(b.get("held") or {})),
            *_changes("resource", _resources(a), _resources(b)),
            *_changes("task", _tasks(a), _tasks(b))]


def _changes(kind: str, first: dict[str, Any], second: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"kind": kind, "key": key, "first": first.get(key), "second": second.get(key)}
            for key in sorted(set(first) | set(second)) if first.get(key) != second.get(key)]


def _tasks(document: dict[str, Any]) -> dict[str, Any]:
    return _numbered(("/".join(str(task.get(part)) for part in TASK_KEY), task.get("outcome"))
                     for task in document.get("tasks") or [])


def _resources(document: dict[str, Any]) -> dict[str, Any]:
    return _numbered((f"{stack.get('service')}/{resource.get('address')}",
                      list(resource.get("actions") or []))
                     for stack in document.get("stacks") or [] for resource in stack.get("resources") or [])


def _numbered(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    keyed: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for key, value in pairs:
        seen[key] = seen.get(key, 0) + 1
        keyed[key if seen[key] == 1 else f"{key}#{seen[key]}"] = value
    return keyed
