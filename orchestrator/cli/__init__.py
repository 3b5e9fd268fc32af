"""The `logius-migrate` command line: parse, call one function of a part, render the result."""

from __future__ import annotations

import click

from orchestrator import __version__
from orchestrator.cli.base import EXIT_CODES, LogiusGroup
from orchestrator.cli.catalog import catalog_group
from orchestrator.cli.lab import lab_group
from orchestrator.cli.plan import plan_cmd
from orchestrator.cli.waves import journal_group, rollback_cmd, runbook_cmd, wave_group


@click.group(cls=LogiusGroup, epilog=EXIT_CODES,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="logius-migrate")
def cli() -> None:
    """Plan, rehearse, run, resume, roll back and audit the migration of Logius services from the
    legacy platform to the Logius Private Cloud (LPC).

    The catalog (services, dependencies, releases, calendar, cost model) is read from seeds/ or
    from --catalog / $LOGIUS_MIGRATE_CATALOG. Every command takes --format json for scripts.
    """


for command in (catalog_group, plan_cmd, lab_group, runbook_cmd, wave_group, rollback_cmd,
                journal_group):
    cli.add_command(command)


def main() -> None:
    import sys

    from orchestrator.cli.base import quiet_stdout

    try:
        code = cli.main(prog_name="logius-migrate", standalone_mode=False)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`| head`): no traceback, the shell's 141
        quiet_stdout()
        sys.exit(141)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
