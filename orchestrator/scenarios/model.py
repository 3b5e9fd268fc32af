"""The validated content of a scenario file: criteria (with direction and scale), resolved weights
and scenarios with a score per criterion, each score sourced or marked as an assumption."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    BENEFIT = "benefit"  # more is better
    COST = "cost"  # less is better


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    group: str
    direction: Direction
    low: float  # the scale's worst-to-best range, low < high
    high: float

    def normalised(self, value: float) -> float:
        """``value`` on 0..1 over the scale, 1 the best: a cost criterion is inverted."""
        share = (value - self.low) / (self.high - self.low)
        return 1.0 - share if self.direction is Direction.COST else share


@dataclass(frozen=True)
class Score:
    value: float
    source: str | None = None
    assumed: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    scores: dict[str, Score]  # by criterion id, one for each criterion
    chosen: bool = False
    note: str | None = None


@dataclass(frozen=True)
class ScenarioSet:
    """A scenario file, validated. ``weights`` are per criterion, in ``criteria`` order, summing to 1."""

    path: str
    title: str
    criteria: tuple[Criterion, ...]
    weights: tuple[float, ...]
    scenarios: tuple[Scenario, ...]
    criteria_from: str  # "the file" or the catalog's path
    question: str | None = None
    weights_note: str | None = None
    weights_assumed: bool = False
    weights_given: str = "equal (none given)"

    @property
    def assumed_scores(self) -> int:
        return sum(1 for s in self.scenarios for score in s.scores.values() if score.assumed)
