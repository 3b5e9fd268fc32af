"""Typed models of the service catalog: what `seeds/` may say and what it means.

Every model forbids unknown fields, so a typo in the YAML is an error naming the field rather than
a value silently ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")


def check_slug(value: str) -> str:
    """Accept a host or data-store name: lowercase letters, digits and inner hyphens, at most 64."""
    if not SLUG_PATTERN.match(value):
        raise ValueError(
            f"unsafe name {value!r}: use 1-64 lowercase letters, digits and inner hyphens"
        )
    return value


def check_id(value: str) -> str:
    """Accept an id: 1-128 letters, digits, '-', '_' and '.', not starting with a dot. Case is
    kept. Ids become file and folder names on hosts and in the lab, hence no path separator."""
    if not ID_PATTERN.match(value):
        raise ValueError(f"unsafe id {value!r}: use 1-128 letters, digits, '-', '_' and '.', "
                         f"not starting with '.'")
    return value


Citation = Annotated[str, StringConstraints(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


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
    reason: str | None = None

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"end {end} is before start {start}")
        return end


class ContractChange(_Model):
    """A planned switch of application-services contract; never in the same wave as the move."""

    date: dt.date
    description: str | None = None


class HostGroups(_Model):
    legacy: list[str] = Field(default_factory=list)
    target: list[str] = Field(default_factory=list)

    @field_validator("legacy", "target")
    @classmethod
    def _safe_names(cls, names: list[str]) -> list[str]:
        for name in names:
            check_slug(name)
        return names


NO_HOSTS = HostGroups()


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


class KubernetesNeeds(_Model):
    """Where a service lands on the target cluster and what it asks of its namespace's quota."""

    namespace: str = Field(min_length=1, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    requests: dict[Literal["cpu", "memory", "storage", "pods"], str] = Field(default_factory=dict)
    deployment: str | None = None


class TrackWaiver(_Model):
    """Leave to migrate without a passed test track, until ``expires`` (PRE-AZT-001 warns)."""

    by: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    expires: dt.date


class TestTrack(_Model):
    """The build a service must take through a test track (PRE-AZT-001): a passed run of it,
    its environment destroyed, before the service's wave; or a waiver."""

    __test__ = False  # not a pytest class

    track: Literal["azure-test"]
    build: str = Field(min_length=1)
    waiver: TrackWaiver | None = None


class Service(_Model):
    """One national service and everything the planner and the runbook need to know about it."""

    id: str
    name: str = Field(min_length=1)
    domain: str = Field(min_length=1)
    size: Size
    criticality: Criticality
    availability_norm: float | None = Field(default=None, gt=0, le=100)
    disposition: Disposition
    dependencies: list[Dependency] = Field(default_factory=list)
    blackout_windows: list[Window] = Field(default_factory=list)
    contract_change: ContractChange | None = None
    min_release: str | None = None
    not_before: dt.date | None = None
    deadline: dt.date | None = None
    hosts: HostGroups = Field(default_factory=lambda: NO_HOSTS)  # frozen: one shared default
    data_stores: list[DataStore] = Field(default_factory=list)
    step_policy: dict[StepName, StepPolicy] = Field(default_factory=dict)
    #: Downtime the cutover is expected to cost, checked against the availability budget
    #: (by size when not given: S 15, M 30, L 60, XL 120 minutes).
    expected_downtime_minutes: float | None = Field(default=None, ge=0)
    #: How old the legacy platform's last backup may be when the migration starts.
    backup_max_age_hours: float = Field(default=24, gt=0)
    kubernetes: KubernetesNeeds | None = None
    #: The test track its build goes through before its wave (Digipoort: the Azure test track).
    test_track: TestTrack | None = None
    source: Citation | None = None
    assumptions: list[str] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return check_id(value)

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
    source: Citation | None = None
    assumptions: list[str] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return check_id(value)


class Fact(_Model):
    """A figure or date from the source documents, with the document it comes from."""

    id: str
    statement: str
    value: Union[dt.date, float, str] = Field(union_mode="left_to_right")
    unit: str | None = None
    source: Citation | None = None

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return check_id(value)


class Criterion(_Model):
    number: int = Field(ge=1)
    group: str
    name: str
    source: Citation | None = None


class CostModel(_Model):
    """The cost of running past the legacy contract end, as a straight line through two figures:
    the exposure expected, and the exposure after a pause of ``paused_months``. ``label`` names
    it in every output (Logius: unlawful-extension exposure)."""

    label: str = Field(default="cost of delay", min_length=1)
    base_exposure_meur: float = Field(ge=0)
    paused_months: int = Field(gt=0)
    exposure_after_pause_meur: float = Field(ge=0)
    stated_increase_pct: float | None = None
    source: Citation | None = None

    @field_validator("exposure_after_pause_meur")
    @classmethod
    def _not_decreasing(cls, value: float, info: ValidationInfo) -> float:
        base = info.data.get("base_exposure_meur")
        if base is not None and value < base:
            raise ValueError(f"{value} is below base_exposure_meur {base}: a delay cannot lower "
                             f"the cost")
        return value

    @property
    def monthly_meur(self) -> float:
        return (self.exposure_after_pause_meur - self.base_exposure_meur) / self.paused_months

    def exposure_after_delay(self, months: float) -> float:
        """Total exposure in M EUR if the legacy contracts run ``months`` longer than planned."""
        return self.base_exposure_meur + self.monthly_meur * max(0.0, months)


class Spread(_Model):
    """A stated distribution: ``none`` (always ``mode``), ``triangular`` (low, mode, high),
    ``uniform`` (low, high) or ``lognormal`` (median ``mode``, log-space ``sigma``)."""

    distribution: Literal["none", "triangular", "uniform", "lognormal"]
    low: float | None = Field(default=None, ge=0)
    mode: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)
    sigma: float | None = Field(default=None, gt=0)
    source: Citation | None = None

    @model_validator(mode="after")
    def _complete(self) -> Spread:
        needs = {"none": ("mode",), "triangular": ("low", "mode", "high"), "uniform": ("low", "high"),
                 "lognormal": ("mode", "sigma")}[self.distribution]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.distribution} spread needs {', '.join(missing)}")
        ends = [v for v in (self.low, self.mode if self.distribution == "triangular" else None,
                            self.high) if v is not None]
        if ends != sorted(ends):
            raise ValueError("give low <= mode <= high")
        return self


