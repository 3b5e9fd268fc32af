"""Every command answers in JSON for scripts: `--format json` exists everywhere and gives JSON."""

from __future__ import annotations

import json
from typing import Any

import click
import pytest

from orchestrator.cli import cli


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            found += _commands(sub, (*path, name))
        if not command.invoke_without_command:
            return found
    return [*found, (path, command)] if path else found


def _name(value: Any) -> str:
    return " ".join(value) if isinstance(value, tuple) else ""


@pytest.mark.parametrize("path,command", _commands(cli), ids=_name)
def test_every_command_takes_format_json(path: tuple[str, ...], command: click.Command) -> None:
    formats = [p for p in command.params if p.name == "fmt"]
    assert formats, f"`logius-migrate {' '.join(path)}` has no --format"
    assert isinstance(formats[0].type, click.Choice) and "json" in formats[0].type.choices


def test_journal_init_in_json(run_cli, tmp_path) -> None:
    db = tmp_path / "j.db"
    first = json.loads(run_cli("journal", "init", "--db", str(db), "--format", "json").output)
    again = json.loads(run_cli("journal", "init", "--db", str(db), "--format", "json").output)
    assert (first["created"], again["created"]) == (True, False)
    assert first["schema_version"] == again["schema_version"] > 0
