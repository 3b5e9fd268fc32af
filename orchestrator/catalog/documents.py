"""Reading catalog files into plain documents, strictly and fast, and finding an item's line later.

YAML is read with libyaml's C parser when PyYAML has it (the pure-Python parser otherwise), through
a loader that rejects duplicate keys and keeps dates as text, so that an impossible date such as
2027-02-30 reaches validation and is reported against its item and field, like any other bad
value. JSON (large catalogs exported from a CMDB) is read by the ``json`` module, also rejecting
duplicate keys. Line numbers are looked up only for files that have problems.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

SUFFIXES = (".yaml", ".yml", ".json")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


class DocumentError(Exception):
    """A file that cannot be read as a document; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def _without_timestamps(resolvers: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {first: [(tag, regexp) for tag, regexp in entries if tag != _TIMESTAMP]
            for first, entries in resolvers.items()}


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe YAML, C parser when present; duplicate keys rejected; dates left as text."""

    yaml_implicit_resolvers = _without_timestamps(_Base.yaml_implicit_resolvers)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise DocumentError(f"duplicate key {key_node.value!r} (first on line "
                                    f"{seen[key_node.value]})", line)
            seen[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)


def read_document(file: Path) -> Any:
    """The file's content as plain data; DocumentError with the line for what is not readable."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read: {exc}") from None
    if file.suffix == ".json":
        return _read_json(text)
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DocumentError(f"malformed YAML: {problem}",
                            mark.line + 1 if mark is not None else None) from None


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                owner = f" in the object with id {mapping['id']!r}" if "id" in mapping else ""
                raise DocumentError(f"duplicate key {key!r}{owner}")
            seen.add(key)
    return mapping


def _read_json(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"malformed JSON: {exc.msg}", exc.lineno) from None


def locate(file: Path, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the node at ``path`` (keys and list positions) in a YAML file, or of
    its deepest existing ancestor; None for JSON files or when the file cannot be composed."""
    if file.suffix == ".json":
        return None
    try:
        node = yaml.compose(file.read_text(encoding="utf-8"), Loader=StrictLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    line = None
    for step in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        node = _child(node, step)
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                return value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None
