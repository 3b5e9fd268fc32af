"""Decisions in the journal, each over a canonical statement of it (what, which digests, who, when,
why), signed with an SSH key where the site verifies signatures: the principal that verifies is
the person, whatever name was typed.

A decision is made (:func:`make`: the statement signed and verified, the signer's role checked, an
unsigned one refused where the site requires signatures) and then written (:func:`write`) in the
transaction of the row it decides, so neither is kept without the other. Before anything acts on a
decision (`wave run` on a plan's approval, the gates on a release's acceptance or a waiver),
:func:`check` reads it back: the statement must say what the row says, the signature must verify
as of its time, and neither row may have been changed behind the chain's back. A row forged with
SQL is refused there, in one line naming the decision and why, before any change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from orchestrator import clock
from orchestrator.errors import InputError, Refused
from orchestrator.journal import schema
from orchestrator.journal.rows import inserted_id

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal
    from orchestrator.signing import Signer, SigningPolicy

KINDS = ("plan-saved", "plan-approval", "dry-run-made", "dry-run-approval", "release-accepted",
         "release-rejected", "blocker-waived", "blocker-resolved", "check-override",
         "guardrail-override", "forced-rollback", "cutover-approval")
#: The site role (signing.roles) a kind of decision needs; a kind not here: anyone may make it.
ROLE_OF = {"plan-approval": "approve-plan", "dry-run-approval": "approve-dry-run",
           "release-accepted": "accept-release", "release-rejected": "accept-release",
           "blocker-waived": "waive-blocker", "blocker-resolved": "resolve-blocker",
           "check-override": "override", "guardrail-override": "override",
           "forced-rollback": "force-rollback", "cutover-approval": "approve-cutover"}


@dataclass(frozen=True)
class Decision:
    id: int  # 0 until written
    kind: str
    subject: str  # "plan 3", "dry-run 2", "release R2", "BLK-0001", "wave 1 PRE-BLK-001", ...
    statement: str
    signature: str | None
    principal: str | None  # the verified signer; None when unsigned
    by: str  # the principal, or the typed name when unsigned
    at: float

    @property
    def label(self) -> str:
        return f"decision {self.id or '(new)'} ({self.kind} {self.subject})"


@dataclass(frozen=True)
class Finding:
    record: str  # "decision 4 (plan-approval plan 3)"
    problem: str


def policy_of(site: Any) -> SigningPolicy | None:
    """The site's signing policy (``Site.signing``), None for a site object without one."""
    return getattr(site, "signing", None)


def refuse_unsigned(policy: SigningPolicy | None, signer: Signer | None, what: str) -> None:
    """Refuse, before any work, a decision about to be made unsigned where the site requires
    signatures (``what``: "dry-run of wave 2")."""
    if signer is None and policy is not None and policy.require:
        raise Refused([], f"{what}: unsigned, and the site requires signatures "
                          f"(signing.require_signatures): sign it with --sign-with KEY")


