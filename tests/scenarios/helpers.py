"""Scenario files for the tests: a small 3x3 case computed by hand, written as YAML."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

#: Three criteria on three scales; X, Y, Z scored so that the normalised matrix is
#: X [1, 0.8, 0.4], Y [0.5, 1, 1], Z [0, 0, 0] (b is a cost: 2 of 0..10 gives 0.8).
SMALL: dict[str, Any] = {
    "title": "three by three",
    "criteria": [
        {"id": "a", "name": "quality", "group": "G1", "scale": [1, 5]},
        {"id": "b", "name": "cost", "group": "G1", "direction": "cost", "scale": [0, 10]},
        {"id": "c", "name": "reach", "group": "G2", "scale": [0, 100]},
    ],
    "weights": {"criteria": {"a": 5, "b": 3, "c": 2}},  # 0.5, 0.3, 0.2 once normalised
    "scenarios": [
        {"id": "x", "name": "X", "scores": {"a": {"score": 5, "source": "doc A"},
                                            "b": {"score": 2, "source": "doc A"},
                                            "c": {"score": 40, "assumed": True, "note": "a guess"}}},
        {"id": "y", "name": "Y", "note": "all assumed", "scores": {
            "a": {"score": 3, "assumed": True}, "b": {"score": 0, "assumed": True},
            "c": {"score": 100, "assumed": True}}},
        {"id": "z", "name": "Z", "scores": {"a": {"score": 1, "source": "doc B"},
                                            "b": {"score": 10, "source": "doc B"},
                                            "c": {"score": 0, "source": "doc B"}}},
    ],
}


def small(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data


def write(folder: Path, data: dict[str, Any], name: str = "scenarios.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
