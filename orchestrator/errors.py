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


class JournalUnavailable(LogiusMigrateError):
    """The journal's server cannot be reached; nothing was read or written."""

    exit_code = 1


class Interrupted(LogiusMigrateError):
    """A stop was requested (SIGINT, SIGTERM): the run stopped at a safe point, journalled
    ``interrupted``; ``wave resume`` continues it. The exit code follows the signal."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum


class Cancelled(LogiusMigrateError):
    """A running tool was stopped because a stop was requested; the engine turns it into
    Interrupted, never into a retry."""

    exit_code = 1




class Refused(InputError):
    """A command refused before changing anything; ``problems`` names each reason in one line."""

    def __init__(self, problems: list[str], summary: str):
        self.problems = list(problems)
        super().__init__(summary)


class CatalogError(InputError):
    """An input file is invalid (the catalog, or ``what`` else: a site file, a release manifest...).
    ``problems`` holds one line per problem, all of them at once."""

    def __init__(self, problems: list[str], what: str = "the catalog"):
        self.problems = list(problems)
        super().__init__(f"{what} has {len(self.problems)} problem(s)")


class PlanInfeasible(LogiusMigrateError):
    """The constraints cannot all hold; ``conflicts`` names each conflict in one line."""

    exit_code = 3

    def __init__(self, conflicts: list[str], headline: str = "no plan satisfies the constraints"):
        self.conflicts = list(conflicts)
        self.headline = headline
        super().__init__(f"{headline}: " + "; ".join(self.conflicts))


class LockHeld(LogiusMigrateError):
    """Someone else holds the lease; the message names the owner, host, process and expiry."""

    exit_code = 4


class StepFailed(LogiusMigrateError):
    """A step failed after its retries; the wave stopped. The journal holds every attempt."""

    exit_code = 1


class StalePlan(StepFailed):
    """A saved Terraform plan whose state moved since it was made: nothing was applied; the
    wave needs a new dry-run."""


class TransientStepError(LogiusMigrateError):
    """A fault worth retrying (unreachable host, a held Terraform state lock, a timeout)."""

    exit_code = 1


class StepTimeout(TransientStepError):
    """A step ran past its timeout and was stopped (retried if its policy allows)."""


class AwaitingApproval(LogiusMigrateError):
    """The run reached a human approval gate without approval; it stopped cleanly there."""

    exit_code = 5


class WavePartial(LogiusMigrateError):
    """The wave ran, but some services were held (a check or a step failed): the others went on.
    ``wave resume`` retries the held ones once the cause is gone."""

    exit_code = 7

    def __init__(self, message: str, held: dict[str, str]):
        super().__init__(message)
        self.held = dict(held)
        self.problems = [f"{sid}: {why}" for sid, why in sorted(held.items())]


class DestroyFailed(LogiusMigrateError):
    """A test track's environment could not be destroyed: it outlives its test (resources named)."""

    exit_code = 9


class RollbackRefused(LogiusMigrateError):
    """Rolling back would cross a point of no return without --force and a reason."""

    exit_code = 6