def digest(value: Any) -> str:
    """The SHA-256 of ``value``'s canonical JSON: what a statement names a row's content by."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def same_person(first: str, second: str) -> bool:
    """Whether two names are one person: compared casefolded and stripped ("Alice " is alice)."""
    return first.strip().casefold() == second.strip().casefold()


def make(policy: SigningPolicy | None, kind: str, subject: str, by: str, reason: str,
         digests: dict[str, str], signer: Signer | None, role: str | None = None,
         typed: bool = True) -> Decision:
    """The decision, not yet written: its statement signed with ``signer`` and verified against
    ``policy`` (the principal is who decides; a ``typed`` --by must be that principal), the role
    checked, and refused unsigned where the site requires signatures. ``by`` unsigned: the name."""
    if kind not in KINDS:
        raise ValueError(f"decision kind {kind!r}: one of {', '.join(KINDS)}")
    by = by.strip()
    at = clock.timestamp()
    label = f"{kind} {subject}"
    if signer is None:
        refuse_unsigned(policy, signer, label)
        decision = Decision(0, kind, subject, _text(kind, subject, by, at, reason, digests), None, None,
                            by, at)
    else:
        decision = _signed(policy, kind, subject, by, at, reason, digests, signer, typed)
    role = role or ROLE_OF.get(kind)
    if policy is not None and role is not None:
        try:
            policy.authorize(role, decision.by)
        except Refused as exc:
            raise Refused([], f"{label}: {exc}") from None
    return decision


def _signed(policy: SigningPolicy | None, kind: str, subject: str, by: str, at: float, reason: str,
            digests: dict[str, str], signer: Signer, typed: bool) -> Decision:
    """Sign and verify; unless ``typed``, a principal other than ``by`` (the login name) signs
    again with the principal's name in the statement."""
    from orchestrator.signing import sign, verify

    if policy is None or not policy.enabled():
        raise InputError(f"{kind} {subject}: a key was given (--sign-with or "
                         f"$LOGIUS_MIGRATE_SIGNING_KEY) but the site's signing block names no "
                         f"allowed_signers to verify it with")
    label = f"{kind} {subject}"
    text = _text(kind, subject, by, at, reason, digests)
    try:
        signature = sign(text, signer)
        principal = verify(text, signature, policy, at=at)
        if principal != by:
            if typed and not same_person(principal, by):
                raise Refused([], f"--by {by}, but the key {signer.key} is {principal}'s: a decision is "
                                  f"made in the signer's own name")
            text = _text(kind, subject, principal, at, reason, digests)
            signature = sign(text, signer)
            principal = verify(text, signature, policy, at=at)
    except Refused as exc:
        raise Refused([], f"{label}: {exc}; not recorded") from None
    return Decision(0, kind, subject, text, signature, principal, principal, at)


def _text(kind: str, subject: str, by: str, at: float, reason: str, digests: dict[str, str]) -> str:
    from orchestrator.signing.statements import statement

    return statement(kind, subject, by, at, reason, dict(digests))


def write(connection: Any, decision: Decision) -> Decision:
    """Write ``decision`` in the caller's transaction; the written one, with its id."""
    result = connection.execute(insert(schema.decisions).values(
        kind=decision.kind, subject=decision.subject, statement=decision.statement,
        signature=decision.signature, principal=decision.principal, by=decision.by, at=decision.at))
    return replace(decision, id=inserted_id(result))


def record(connection: Any, journal: Journal, policy: SigningPolicy | None, kind: str, subject: str,
           by: str, reason: str, digests: dict[str, str], signer: Signer | None,
           role: str | None = None) -> Decision:
    """:func:`make` and :func:`write` in one, in the caller's transaction (``journal``'s redactor
    applied to the reason first: the statement is kept, so it holds no secret)."""
    decision = make(policy, kind, subject, by, journal.redact(reason), digests, signer, role)
    return write(connection, decision)


def record_each(journal: Journal, policy: SigningPolicy | None, kind: str, subjects: dict[str, str],
                by: str, digests: dict[str, str], signer: Signer | None, typed: bool = True) -> str:
    """One decision of ``kind`` per subject (``subjects``: subject -> reason: each override of a
    run, a forced rollback), all in one transaction; returns who decided (the principal, signed)."""
    made = [make(policy, kind, subject, by, journal.redact(reason), digests, signer, typed=typed)
            for subject, reason in subjects.items()]
    with journal.engine.begin() as connection:
        for decision in made:
            write(connection, decision)
    return made[0].by if made else by


def for_subject(journal: Journal, kind: str, subject: str) -> list[Decision]:
    """The decisions of ``kind`` on ``subject``, oldest first."""
    query = (select(schema.decisions).where(schema.decisions.c.kind == kind,
                                            schema.decisions.c.subject == subject)
             .order_by(schema.decisions.c.id))
    with journal.engine.connect() as connection:
        return [Decision(**row._mapping) for row in connection.execute(query)]


def latest(journal: Journal, kind: str, subject: str) -> Decision | None:
    found = for_subject(journal, kind, subject)
    return found[-1] if found else None


def all_decisions(journal: Journal) -> list[Decision]:
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.decisions).order_by(schema.decisions.c.id))
        return [Decision(**row._mapping) for row in rows]


