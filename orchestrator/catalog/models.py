"""Typed models of the service catalog: what `seeds/` may say and what it means.

Every model forbids unknown fields, so a typo in the YAML is an error naming the field rather than
a value silently ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RELEASE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")


def check_slug(value: str) -> str:
    """Accept a safe identifier: lowercase letters, digits and inner hyphens, at most 64 long."""
    if not SLUG_PATTERN.match(value):
        raise ValueError(
            f"unsafe id {value!r}: use 1-64 lowercase letters, digits and inner hyphens"
        )
    return value




class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Domain(StrEnum):
    ACCESS = "Access"
    INTERACTION = "Interaction"
    PUBLICATION = "Publication"
    DATA_EXCHANGE = "Data exchange"
    INFRASTRUCTURE = "Infrastructure"


class Size(StrEnum):
    S = "S"
    M = "M"
    L = "L"
    XL = "XL"

    @property
    def rank(self) -> int:
        return ("S", "M", "L", "XL").index(self.value)


class Criticality(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VITAL = "vital"

    @property
    def rank(self) -> int:
        return ("low", "medium", "high", "vital").index(self.value)


class Disposition(StrEnum):
    REHOST = "rehost"
    REBUILD = "rebuild"
    NEW_BUILD = "new-build"
    RETIRE = "retire"


class DependencyKind(StrEnum):
    HARD = "hard"
    SOFT = "soft"


class SyncMethod(StrEnum):
    RSYNC = "rsync"
    DB_REPLICATION = "db-replication"
    SNAPSHOT = "snapshot"
    NONE = "none"


class Dependency(_Model):
    """``service`` must be reachable on the target before a hard dependant moves there."""

    service: str
    kind: DependencyKind = DependencyKind.HARD
    why: str | None = None


class Window(_Model):
    """A closed date range (both ends included) in which the service must not be migrated."""

    start: dt.date
    end: dt.date
    reason: str

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class ContractChange(_Model):
    """A planned switch of application-services contract; never in the same wave as the move."""

    date: dt.date
    description: str


class HostGroups(_Model):
    legacy: list[str] = Field(default_factory=list)
    target: list[str] = Field(default_factory=list)

    @field_validator("legacy", "target")
    @classmethod
    def _safe_names(cls, names: list[str]) -> list[str]:
        for name in names:
            check_slug(name)
        return names


class DataStore(_Model):
    name: str
    size_gb: float = Field(ge=0)
    sync: SyncMethod

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return check_slug(value)


#: The steps of the runbooks, the keys a service's ``step_policy`` may name.
StepName = Literal["provision", "prepare-target", "replicate-data", "freeze", "final-sync", "archive",
                   "cutover", "verify", "decommission"]


class StepPolicy(_Model):
    """A service's own retry policy and timeout for one step, over the runbook's defaults."""

    attempts: int | None = Field(default=None, ge=1, le=20)
    wait_seconds: float | None = Field(default=None, ge=0)
    timeout_seconds: int | None = Field(default=None, ge=1)


class Service(_Model):
    """One national service and everything the planner and the runbook need to know about it."""

    id: str
    name: str = Field(min_length=1)
    domain: Domain
    size: Size
    criticality: Criticality
    availability_norm: float = Field(default=99.8, gt=0, le=100)
    disposition: Disposition
    dependencies: list[Dependency] = Field(default_factory=list)
    blackout_windows: list[Window] = Field(default_factory=list)
    contract_change: ContractChange | None = None
    min_release: str | None = None
    not_before: dt.date | None = None
    deadline: dt.date | None = None
    hosts: HostGroups = Field(default_factory=HostGroups)
    data_stores: list[DataStore] = Field(default_factory=list)
    step_policy: dict[StepName, StepPolicy] = Field(default_factory=dict)
    source: str = Field(min_length=1)
    assumptions: list[str] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return check_slug(value)

    @property
    def is_pilot_candidate(self) -> bool:
        """Small and at most medium criticality: the kind of service that goes first."""
        return self.size is Size.S and self.criticality in (Criticality.LOW, Criticality.MEDIUM)

    @property
    def moves(self) -> bool:
        """False for a service that is retired (decommissioned) instead of moved."""
        return self.disposition is not Disposition.RETIRE


class ReleaseStatus(StrEnum):
    PLANNED = "planned"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Release(_Model):
    """An LPC infrastructure release from the supplier; waves may use it from ``available`` on."""

    id: str
    name: str
    delivered: dt.date | None = None
    available: dt.date | None = None
    status: ReleaseStatus
    source: str = Field(min_length=1)
    assumptions: list[str] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not RELEASE_PATTERN.match(value):
            raise ValueError(f"unsafe release id {value!r}: use lowercase letters, digits, '.' and '-'")
        return value


class Fact(_Model):
    """A figure or date from the source documents, with the document it comes from."""

    id: str
    statement: str
    value: Union[dt.date, float, str]
    unit: str | None = None
    source: str = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return check_slug(value)


class Criterion(_Model):
    number: int = Field(ge=1)
    group: str
    name: str
    source: str = Field(min_length=1)


class CostModel(_Model):
    """Unlawful-extension exposure as a straight line through the two figures the documents give."""

    base_exposure_meur: float = Field(gt=0)
    paused_months: int = Field(gt=0)
    exposure_after_pause_meur: float = Field(gt=0)
    stated_increase_pct: float | None = None
    source: str = Field(min_length=1)

    @property
    def monthly_meur(self) -> float:
        return (self.exposure_after_pause_meur - self.base_exposure_meur) / self.paused_months

    def exposure_after_delay(self, months: float) -> float:
        """Total exposure in M EUR if the legacy contracts run ``months`` longer than planned."""
        return self.base_exposure_meur + self.monthly_meur * max(0.0, months)


class Calendar(_Model):
    legacy_contract_end: dt.date
    planning_start: dt.date | None = None
    source: str = Field(min_length=1)


class Source(_Model):
    title: str
    year: int
    about: str | None = None

    @property
    def citation(self) -> str:
        return f"{self.title}, {self.year}"


ASSUMABLE_FIELDS = frozenset(Service.model_fields) - {"id", "source", "assumptions", "notes"}
