"""The `logius-migrate` command line: parse, call one function of a part, render the result."""

from __future__ import annotations

import click

from orchestrator import __version__
from orchestrator.cli import forecast as _forecast  # noqa: F401 - registers plan forecast
from orchestrator.cli import plans as _plans  # noqa: F401 - registers plan save|approve|...
from orchestrator.cli.base import EXIT_CODES, LogiusGroup
from orchestrator.cli.blockers import blocker_group
from orchestrator.cli.catalog import catalog_group
from orchestrator.cli.checks import check_cmd
from orchestrator.cli.lab import lab_group
from orchestrator.cli.plan import plan_cmd
from orchestrator.cli.releases import release_group
from orchestrator.cli.report import report_cmd
from orchestrator.cli.scenarios import scenario_group
from orchestrator.cli.site import site_group
from orchestrator.cli.track import track_group
from orchestrator.cli.waves import journal_group, rollback_cmd, runbook_cmd, wave_group


def _show_versions(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: this tool's, and the real tools' it drives (Terraform's checked)."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    click.echo(f"logius-migrate {__version__}")
    try:
        click.echo(f"ansible-core {version('ansible-core')}, ansible-runner {version('ansible-runner')}")
    except PackageNotFoundError:
        click.echo("ansible-core: not installed")
    from orchestrator.errors import LogiusMigrateError
    from orchestrator.steps.terraform import SUPPORTED_VERSIONS, check_version

    supported = ", ".join(v + "x" for v in SUPPORTED_VERSIONS)
    try:
        click.echo(f"terraform {check_version()} (supported: {supported})")
    except LogiusMigrateError as exc:
        click.echo(f"terraform: {exc}")
    ctx.exit(0)


@click.group(cls=LogiusGroup, epilog=EXIT_CODES,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_versions,
              help="Show this tool's version and the versions of ansible-core and Terraform it drives.")
@click.option("-v", "--verbose", count=True, help="More detail on stderr: -v steps and events, -vv also "
              "Ansible's own output (the log file always has everything).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr (no progress).")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Plan, rehearse, run, resume, roll back and audit the migration of Logius services from the
    legacy platform to the Logius Private Cloud (LPC).

    The catalog (services, dependencies, releases, calendar, cost model) is read from seeds/ or
    from --catalog / $LOGIUS_MIGRATE_CATALOG. Waves run on a site (--site FILE), by default the
    local lab. Every command takes --format json for scripts. Shell completion:
    eval "$(_LOGIUS_MIGRATE_COMPLETE=bash_source logius-migrate)" (zsh_source, fish_source).
    """
    from orchestrator.cli.logs import configure

    verbosity = -1 if quiet else verbose
    ctx.obj = {"verbosity": verbosity}
    configure(verbosity)


for command in (catalog_group, plan_cmd, lab_group, site_group, runbook_cmd, check_cmd, wave_group,
                rollback_cmd, blocker_group, release_group, journal_group, scenario_group,
                report_cmd, track_group):
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
