"""What a guardrail says: PASS, FAIL or INCONCLUSIVE, with the evidence (which resource, which
attribute, what value), marked as ours ("logius") or checkov's (in the style of checks/base.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

OURS = "logius"
CHECKOV = "checkov"


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class Evidence:
    """One fact a result stands on: the resource (or variable, or runbook step), the attribute, the value."""

    address: str
    attribute: str
    value: Any

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "attribute": self.attribute, "value": self.value}

    def line(self) -> str:
        return f"{self.address} {self.attribute} = {self.value!r}" if self.attribute else self.address


@dataclass(frozen=True)
class Result:
    guardrail: str
    title: str
    outcome: Outcome
    summary: str
    evidence: tuple[Evidence, ...] = ()
    remedy: str = ""
    source: str = OURS

    def as_dict(self) -> dict[str, Any]:
        return {"guardrail": self.guardrail, "title": self.title, "source": self.source,
                "outcome": self.outcome.value, "summary": self.summary, "remedy": self.remedy,
                "evidence": [e.as_dict() for e in self.evidence]}


@dataclass
class Finding:
    """A guardrail's findings as it goes: what breaks it and what could not be decided."""

    guardrail: str
    title: str
    failed: list[Evidence] = field(default_factory=list)
    unknown: list[Evidence] = field(default_factory=list)
    seen: list[Evidence] = field(default_factory=list)

    def result(self, passed: str, failed: str, unknown: str, remedy: str = "") -> Result:
        """FAIL when anything broke it, else INCONCLUSIVE when anything was unknown, else PASS
        (with what was seen as its evidence)."""
        if self.failed:
            return Result(self.guardrail, self.title, Outcome.FAIL, failed, tuple(self.failed), remedy)
        if self.unknown:
            return Result(self.guardrail, self.title, Outcome.INCONCLUSIVE, unknown, tuple(self.unknown))
        return Result(self.guardrail, self.title, Outcome.PASS, passed, tuple(self.seen))


def overall(results: Iterable[Result], source: str = OURS) -> Outcome:
    """FAIL if one of ``source``'s results failed, INCONCLUSIVE if one was, else PASS."""
    outcomes = {r.outcome for r in results if r.source == source}
    for outcome in (Outcome.FAIL, Outcome.INCONCLUSIVE):
        if outcome in outcomes:
            return outcome
    return Outcome.PASS
