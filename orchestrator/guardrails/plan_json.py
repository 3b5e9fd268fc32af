"""A plan in ``terraform show -json``'s format built from a module's own parsed resources (python-hcl2)
and given variable values, for the tests and the benchmark: a change to the module changes the
plan the guardrails are tested on. No provider is involved, so what only the provider or an apply
knows (ids, a function's result) is marked unknown, as Terraform marks it (``after_unknown``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

FORMAT_VERSION = "1.2"
META = frozenset({"count", "for_each", "depends_on", "lifecycle", "provider"})
_WHOLE = re.compile(r"^\$\{([^${}]+)\}$")
_PART = re.compile(r"\$\{([^${}]+)\}")
_REFERENCE = re.compile(r"\b(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z0-9_-]+"
                        r"(?:\[[^\]]*\])?(?:\.[A-Za-z0-9_]+)?")
UNKNOWN = object()


def parse_module(directory: Path) -> dict[str, Any]:
    """Every ``*.tf`` of ``directory`` parsed (strings unquoted, blocks marked), merged by block type."""
    import hcl2

    options = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)
    merged: dict[str, list[Any]] = {}
    for file in sorted(directory.glob("*.tf")):
        for kind, blocks in hcl2.loads(file.read_text(), serialization_options=options).items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


class Scope:
    """Variables (defaults, then the given values) and locals, for evaluating expressions."""

    def __init__(self, module: dict[str, Any], values: dict[str, Any]):
        self.variables = {name: body.get("default") for block in module.get("variable", [])
                          for name, body in block.items()} | values
        self.raw_locals = {k: v for block in module.get("locals", []) for k, v in block.items()
                           if k != "__is_block__"}
        self.index: int | None = None

    def lookup(self, expression: str) -> Any:
        expression = expression.strip()
        head, _, name = expression.partition(".")
        if head == "var" and name in self.variables:
            return self.variables[name]
        if head == "local" and name in self.raw_locals:
            return evaluate(self.raw_locals[name], self)[0]
        if expression == "count.index" and self.index is not None:
            return self.index
        return UNKNOWN


def evaluate(value: Any, scope: Scope) -> tuple[Any, Any, Any]:
    """(value, unknown mark, configuration expression) of one parsed attribute."""
    if isinstance(value, list) and value and all(_is_block(v) for v in value):
        parts = [_object(v, scope) for v in value]
        return [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts]
    if isinstance(value, list):
        parts = [evaluate(v, scope) for v in value]
        return ([None if p[0] is UNKNOWN else p[0] for p in parts], [p[1] for p in parts],
                _expression(value))
    if isinstance(value, dict):
        return _object(value, scope)
    if not isinstance(value, str) or "${" not in value:
        return value, False, {"constant_value": value}
    return _string(value, scope), _string(value, scope) is UNKNOWN, _expression(value)


def _string(value: str, scope: Scope) -> Any:
    whole = _WHOLE.match(value)
    if whole:
        return scope.lookup(whole.group(1))
    parts = [scope.lookup(m.group(1)) for m in _PART.finditer(value)]
    if any(p is UNKNOWN or isinstance(p, dict | list) for p in parts):
        return UNKNOWN
    values = iter(parts)
    return _PART.sub(lambda _m: str(next(values)), value)


def _object(body: dict[str, Any], scope: Scope) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    values: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    expressions: dict[str, Any] = {}
    for key, raw in body.items():
        if key == "__is_block__" or key in META:
            continue
        value, mark, expression = evaluate(raw, scope)
        if value is not UNKNOWN:
            values[key] = value
        if mark:
            unknown[key] = mark
        expressions[key] = expression
    return values, unknown, expressions


def _expression(raw: Any) -> dict[str, Any]:
    text = str(raw)
    references = sorted({m.group(0) for m in _REFERENCE.finditer(text)} |
                        set(re.findall(r"\b(?:var|local)\.[A-Za-z0-9_]+", text)))
    return {"references": references} if references else {"constant_value": raw}


def _is_block(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__is_block__") is True


def resources(module: dict[str, Any], scope: Scope) -> list[dict[str, Any]]:
    """One ``resource_changes`` entry per instance (``count`` expanded), and one configuration
    entry per resource."""
    changes: list[dict[str, Any]] = []
    for block in module.get("resource", []):
        for kind, named in block.items():
            for name, body in named.items():
                if name == "__is_block__":
                    continue
                changes.extend(_instances(kind, name, body, scope))
    return changes


def _instances(kind: str, name: str, body: dict[str, Any], scope: Scope) -> list[dict[str, Any]]:
    count = body.get("count")
    if isinstance(count, str):
        whole = _WHOLE.match(count)
        count = scope.lookup(whole.group(1)) if whole else None
    indexes: list[int | None] = list(range(int(count))) if count is not None else [None]
    found = []
    for index in indexes:
        scope.index = index
        after, unknown, _ = _object(body, scope)
        unknown |= {"id": True}
        address = f"{kind}.{name}" + (f"[{index}]" if index is not None else "")
        found.append({"address": address, "mode": "managed", "type": kind, "name": name,
                      **({"index": index} if index is not None else {}),
                      "provider_name": "registry.terraform.io/hashicorp/azurerm",
                      "change": {"actions": ["create"], "before": None, "after": after,
                                 "after_unknown": unknown}})
    scope.index = None
    return found


def build_plan(module: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The plan JSON of ``module`` (as :func:`parse_module` gives it) with ``values`` for its variables."""
    scope = Scope(module, values)
    changes = resources(module, scope)
    configuration = []
    for block in module.get("resource", []):
        for kind, named in block.items():
            for name, body in named.items():
                if name != "__is_block__":
                    configuration.append({"address": f"{kind}.{name}", "mode": "managed", "type": kind,
                                          "name": name, "expressions": _object(body, scope)[2]})
    planned = [{k: c[k] for k in ("address", "mode", "type", "name", "provider_name") if k in c}
               | {"values": c["change"]["after"]} for c in changes]
    return {"format_version": FORMAT_VERSION, "terraform_version": "1.9.8",
            "variables": {k: {"value": v} for k, v in scope.variables.items()},
            "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes,
            "configuration": {"root_module": {"resources": configuration}}}
