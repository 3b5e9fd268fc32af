"""The four-eyes rule, one rule for everything the journal records an approval of (a saved plan,
a dry-run): a second person approves, with a reason; the person who made it does not, unless the
site allows self-approval; nothing is approved twice. Persons are compared as the journal knows
them: verified principals where the decisions were signed, else the typed names casefolded and
stripped ("Alice " and alice are one person)."""

from __future__ import annotations

from orchestrator.errors import InputError, Refused


def check_approval(what: str, made: str, made_by: str, approved_by: str | None, by: str, reason: str,
                   allow_self_approval: bool) -> None:
    """Refuse approving ``what`` ("plan 3", "dry-run 2"), ``made`` ("saved", "rehearsed") by
    ``made_by``, when ``by`` or ``reason`` is empty, when it is approved already
    (``approved_by``), or when ``by`` made it and the site does not allow self-approval."""
    from orchestrator.journal.decisions import same_person

    kind = what.split()[0]
    if not by.strip() or not reason.strip():
        raise InputError(f"{kind} approve needs --by NAME and --reason TEXT, neither empty")
    if approved_by is not None:
        raise InputError(f"{what} was already approved by {approved_by}")
    if same_person(by, made_by) and not allow_self_approval:
        raise Refused([], f"{what} was {made} by {made_by}: a {kind} is approved by someone else "
                          f"(or the site sets allow_self_approval: true); not approved")
