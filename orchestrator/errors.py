"""The small exception tree every part raises and the CLI turns into one line and an exit code.

Each type means something a caller can act on; ``exit_code`` is what the command line returns.
"""

from __future__ import annotations


class LogiusMigrateError(Exception):
    """Base of every expected failure; the message is a complete sentence for the user."""

    exit_code = 1


class InputError(LogiusMigrateError):
    """The user gave something unusable (a bad option value, a missing file)."""

    exit_code = 2


class CatalogError(InputError):
    """The catalog is invalid. ``problems`` holds one line per problem, all of them at once."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(f"the catalog has {len(self.problems)} problem(s)")


class PlanInfeasible(LogiusMigrateError):
    """The constraints cannot all hold; ``conflicts`` names each conflict in one line."""

    exit_code = 3

    def __init__(self, conflicts: list[str]):
        self.conflicts = list(conflicts)
        super().__init__("no plan satisfies the constraints: " + "; ".join(self.conflicts))
