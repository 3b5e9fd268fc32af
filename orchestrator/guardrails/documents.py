"""Reading the track's YAML files (a policy, a runbook) strictly, each problem naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.errors import InputError


def read_mapping(path: Path, shape: str) -> dict[str, Any]:
    """The mapping in ``path``; InputError naming the file (and the line) when it is none."""
    from orchestrator.catalog.documents import DocumentError, read_document

    try:
        document = read_document(path)
    except DocumentError as exc:
        line = f" (line {exc.line})" if exc.line else ""
        raise InputError(f"{path}{line}: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(f"{path}: not a mapping; expected {shape}")
    return document
