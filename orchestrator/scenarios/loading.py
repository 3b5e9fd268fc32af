"""Read a scenario file (YAML or JSON) into a :class:`ScenarioSet`, or raise with every problem, one
line each naming the file (and line), the item (a scenario, a criterion, the weights) and the field.

The criteria are the file's own list when it has one, else the catalog's (``seeds/criteria.yaml``:
the 17 of the 2020 letter), numbered 1..n; ``directions`` and ``scales`` set theirs per criterion
over the file's defaults ``direction`` and ``scale``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from orchestrator.catalog.problems import field_path, pydantic_message
from orchestrator.errors import InputError
from orchestrator.scenarios.checker import Checker
from orchestrator.scenarios.model import Criterion, Scenario, ScenarioSet, Score
from orchestrator.scenarios.schema import RawFile, RawScenario
from orchestrator.scenarios.weights import describe, resolve_weights


def load_scenarios(path: Path, catalog_path: Path | None = None) -> ScenarioSet:
    """The validated scenario file at ``path``; the catalog at ``catalog_path`` (default: the
    project's) is read only when the file lists no criteria of its own."""
    from orchestrator.catalog.documents import DocumentError, read_document

    if not path.is_file():
        raise InputError(f"{path}: scenario file not found")
    try:
        data = read_document(path)
    except DocumentError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise InputError(f"{where}: {exc}") from None
    check = Checker(path)
    raw = _parse(data, check)
    check.raise_any()
    assert raw is not None
    criteria, origin = _criteria(raw, check, catalog_path)
    check.raise_any()
    weights = resolve_weights(raw.weights, criteria, check)
    scenarios = tuple(_scenario(s, i, criteria, check) for i, s in enumerate(raw.scenarios))
    _unique([s.id for s in scenarios], "scenarios", check)
    check.raise_any()
    return ScenarioSet(path=str(path), title=raw.title, question=raw.question, criteria=criteria,
                       weights=weights, scenarios=scenarios, criteria_from=origin,
                       weights_note=raw.weights.note or raw.weights.source,
                       weights_assumed=raw.weights.assumed, weights_given=describe(raw.weights))


def _parse(data: Any, check: Checker) -> RawFile | None:
    if not isinstance(data, dict):
        check.add("(file)", "(top)", "a scenario file is a mapping with title, scenarios and weights")
        return None
    try:
        return RawFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            item, rest = _item_of(loc, data)
            check.add(item, field_path(rest), pydantic_message(error), loc)
        return None


def _item_of(loc: tuple[Any, ...], data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """The item a pydantic error is about (a scenario by its id, a criterion, the weights) and the
    rest of its location."""
    head = loc[0] if loc else "(file)"
    if head in ("scenarios", "criteria") and len(loc) > 1 and isinstance(loc[1], int):
        entries = data.get(head)
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        word = "scenario" if head == "scenarios" else "criterion"
        return (f"{word} {name!r}" if name is not None else f"{head}[{loc[1]}]"), loc[2:]
    if head == "weights":
        return "weights", loc[1:]
    return "(file)", loc


def _unique(ids: list[str], section: str, check: Checker) -> None:
    seen: set[str] = set()
    for position, key in enumerate(ids):
        if key in seen:
            check.add(f"{section}[{position}]", "id", f"{key!r} appears twice", (section, position, "id"))
        seen.add(key)


def _criteria(raw: RawFile, check: Checker, catalog_path: Path | None) -> tuple[tuple[Criterion, ...], str]:
    """The file's criteria, else the catalog's; each with its direction and scale."""
    if raw.criteria is not None:
        listed = [(str(c.id), c.name, c.group, c.direction, c.scale) for c in raw.criteria]
        origin = "the file"
        _unique([entry[0] for entry in listed], "criteria", check)
    else:
        import os

        from orchestrator.catalog.loader import CATALOG_ENV, load_catalog

        catalog = load_catalog(catalog_path)
        listed = [(str(c.number), c.name, c.group, None, None) for c in catalog.criteria]
        origin = str(catalog_path or os.environ.get(CATALOG_ENV) or "seeds/")
        if not listed:
            check.add("(file)", "criteria", f"none listed, and the catalog {origin} has none")
    known = {entry[0] for entry in listed}
    for section in ("directions", "scales"):
        for key in getattr(raw, section):
            if str(key) not in known:
                check.add(section, str(key), _unknown(key, [entry[0] for entry in listed]), (section, key))
    criteria = []
    for cid, name, group, direction, scale in listed:
        low, high = scale or _keyed(raw.scales, cid) or raw.scale
        if not low < high:
            check.add(f"criterion {cid!r}", "scale", f"{low:g}..{high:g}: the low end must be below the "
                      "high end")
            continue
        chosen = direction or _keyed(raw.directions, cid) or raw.direction
        criteria.append(Criterion(cid, name, group, chosen, low, high))
    return tuple(criteria), origin


def _keyed(mapping: dict[Any, Any], cid: str) -> Any:
    """``mapping``'s value for criterion ``cid`` whether the file wrote the key as 7 or "7"."""
    return next((value for key, value in mapping.items() if str(key) == cid), None)


def _unknown(key: Any, ids: list[str]) -> str:
    shown = f"{ids[0]}..{ids[-1]}" if all(i.isdigit() for i in ids) else ", ".join(ids)
    return f"unknown criterion {str(key)!r} (the criteria are {shown})"


def _scenario(raw: RawScenario, position: int, criteria: tuple[Criterion, ...], check: Checker) -> Scenario:
    item = f"scenario {raw.id!r}"
    given = {str(key): (key, score) for key, score in raw.scores.items()}
    ids = [c.id for c in criteria]
    for cid, (key, _score) in given.items():
        if cid not in ids:
            check.add(item, f"scores.{cid}", _unknown(key, ids), ("scenarios", position, "scores", key))
    scores: dict[str, Score] = {}
    for criterion in criteria:
        if criterion.id not in given:
            check.add(item, f"scores.{criterion.id}", "missing score", ("scenarios", position, "scores"))
            continue
        key, value = given[criterion.id]
        where = ("scenarios", position, "scores", key)
        if not criterion.low <= value.score <= criterion.high:
            check.add(item, f"scores.{criterion.id}.score", f"{value.score:g} is outside the scale "
                      f"{criterion.low:g}..{criterion.high:g}", (*where, "score"))
        if value.source is None and not value.assumed:
            check.add(item, f"scores.{criterion.id}", "no source: give one, or mark it assumed: true "
                      "with a note", where)
        elif value.assumed and value.note is None and raw.note is None:
            check.add(item, f"scores.{criterion.id}.note", "assumed, but no note says why (give one "
                      "here or in the scenario's note)", where)
        scores[criterion.id] = Score(value.score, value.source, value.assumed, value.note or
                                     (raw.note if value.assumed else None))
    return Scenario(raw.id, raw.name or raw.id, scores, raw.chosen, raw.note)
