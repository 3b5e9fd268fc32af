"""The register of blocking issues: each with an id (BLK-0001), a scope, a severity, an owner, a
due date, a status and its full history.

A scope is ``platform``, ``release:ID``, ``wave:N`` or ``service:ID``; the command line accepts only
one that exists (a service or release of the catalog, a wave of a saved plan), since a scope naming
nothing could never block anything. A blocker blocks while it is open or mitigated, and while it
is waived past its waiver's expiry; a resolved one never does. Resolving and waiving need a reason;
every change is a history row with who and when. A waiver and a resolution are decisions
(journal/decisions.py: signed where the site verifies signatures) written with the change; the
gate believes a waived or resolved blocker only when its decision checks (:func:`untrusted`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update

from orchestrator import clock
from orchestrator.errors import InputError
from orchestrator.journal import schema
from orchestrator.journal.store import Journal

if TYPE_CHECKING:
    from orchestrator.signing import Signer, SigningPolicy

SEVERITIES = ("blocking", "major", "minor")
STATUSES = ("open", "mitigated", "waived", "resolved")
#: The changes that are decisions, by action, and their kind.
DECIDED = {"waive": "blocker-waived", "resolve": "blocker-resolved"}
SCOPE_PATTERN = re.compile(r"^(platform|release:[A-Za-z0-9._-]+|wave:[1-9][0-9]*|service:[A-Za-z0-9._-]+)$")


@dataclass(frozen=True)
class Blocker:
    id: str
    scope: str
    severity: str
    title: str
    owner: str
    due: str | None
    status: str
    waiver_owner: str | None
    waiver_reason: str | None
    waiver_expires: str | None
    evidence: str
    created_at: float
    updated_at: float

    def in_force(self, today: dt.date) -> bool:
        """Whether it still holds: open, mitigated, or waived by a waiver that has expired."""
        if self.status == "resolved":
            return False
        if self.status == "waived":
            return self.waiver_expires is not None and dt.date.fromisoformat(self.waiver_expires) < today
        return True

    def state_on(self, today: dt.date) -> str:
        if self.status == "waived" and self.in_force(today):
            return f"waiver expired {self.waiver_expires}"
        return self.status


@dataclass(frozen=True)
class BlockerChange:
    """One row of a blocker's history: who did what, when, and why."""

    id: int
    blocker_id: str
    at: float
    action: str  # opened | mitigated | waived | resolved | reopened
    by: str
    detail: str


def check_scope(scope: str) -> str:
    if not SCOPE_PATTERN.match(scope):
        raise InputError(f"--scope {scope!r}: use platform, release:ID, wave:N or service:ID")
    return scope


def check_scope_exists(scope: str, services: list[str], releases: list[str],
                       plan_waves: dict[int, int]) -> str:
    """``scope`` if it names something that exists: a service or release of the catalog
    (``services``, ``releases``: their ids), a wave of a saved plan (``plan_waves``: plan id to its
    number of waves); otherwise InputError, naming what exists nearby."""
    kind, _, name = check_scope(scope).partition(":")
    if kind in ("service", "release"):
        known = services if kind == "service" else releases
        if name not in known:
            raise InputError(f"--scope {scope}: the catalog has no {kind} {name!r}; "
                             f"{_nearby(kind, name, known)}")
    elif kind == "wave":
        if not plan_waves:
            raise InputError(f"--scope {scope}: no plan is saved yet, so there is no wave {name}; save one "
                             f"first (logius-migrate plan save)")
        longest = max(plan_waves, key=lambda plan_id: (plan_waves[plan_id], plan_id))
        if int(name) > plan_waves[longest]:
            raise InputError(f"--scope {scope}: no saved plan has a wave {name}; the longest, plan "
                             f"{longest}, has waves 1..{plan_waves[longest]}")
    return scope


def _nearby(kind: str, name: str, known: list[str]) -> str:
    """A close match among ``known``, and all of them when they are few, else the nearest three."""
    import difflib

    if not known:
        return f"it has no {kind}s"
    close = difflib.get_close_matches(name, known, n=1)
    guess = f"did you mean {kind}:{close[0]}? " if close else ""
    if len(known) <= 6:
        listed = ", ".join(sorted(known))
        return f"{guess}({kind}s: {listed})" if close else f"its {kind}s: {listed}"
    if close:
        return guess + f"({len(known)} {kind}s: logius-migrate catalog list)"
    nearest = difflib.get_close_matches(name, known, n=3, cutoff=0)
    return f"nearest of its {len(known)} {kind}s: " + ", ".join(f"{kind}:{k}" for k in nearest)


