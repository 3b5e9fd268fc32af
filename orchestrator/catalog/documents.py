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


_STR, _SEQ, _MAP = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


class StrictLoader(_Base):
    """Safe YAML with the C parser when present; dates left as text; a lean resolver."""

    yaml_implicit_resolvers = _without_timestamps(_Base.yaml_implicit_resolvers)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


def _load_yaml(text: str) -> Any:
    """Compose with the (C) parser, then build plain data in one pass: duplicate keys rejected
    with both lines, shared (aliased) nodes built once. Tags other than the plain ones go through
    PyYAML's own safe constructor."""
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _Builder(loader).build(node)
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.built: dict[int, Any] = {}
        self.scalar = {"tag:yaml.org,2002:int": loader.construct_yaml_int,
                       "tag:yaml.org,2002:float": loader.construct_yaml_float,
                       "tag:yaml.org,2002:bool": loader.construct_yaml_bool,
                       "tag:yaml.org,2002:null": loader.construct_yaml_null}

    def build(self, node: Any) -> Any:
        tag = node.tag
        if tag == _STR and type(node) is yaml.ScalarNode:
            return node.value
        if tag in self.scalar and type(node) is yaml.ScalarNode:
            return self.scalar[tag](node)
        if tag == _MAP and type(node) is yaml.MappingNode:
            return self._mapping(node)
        if tag == _SEQ and type(node) is yaml.SequenceNode:
            known = self.built.get(id(node))
            if known is None:
                self.built[id(node)] = known = []
                known.extend(self.build(item) for item in node.value)
            return known
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: Any) -> Any:
        known = self.built.get(id(node))
        if known is not None:
            return known
        if any(k.tag == _MERGE for k, _ in node.value):
            return self.loader.construct_object(node, deep=True)  # '<<' merges: PyYAML's rules
        self.built[id(node)] = mapping = {}
        for key_node, value_node in node.value:
            key = key_node.value if key_node.tag == _STR else self.build(key_node)
            try:
                seen = key in mapping
            except TypeError:
                raise DocumentError("a mapping key must be a plain value",
                                    key_node.start_mark.line + 1) from None
            if seen:
                first = next(k for k, _ in node.value if k.value == key_node.value)
                raise DocumentError(f"duplicate key {key!r} (first on line "
                                    f"{first.start_mark.line + 1})", key_node.start_mark.line + 1)
            mapping[key] = self.build(value_node)
        return mapping


def read_document(file: Path) -> Any:
    """The file's content as plain data; DocumentError with the line for what is not readable."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read: {exc}") from None
    return parse_document(text, file.suffix)


def decode_document(raw: bytes) -> str:
    """A file's bytes as :func:`read_document` reads them (UTF-8, universal newlines), for a
    reader that keeps the bytes too; DocumentError when they are not UTF-8."""
    import io

    try:
        return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
    except UnicodeDecodeError as exc:
        raise DocumentError(f"cannot read: {exc}") from None


def parse_document(text: str, suffix: str) -> Any:
    """A document's text as plain data (JSON for ``.json``, else YAML); DocumentError with the line."""
    if suffix == ".json":
        return _read_json(text)
    try:
        return _load_yaml(text)
    except RecursionError:
        raise DocumentError("malformed YAML: nested too deeply") from None
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


def compose(file: Path) -> Any:
    """The YAML file's node tree (with line marks), or None for JSON files or when the file
    cannot be composed. Read only for files that have problems."""
    if file.suffix == ".json":
        return None
    try:
        return yaml.compose(file.read_text(encoding="utf-8"), Loader=StrictLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def locate(root: Any, path: Sequence[str | int | None]) -> int | None:
    """The 1-based line of the node at ``path`` (keys and list positions) below ``root`` (from
    :func:`compose`), or of its deepest existing ancestor; None without a tree."""
    node, line = root, None
    for step in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        node = _child(node, step)
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _child(node: Any, step: str | int | None) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                return value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None
