"""docs/architecture.md is true of the code: its parts table names the parts each part really
imports, its layers are the layer test's, and its concurrency is the code's constant."""

from __future__ import annotations

import re

from orchestrator.engine.executors.terraform import STACKS_AT_ONCE
from tests.conftest import PROJECT
from tests.test_boundaries import LAYERS, import_lines, part_of

DOC = (PROJECT / "docs" / "architecture.md").read_text()
BASE = LAYERS[0]


def documented_imports() -> dict[str, set[str]]:
    rows = re.findall(r"^\| `(\w+)` \| .* \|([^|]*)\|$", DOC, re.MULTILINE)
    return {part: set(re.findall(r"`(\w+)`", imports)) for part, imports in rows}


def test_the_parts_table_names_what_each_part_imports():
    real: dict[str, set[str]] = {}
    for module, _, target in import_lines():
        a, b = part_of(module), part_of(target)
        if a != b and b not in BASE:
            real.setdefault(a, set()).add(b)
    documented = documented_imports()
    assert len(documented) >= 12
    assert {p: sorted(i) for p, i in documented.items() if p != "cli"} == \
        {p: sorted(real.get(p, set())) for p in documented if p != "cli"}


def test_the_layers_listed_are_the_layer_tests():
    listed = re.findall(r"^\d+\. (.*)$", DOC.split("## Parts", 1)[1], re.MULTILINE)
    named = [set(re.findall(r"`(\w+)`", line)) for line in listed]
    expected = [layer - {"orchestrator"} for layer in LAYERS]
    assert named == expected


def test_the_stacks_at_a_time_are_the_codes():
    assert f"`STACKS_AT_ONCE` = {STACKS_AT_ONCE} at a time" in DOC
