"""What a catalog's loading found wrong, and where: each problem one line naming the file (with
the line, for YAML), the item and the field. The loader and its cross-checks both add to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.catalog.documents import compose, locate


@dataclass(frozen=True)
class Item:
    """A validated item and where it came from: the file, and its position in its section."""

    file: str
    position: int | None
    model: Any


class Problems:
    """Problems found so far, each with the file and the path of the node it is about; the YAML
    line of that node is looked up only when the problems are listed (files with none are never
    read twice)."""

    def __init__(self) -> None:
        self.paths: dict[str, Path] = {}
        self._entries: list[tuple[str, str, tuple[str | int | None, ...], int | None]] = []

    def add(self, file: str, text: str, where: tuple[str | int | None, ...] = (),
            line: int | None = None) -> None:
        self._entries.append((file, text, where, line))

    def __bool__(self) -> bool:
        return bool(self._entries)

    def lines(self) -> list[str]:
        """One line per problem, grouped by file (each file's problems keep their order)."""
        out = []
        trees: dict[str, Any] = {}  # each file with problems is composed once
        for file, text, where, line in sorted(self._entries, key=lambda e: e[0]):
            path = self.paths.get(file)
            if line is None and where and path is not None:
                if file not in trees:
                    trees[file] = compose(path)
                line = locate(trees[file], where)
            out.append(f"{file}:{line}: {text}" if line is not None else f"{file}: {text}")
        return out


def field_path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(item)"


def pydantic_message(error: Mapping[str, Any]) -> str:
    msg = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    # A secret source that went wrong may hold a value: never echo it.
    if error["type"] not in {"value_error", "missing", "extra_forbidden", "secret_source"}:
        msg += f" (got {error.get('input')!r})"
    return msg
