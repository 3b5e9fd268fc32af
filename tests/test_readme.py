"""The README tells the truth: every command of its sessions runs, in order, on a lab in a fresh
folder, with the exit code and the first line of output the README shows. A renamed file, a
changed message or a command that no longer exists fails this test.

A session is a fenced block whose first line starts with ``$ ``. The sessions were recorded in
``RECORDED_IN`` with the clock the first session exports; the output's clock times (``[12:00:03]``)
and saved-at moments are compared as shapes, not values.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT

RECORDED_IN = "/tmp/logius-session"
RECORDED_PROJECT = "/work/main"  # the clone the sessions' tool ran from (paths of seeds/, terraform/)
VOLATILE = [
    (re.compile(r"\[\d\d:\d\d:\d\d\]"), "[hh:mm:ss]"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?"), "<moment>"),
    (re.compile(r"\d+(\.\d+)? s\b"), "<seconds> s"),
    # rollback points are numbered in the journal as services running side by side reach them
    (re.compile(r"(point|--to) \d+"), r"\1 <n>"),
    # the chain's length, and a record's place in it, follow how many events a wave's run wrote
    (re.compile(r"\b\d+ (chain record\(s\)|record\(s\)|records)"), r"<n> \1"),
    (re.compile(r"chain record \d+"), "chain record <n>"),
]


@dataclass
class Command:
    line: int
    text: str
    exit_code: int
    first_line: str | None


def sessions(readme: Path) -> list[Command]:
    """Every ``$ `` command of the README's sessions, with the exit code and first line shown."""
    commands: list[Command] = []
    block: list[tuple[int, str]] | None = None
    for number, line in enumerate(readme.read_text().splitlines(), start=1):
        if line.startswith("```"):
            if block is not None and block and block[0][1].startswith("$ "):
                commands += _commands(block)
            block = [] if block is None else None
        elif block is not None:
            block.append((number, line))
    return commands


def _commands(block: list[tuple[int, str]]) -> list[Command]:
    found = []
    for i, (number, line) in enumerate(block):
        if not line.startswith("$ "):
            continue
        output = []
        for _, after in block[i + 1:]:
            if after.startswith("$ "):
                break
            output.append(after)
        text = line[2:]
        code = 0
        if 'echo "exit $?"' in text:
            shown = [o for o in output if re.fullmatch(r"exit \d+", o)]
            code = int(shown[-1].split()[1]) if shown else 0
        first = next((o for o in output if o.strip()), None)
        if first is not None and re.fullmatch(r"exit \d+", first):
            first = None
        found.append(Command(number, text, code, first if first != "..." else None))
    return found


def normal(text: str, folder: str) -> str:
    text = text.replace(folder, RECORDED_IN).replace(str(PROJECT), RECORDED_PROJECT)
    for pattern, shape in VOLATILE:
        text = pattern.sub(shape, text)
    return " ".join(text.split())


def test_the_readme_has_sessions():
    commands = sessions(PROJECT / "README.md")
    assert len(commands) >= 20
    assert commands[0].text.startswith("export LOGIUS_MIGRATE_NOW=")


@pytest.mark.slow
def test_every_readme_session_command_runs_as_shown(tmp_path):
    folder = tmp_path / "logius-session"
    folder.mkdir()
    (folder / "seeds").symlink_to(PROJECT / "seeds")
    (folder / "examples").symlink_to(PROJECT / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGIUS_MIGRATE_")}
    env.update(PATH=f"{Path(sys.executable).parent}:{env['PATH']}", COLUMNS="100",
               LOGIUS_MIGRATE_HOME=str(tmp_path / "home"), USER="ann", LOGNAME="ann")
    script = [f"cd {folder}"]
    for command in sessions(PROJECT / "README.md"):  # sourced: its exports stay, its comment is one
        (tmp_path / f"{command.line}.sh").write_text(command.text + "\n")
        script.append(f"echo '@@@ {command.line}'; {{ . {tmp_path}/{command.line}.sh; }} 2>&1; "
                      f"echo \"@@@ exit $?\"")
    done = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True, env=env,
                          timeout=1500, check=False)
    outputs = _split(done.stdout)
    problems = []
    for command in sessions(PROJECT / "README.md"):
        got_code, got_lines = outputs.get(command.line, (None, []))
        shown = 'echo "exit $?"' in command.text
        if (got_code != 0 and not shown) or (shown and command.exit_code != _echoed(got_lines)):
            problems.append(f"README line {command.line}: `{command.text}` exited "
                            f"{_echoed(got_lines) if shown else got_code}, README shows {command.exit_code}")
        first = next((line for line in got_lines if line.strip()), "")
        if command.first_line is not None and normal(first, str(folder)) != normal(command.first_line,
                                                                                   str(folder)):
            problems.append(f"README line {command.line}: `{command.text}` first line\n  got:    {first}\n"
                            f"  README: {command.first_line}")
    assert not problems, "\n".join(problems)


def _split(stdout: str) -> dict[int, tuple[int | None, list[str]]]:
    result: dict[int, tuple[int | None, list[str]]] = {}
    current, lines = None, []
    for line in stdout.splitlines():
        if line.startswith("@@@ exit "):
            if current is not None:
                result[current] = (int(line.split()[2]), lines)
            current, lines = None, []
        elif line.startswith("@@@ "):
            current, lines = int(line.split()[1]), []
        else:
            lines.append(line)
    return result


def _echoed(lines: list[str]) -> int | None:
    shown = [line for line in lines if re.fullmatch(r"exit \d+", line)]
    return int(shown[-1].split()[1]) if shown else None
