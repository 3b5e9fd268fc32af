"""Waivers of release checks: ``{id or pattern, reason, owner, expires}``, each applied, matching
nothing, or expired (then it no longer applies, and says so)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.checks import Outcome, Result


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = None
    pattern: str | None = None
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: dt.date

    @model_validator(mode="after")
    def _one_target(self) -> Waiver:
        if (self.id is None) == (self.pattern is None):
            raise ValueError("give either id or pattern (a regular expression over check ids)")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern {self.pattern!r}: {exc}") from None
        return self

    @property
    def target(self) -> str:
        return self.id or f"/{self.pattern}/"

    def matches(self, check_id: str) -> bool:
        if self.id is not None:
            return check_id == self.id
        return re.fullmatch(str(self.pattern), check_id) is not None


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: list[Waiver]


@dataclass(frozen=True)
class WaiverReport:
    applied: list[tuple[Waiver, list[str]]]
    unmatched: list[Waiver]
    expired: list[Waiver]


def load_waivers(path: Path) -> list[Waiver]:
    from pydantic import ValidationError

    from orchestrator.catalog.documents import DocumentError, read_document
    from orchestrator.catalog.loader import field_path, pydantic_message
    from orchestrator.errors import CatalogError

    try:
        data = read_document(path) if path.is_file() else None
    except DocumentError as exc:
        raise CatalogError([f"{path}: {exc}"], "the waivers file") from None
    if data is None:
        raise CatalogError([f"{path}: no waivers file here"], "the waivers file")
    try:
        return list(WaiverFile.model_validate(data).waivers)
    except ValidationError as exc:
        raise CatalogError([f"{path}: field '{field_path(e['loc'])}': {pydantic_message(e)}"
                            for e in exc.errors()], "the waivers file") from None


def apply_waivers(results: list[Result], waivers: list[Waiver], today: dt.date
                  ) -> tuple[list[Result], WaiverReport]:
    """Mark FAIL and INCONCLUSIVE results that an unexpired waiver covers as waived (they count
    as passing); an expired waiver changes nothing and is reported as such."""
    live = [w for w in waivers if w.expires >= today]
    expired = [w for w in waivers if w.expires < today]
    hits: dict[int, list[str]] = {}
    out = []
    for result in results:
        waiver = next((w for w in live if w.matches(result.check_id)), None)
        if waiver is not None and result.outcome in (Outcome.FAIL, Outcome.INCONCLUSIVE):
            hits.setdefault(id(waiver), []).append(result.check_id)
            result = replace(result, overridden_by=waiver.owner,
                             override_reason=f"waived until {waiver.expires}: {waiver.reason}")
        out.append(result)
    applied = [(w, hits[id(w)]) for w in live if id(w) in hits]
    unmatched = [w for w in live if id(w) not in hits]
    return out, WaiverReport(applied, unmatched, expired)
