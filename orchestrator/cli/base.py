"""What every command shares: the one error handler, the common options, output helpers.

Only click is imported here, so `logius-migrate --help` starts fast; commands import the parts
they need inside their own bodies.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

EXIT_CODES = """\b
Exit codes:
  0  success
  1  the operation failed, or an internal error (traceback in the log file named); `journal
     verify`: a record was altered, removed or inserted (each one named)
  2  bad input: invalid catalog, option or argument
  3  infeasible: no plan satisfies the constraints
  4  locked: another operator holds the lease (the message names the owner)
  5  stopped at an approval gate (re-run with --approve, or answer the prompt)
  6  rollback refused: it would cross a point of no return (use --force --reason)
  7  partial: some services of the wave were held (a check or a step failed), the others
     went on; `wave resume` retries the held ones
  8  release validate: no check failed, but some could not be made (INCONCLUSIVE)
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM at a safe point; `wave resume` continues
  141  the output was closed early (e.g. piped into head)"""


class LogiusGroup(click.Group):
    """A group whose invoke is the single error handler: one line per problem, a meaningful exit."""

    def invoke(self, ctx: click.Context) -> Any:
        from orchestrator.errors import LogiusMigrateError, PlanInfeasible

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            quiet_stdout()
            ctx.exit(141)
        except PlanInfeasible as exc:
            click.echo(f"error: {exc.headline}:", err=True)
            for conflict in exc.conflicts:
                click.echo(f"error: {conflict}", err=True)
            ctx.exit(exc.exit_code)
        except LogiusMigrateError as exc:
            for problem in getattr(exc, "problems", []):  # several reasons, one line each
                click.echo(f"error: {problem}", err=True)
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:  # noqa: BLE001 - the last line of defence, logged in full
            import logging

            from orchestrator.cli.logs import LOGGER, log_path

            logger = logging.getLogger(LOGGER)
            logger.debug("--- %s\n%s", " ".join(safe_argv(sys.argv)), traceback.format_exc())
            written = any(getattr(h, "baseFilename", None) for h in logger.handlers)
            where = f"; traceback in {log_path()}" if written else ""
            click.echo(f"internal error: {type(exc).__name__}: {exc}{where}", err=True)
            ctx.exit(1)


def safe_argv(argv: list[str]) -> list[str]:
    """The command line with the password of any URL in it masked, fit for a log file."""
    import re

    return [re.sub(r"(://[^:/@\s]+:)[^@\s]*@", r"\1***@", arg) for arg in argv]


def quiet_stdout() -> None:
    """The reader of stdout went away (``| head``): send what is left nowhere, without a
    traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class Day(click.ParamType):
    """A calendar day as YYYY-MM-DD; an impossible date says what is wrong with it."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import datetime as dt
        import re

        if isinstance(value, dt.date):
            return value
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
            self.fail(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2027-03-01", param, ctx)
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            self.fail(f"{value!r} is not a date: {exc}", param, ctx)


def catalog_option(func: Any) -> Any:
    return click.option(
        "--catalog", "catalog_path", type=click.Path(path_type=Path), default=None,
        envvar="LOGIUS_MIGRATE_CATALOG", show_envvar=True,
        help="Catalog folder or YAML file [default: the project's seeds/].")(func)


def format_option(*choices: str) -> Any:
    def decorate(func: Any) -> Any:
        return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                            show_default=True, help="Output format.")(func)
    return decorate


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def console() -> Any:
    """A rich console whose closed pipe ends like every other command's: quietly, exit 141."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            quiet_stdout()
            raise SystemExit(141)

    return _Console(highlight=False, soft_wrap=False)


def verbosity() -> int:
    """-1 with --quiet, 0 by default, 1 or 2 with -v or -vv (the root command's options)."""
    context = click.get_current_context(silent=True)
    root = context.find_root() if context else None
    return (root.obj or {}).get("verbosity", 0) if root else 0


def by_option() -> Any:
    """``--by NAME``: who does this (the rule is :mod:`orchestrator.identity`'s)."""
    return click.option("--by", "by", default=None, metavar="NAME",
                        help="Who does this [default: $LOGIUS_MIGRATE_OPERATOR, else your login name].")
