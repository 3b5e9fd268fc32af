"""The canonical text of a decision, the bytes a person signs: what was decided, of which subject,
which digests, who, when and why. One text for one decision (fields sorted, values that could hold
a newline JSON-quoted), so a verifier rebuilds it from the journal's row and compares."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orchestrator.errors import InputError

HEADER = "logius-migrate decision v1"
_KIND = re.compile(r"^[a-z][a-z0-9-]*$")
_DIGEST = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_QUOTED = ("by", "reason", "subject")
_YEAR_10000 = 253402300800.0


@dataclass(frozen=True)
class Statement:
    """A decision as its statement says it (``at``: seconds since the epoch)."""

    kind: str
    subject: str
    by: str
    at: float
    reason: str
    digests: dict[str, str] = field(default_factory=dict)


def statement(kind: str, subject: str, by: str, at: float, reason: str, digests: dict[str, str]) -> str:
    """The statement's text: the header line, then one ``field: value`` line per field, sorted
    (``at`` exactly, ``time`` the same instant for people, UTC), ending in a newline."""
    if not _KIND.match(kind):
        raise InputError(f"statement: kind {kind!r} is not a kind of decision")
    if not math.isfinite(at) or not 0 <= at < _YEAR_10000:
        raise InputError(f"statement: time {at!r} is not a moment (seconds since 1970, before 10000)")
    bad = [name for name in digests if not _DIGEST.match(name)]
    if bad:
        raise InputError(f"statement: digest name {bad[0]!r} is not a name (a-z, 0-9, '_', '.', '-')")
    fields = {"kind": kind, "at": repr(float(at)), "time": _time(float(at)),
              **{name: json.dumps(value, ensure_ascii=False)
                 for name, value in (("by", by), ("reason", reason), ("subject", subject))},
              **{f"digest.{name}": json.dumps(value, ensure_ascii=False) for name, value in digests.items()}}
    return "\n".join([HEADER, *(f"{name}: {fields[name]}" for name in sorted(fields))]) + "\n"


def parse(text: str) -> Statement:
    """The statement ``text`` says; InputError, one line, unless it is a statement exactly as
    :func:`statement` writes it."""
    lines = text.split("\n")
    if lines[0] != HEADER or lines[-1] != "":
        raise InputError(f"statement: not a logius-migrate decision (first line {lines[0][:60]!r})")
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:-1], start=2):
        name, colon, value = line.partition(": ")
        if not colon or name in fields:
            raise InputError(f"statement line {number}: {'again' if colon else 'not a field'}: {line[:60]!r}")
        fields[name] = value
    found = _fields(fields)
    if statement(**found.__dict__) != text:
        raise InputError("statement: not in its canonical form (fields sorted, values quoted, one time)")
    return found


def _fields(fields: dict[str, str]) -> Statement:
    missing = [name for name in ("at", "by", "kind", "reason", "subject", "time") if name not in fields]
    extra = [n for n in fields if n not in (*_QUOTED, "at", "kind", "time") and not n.startswith("digest.")]
    if missing or extra:
        raise InputError("statement: " + "; ".join(
            [*(["missing " + ", ".join(missing)] if missing else []),
             *(["unknown " + ", ".join(extra)] if extra else [])]))
    try:
        quoted = {name: json.loads(fields[name]) for name in fields if name in _QUOTED or "." in name}
        at = float(fields["at"])
    except ValueError as exc:
        raise InputError(f"statement: a value is not what its field holds ({exc})") from None
    if not all(isinstance(value, str) for value in quoted.values()):
        raise InputError("statement: a quoted value is not a string")
    return Statement(kind=fields["kind"], subject=quoted["subject"], by=quoted["by"], at=at,
                     reason=quoted["reason"],
                     digests={n.removeprefix("digest."): v for n, v in quoted.items() if "." in n})


def _time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