def add_blocker(journal: Journal, scope: str, severity: str, title: str, owner: str, by: str,
                due: dt.date | None = None, evidence: str = "") -> Blocker:
    check_scope(scope)
    if severity not in SEVERITIES:
        raise InputError(f"--severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    if not title.strip() or not owner.strip():
        raise InputError("a blocker needs a --title and an --owner, neither empty")
    from sqlalchemy.exc import IntegrityError

    values = dict(scope=scope, severity=severity, title=journal.redact(title), owner=owner,
                  due=due.isoformat() if due else None, status="open", evidence=journal.redact(evidence))
    for attempt in range(20):  # two writers may take the same next id: the second takes the one after
        now = clock.timestamp()
        try:
            with journal.engine.begin() as connection:
                count = connection.execute(select(func.count()).select_from(schema.blockers)).scalar_one()
                blocker_id = f"BLK-{count + 1:04d}"
                connection.execute(insert(schema.blockers).values(
                    id=blocker_id, created_at=now, updated_at=now, **values))
                _history(connection, blocker_id, "opened", by, f"{severity}, {scope}: {title}", journal)
            break
        except IntegrityError:
            if attempt == 19:
                raise
    journal.log(None, "blocker", f"{blocker_id} opened by {by}: {severity}, {scope}: {title}")
    return get_blocker(journal, blocker_id)


def _history(connection: Any, blocker_id: str, action: str, by: str, detail: str,
             journal: Journal) -> None:
    connection.execute(insert(schema.blocker_history).values(
        blocker_id=blocker_id, at=clock.timestamp(), action=action, by=by, detail=journal.redact(detail)))


def get_blocker(journal: Journal, blocker_id: str) -> Blocker:
    with journal.engine.connect() as connection:
        row = connection.execute(select(schema.blockers).where(
            schema.blockers.c.id == blocker_id.upper())).first()
    if row is None:
        raise InputError(f"{blocker_id}: no such blocker in journal {journal.display_url}")
    return Blocker(**row._mapping)


def list_blockers(journal: Journal, include_resolved: bool = True) -> list[Blocker]:
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.blockers).order_by(schema.blockers.c.id))
        found = [Blocker(**row._mapping) for row in rows]
    return [b for b in found if include_resolved or b.status != "resolved"]


def history(journal: Journal, blocker_id: str) -> list[BlockerChange]:
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.blocker_history).where(
            schema.blocker_history.c.blocker_id == blocker_id.upper()).order_by(
            schema.blocker_history.c.id))
        return [BlockerChange(**row._mapping) for row in rows]


def change(journal: Journal, blocker_id: str, action: str, by: str, reason: str,
           waiver: tuple[str, dt.date] | None = None, policy: SigningPolicy | None = None,
           signer: Signer | None = None, typed: bool = True) -> Blocker:
    """mitigate, waive (with ``waiver`` = (owner, expires)), resolve or reopen a blocker; a waiver
    and a resolution are decisions, signed by ``signer`` where given."""
    from orchestrator.journal import decisions

    blocker = get_blocker(journal, blocker_id)
    if not reason.strip():
        raise InputError(f"{blocker.id}: {action} needs --reason TEXT")
    if blocker.status == "resolved" and action != "reopen":
        raise InputError(f"{blocker.id} is resolved; reopen it first")
    status = {"mitigate": "mitigated", "waive": "waived", "resolve": "resolved", "reopen": "open"}[action]
    values: dict[str, Any] = {"status": status, "updated_at": clock.timestamp()}
    detail = reason
    if waiver is not None:
        owner, expires = waiver
        values.update(waiver_owner=owner, waiver_reason=journal.redact(reason),
                      waiver_expires=expires.isoformat())
        detail = f"{reason} (waiver owned by {owner}, expires {expires})"
    made = None
    if action in DECIDED:
        made = decisions.make(policy, DECIDED[action], blocker.id, by, journal.redact(reason),
                              _terms(blocker.scope, values), signer, typed=typed)
        by, values["updated_at"] = made.by, made.at
    with journal.engine.begin() as connection:
        if made is not None:
            decisions.write(connection, made)
        connection.execute(update(schema.blockers).where(schema.blockers.c.id == blocker.id).values(**values))
        _history(connection, blocker.id, status if action != "reopen" else "reopened", by, detail, journal)
    journal.log(None, "blocker", f"{blocker.id} {status} by {by}: {detail}")
    return get_blocker(journal, blocker.id)


def _terms(scope: str, values: dict[str, Any]) -> dict[str, str]:
    """What a waiver or resolution decision names: the blocker's scope, status and (waived) waiver."""
    terms = {"scope": scope, "status": values["status"]}
    if values["status"] == "waived":
        terms.update({"waiver-owner": values.get("waiver_owner") or "",
                      "waiver-expires": values.get("waiver_expires") or ""})
    return terms


def untrusted(journal: Journal, policy: SigningPolicy | None, blocker: Blocker) -> str | None:
    """Why ``blocker``, waived or resolved, is not to be believed so: no decision made it so (a
    row written around the tool), or its decision does not check; None when it is believed, or
    when it is neither waived nor resolved."""
    from orchestrator.errors import Refused
    from orchestrator.journal import decisions

    kind = {"waived": "blocker-waived", "resolved": "blocker-resolved"}.get(blocker.status)
    if kind is None:
        return None
    made = [d for d in decisions.for_subject(journal, kind, blocker.id) if d.at == blocker.updated_at]
    if not made and decisions.predates(journal, policy, "blockers", blocker.id):
        return None  # waived or resolved before this journal kept decisions
    if not made:
        return (f"{blocker.id} is {blocker.status}, but no {kind} decision made it so (a row written "
                f"around the tool); not acted on")
    expect = _terms(blocker.scope, {"status": blocker.status, "waiver_owner": blocker.waiver_owner,
                                    "waiver_expires": blocker.waiver_expires})
    if blocker.status == "waived":
        expect["reason"] = blocker.waiver_reason or ""
    try:
        decisions.check(journal, policy, made[-1], expect, ("blockers", blocker.id))
    except Refused as exc:
        return str(exc)
    return None


def in_scope(blockers: list[Blocker], scopes: set[str], today: dt.date) -> list[Blocker]:
    """The blockers in force today in any of ``scopes``."""
    return [b for b in blockers if b.scope in scopes and b.in_force(today)]
