"""The problems of one scenario file, each one line naming the file (and line), the item and the field."""

from __future__ import annotations

from pathlib import Path

from orchestrator.catalog.problems import Problems
from orchestrator.errors import CatalogError, InputError


class Checker:
    """Collects the problems of one file: ``add(item, field, text, where)``."""

    def __init__(self, path: Path) -> None:
        self.file = str(path)
        self.problems = Problems()
        self.problems.paths[self.file] = path

    def add(self, item: str, field: str, text: str, where: tuple[str | int | None, ...] = ()) -> None:
        self.problems.add(self.file, f"{item}: {field}: {text}", where)

    def raise_any(self) -> None:
        """One problem: that one line (exit 2); several: each line, then how many."""
        if not self.problems:
            return
        lines = self.problems.lines()
        if len(lines) == 1:
            raise InputError(lines[0])
        raise CatalogError(lines, what=f"the scenario file {self.file}")