class ForecastSettings(_Model):
    """What `plan forecast` samples when the journal has no history of its own: the spread of a
    service's time in its wave (a multiple of the wave length), the delay of a release not yet
    accepted (months), and the slip of an open blocker past its due date (days)."""

    duration_spread: Spread = Spread(distribution="triangular", low=0.9, mode=1.0, high=1.4)
    release_delay_months: Spread = Spread(distribution="triangular", low=3, mode=6, high=12)
    blocker_slip_days: Spread = Spread(distribution="triangular", low=0, mode=14, high=42)
    #: Done executions of a step (across runs) needed before its recorded times replace the estimate.
    min_history: int = Field(default=1, ge=1)
    #: At most this many attempts at a step (a failed or transient attempt takes another draw).
    max_attempts: int = Field(default=10, ge=1, le=50)
    #: Whether a wave that is done before its planned end hands the time on to the next one
    #: (false: the wave keeps its slot, as the plan booked it; only overruns move the waves after).
    early_finish: bool = False
    source: Citation | None = None
    assumptions: list[str] = Field(default_factory=list)


MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
LOCAL_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$")


class Freeze(_Model):
    """A window in which no change is made, in Europe/Amsterdam time. One of three forms:
    a fixed window (``start``/``end`` as YYYY-MM-DD or YYYY-MM-DDTHH:MM local time; dates are
    whole days, both included); a yearly one (``every: year`` with MM-DD ends, which may cross the
    new year); or a country's public holidays (``holidays: NL``). ``level: caution`` only warns.
    ``services`` limits it to some services (all by default)."""

    name: str = Field(min_length=1)
    level: Literal["freeze", "caution"] = "freeze"
    every: Literal["year"] | None = None
    start: str | None = None
    end: str | None = None
    holidays: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    services: list[str] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Freeze:
        if self.holidays is not None:
            if self.start or self.end or self.every:
                raise ValueError("a holidays window takes no start, end or every")
            return self
        if not self.start or not self.end:
            raise ValueError("give start and end (or holidays: COUNTRY)")
        pattern = MONTH_DAY if self.every else LOCAL_MOMENT
        form = "MM-DD" if self.every else "YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        for name, value in (("start", self.start), ("end", self.end)):
            if not pattern.match(value):
                raise ValueError(f"{name} {value!r}: use {form}")
        if not self.every and _wall_end(self.end) <= dt.datetime.fromisoformat(self.start):
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


def _wall_end(end: str) -> dt.datetime:
    """The exclusive end of a fixed window in wall time: a date includes that whole day."""
    moment = dt.datetime.fromisoformat(end)
    return moment if "T" in end else moment + dt.timedelta(days=1)


class Calendar(_Model):
    """The dates the plan and its cost rest on, the availability norm services default to, and
    the change freezes the gates enforce."""

    legacy_contract_end: dt.date | None = None
    planning_start: dt.date | None = None
    availability_norm: float | None = Field(default=None, gt=0, le=100)
    #: The period over which the norm is kept (see orchestrator/policy/availability.py).
    availability_period: Literal["month", "quarter", "four-months", "year"] | None = None
    freezes: list[Freeze] = Field(default_factory=list)
    source: Citation | None = None


class Organisation(_Model):
    """Who the catalog belongs to and what it asks of itself.

    ``domains``, when given, are the only domains a service may name. ``citations: required``
    makes every item cite a listed source. The platform names appear in outputs."""

    name: str | None = None
    domains: list[str] | None = None
    citations: Literal["required", "optional"] = "optional"
    target_platform: str = Field(default="the target platform", min_length=1)
    legacy_platform: str = Field(default="the legacy platform", min_length=1)

    @field_validator("domains")
    @classmethod
    def _distinct(cls, domains: list[str] | None) -> list[str] | None:
        if domains is not None:
            if not domains:
                raise ValueError("list at least one domain, or leave domains out")
            repeated = sorted({d for d in domains if domains.count(d) > 1})
            if repeated:
                raise ValueError(f"listed twice: {', '.join(repeated)}")
        return domains


class Source(_Model):
    title: str
    year: int
    about: str | None = None

    @property
    def citation(self) -> str:
        return f"{self.title}, {self.year}"


ASSUMABLE_FIELDS = frozenset(Service.model_fields) - {"id", "source", "assumptions", "notes"}