def check(journal: Journal, policy: SigningPolicy | None, decision: Decision, expect: dict[str, str],
          decided: tuple[str, str] | None = None) -> str:
    """Before acting on ``decision``: its statement parses and says what its row says, and what
    ``expect`` says (``by``, ``reason``, ``subject``; any other key: that digest), its signature
    verifies as of its time (unsigned: refused where the site requires signatures), and its row and
    the row it decided (``decided``: table, key) are intact in the chain. Refused in one line
    naming the decision and why; returns who decided (the principal, or the name unsigned)."""
    problem = _problem(policy, decision, expect) or _chain_problem(journal, decision, decided)
    if problem:
        raise Refused([], f"{decision.label}: {problem}; not acted on")
    return decision.principal or decision.by


def _problem(policy: SigningPolicy | None, decision: Decision, expect: dict[str, str]) -> str | None:
    from orchestrator.signing import verify
    from orchestrator.signing.statements import parse

    try:
        said = parse(decision.statement)
    except InputError as exc:
        return f"its statement does not parse ({exc})"
    stated = {"kind": said.kind, "subject": said.subject, "by": said.by, "reason": said.reason}
    wanted = {"kind": decision.kind, "subject": decision.subject, "by": decision.by, **expect}
    for key, value in wanted.items():
        found = stated[key] if key in stated else said.digests.get(key)
        if found != value:
            return f"its statement says {key} {found!r}, the journal {value!r}"
    if said.at != decision.at:
        return f"its statement is dated {said.at}, its row {decision.at}"
    if decision.signature is None:
        if policy is not None and policy.require:
            return "unsigned, and the site requires signatures (signing.require_signatures)"
        return None
    if policy is None or not policy.enabled():
        return "signed, but the site names no allowed_signers to verify it with"
    try:
        principal = verify(decision.statement, decision.signature, policy, at=decision.at)
    except Refused as exc:
        return f"its signature does not verify: {exc}"
    if principal != decision.principal or principal != said.by:
        return f"signed by {principal}, but it names {decision.principal or said.by}"
    return None


def _chain_problem(journal: Journal, decision: Decision, decided: tuple[str, str] | None) -> str | None:
    """Why the chain does not vouch for the decision's row or the row it decided
    (journal/chain.py); None where it does."""
    from orchestrator.journal.chain import row_intact

    rows = [("decisions", str(decision.id))] + ([decided] if decided else [])
    with journal.engine.connect() as connection:
        for table, key in rows:
            problem = row_intact(connection, table, key)
            if problem:
                return problem
    return None


def predates(journal: Journal, policy: SigningPolicy | None, table: str, key: str) -> bool:
    """Whether the row ``key`` of ``table`` was written before this journal kept decisions (the
    upgrade to schema 8 chained it as a ``baseline``, untouched since), so that no decision is
    expected of it; never where the site requires signatures."""
    from orchestrator.journal.chain import row_intact

    if policy is not None and policy.require:
        return False
    chain = schema.chain
    query = (select(chain.c.op).where(chain.c.tbl == table, chain.c.row_key == key)
             .order_by(chain.c.seq.desc()).limit(1))
    with journal.engine.connect() as connection:
        return (connection.execute(query).scalar() == "baseline"
                and row_intact(connection, table, key) is None)


def verify_all(journal: Journal, policy: SigningPolicy | None) -> list[Finding]:
    """For `journal verify`: every decision re-verified (statement, signature as of its time,
    chain), and each signature whose key no longer stands (revoked, expired) named."""
    from orchestrator.signing import key_standing

    findings: list[Finding] = []
    for decision in all_decisions(journal):
        record = decision.label
        problem = _problem(policy, decision, {}) or _chain_problem(journal, decision, None)
        if problem:
            findings.append(Finding(record, problem))
        elif decision.signature and policy is not None and policy.enabled():
            standing = key_standing(policy, decision.signature)
            if standing:
                findings.append(Finding(record, f"signed by {decision.principal} with a key now {standing}"))
    return findings
