"""The shape of a scenario file, as pydantic models: what each key may hold. What the keys must
agree on (known criteria, a score for each, within its scale, weights) is ``loading``'s to check."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orchestrator.scenarios.model import Direction

Text = Annotated[str, StringConstraints(min_length=1)]
Key = Annotated[str, StringConstraints(min_length=1)] | int  # a criterion: its id, or number
Scale = tuple[float, float]


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RawScore(_Raw):
    score: float
    source: Text | None = None
    assumed: bool = False
    note: Text | None = None


class RawCriterion(_Raw):
    id: Key
    name: Text
    group: Text = "criteria"
    direction: Direction | None = None
    scale: Scale | None = None


class RawWeights(_Raw):
    groups: dict[Text, float] = Field(default_factory=dict)
    criteria: dict[Key, float] = Field(default_factory=dict)
    source: Text | None = None
    assumed: bool = False
    note: Text | None = None


class RawScenario(_Raw):
    id: Text
    name: Text | None = None
    chosen: bool = False
    note: Text | None = None
    scores: dict[Key, RawScore]


class RawFile(_Raw):
    title: Text
    question: Text | None = None
    scale: Scale = (1.0, 5.0)
    direction: Direction = Direction.BENEFIT
    directions: dict[Key, Direction] = Field(default_factory=dict)
    scales: dict[Key, Scale] = Field(default_factory=dict)
    criteria: list[RawCriterion] | None = None
    weights: RawWeights = Field(default_factory=RawWeights)
    scenarios: list[RawScenario] = Field(min_length=2)
