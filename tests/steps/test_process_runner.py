"""The one process runner: every external program starts through it, recorded through a watch
before it runs, stopped past its timeout or on request, and never with a secret in its argv."""

from __future__ import annotations

import ast
import datetime as dt
import sys
import threading
import time

import pytest

from orchestrator.steps import process_runner
from orchestrator.steps.guard import holders
from orchestrator.steps.process_runner import ProcessRequest, SecretInArgv
from orchestrator.steps.processes import ChildWatch
from tests.conftest import PROJECT

PACKAGE = PROJECT / "orchestrator"
RUNNER = PACKAGE / "steps" / "process_runner.py"
GUARD = PACKAGE / "steps" / "guard.py"
#: What else starts a program, and the one module each may sit in (the guard execs the tool).
STARTERS = {("os", name): GUARD for name in ("system", "popen", "execv", "execve", "execvp", "execvpe",
                                             "execl", "execlp", "spawnv", "spawnl", "posix_spawn",
                                             "posix_spawnp")}

SPAWNERS = ("subprocess", "pexpect")  # modules only the runner imports


def python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def process_uses(path) -> list[str]:
    """Each use of :mod:`subprocess` (an import, or ``subprocess.X``) and of the os calls that start
    programs, anywhere in the module (inside functions too), as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in SPAWNERS]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SPAWNERS:
            found.append(f"{node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "subprocess" and path != RUNNER:
                found.append(f"{node.lineno}: subprocess.{node.attr}")
            elif STARTERS.get((node.value.id, node.attr), path) != path:
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
            elif node.value.id == "asyncio" and node.attr.startswith("create_subprocess"):
                found.append(f"{node.lineno}: asyncio.{node.attr}")
    return found


#: The two that start a program themselves, and why: the auditor's script runs with Python's
#: standard library alone, outside the tool; signing sits below the journal, and ``steps`` above it
#: (docs/architecture.md), and its ssh-keygen is short, with a timeout and no secret in argv.
OWN_PROCESSES = {"orchestrator/_data/audit/verify.py", "orchestrator/signing/sshsig.py"}


def test_only_the_runner_starts_programs():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50
    offenders = {str(m.relative_to(PROJECT)): process_uses(m) for m in modules if m != RUNNER}
    assert {m: uses for m, uses in offenders.items() if uses and m not in OWN_PROCESSES} == {}
    assert all(offenders[m] for m in OWN_PROCESSES), "the exceptions still start programs"
    assert any("import subprocess" in use for use in process_uses(RUNNER)), "the scan sees the runner's"


def test_output_exit_code_and_stdin():
    code = "import sys; print(sys.stdin.read().upper()); print('err', file=sys.stderr); sys.exit(3)"
    done = process_runner.run(ProcessRequest(python(code), stdin="secret by stdin"))
    assert (done.returncode, done.stdout, done.stderr) == (3, "SECRET BY STDIN\n", "err\n")
    assert done.stopped is None


def test_output_into_files(tmp_path):
    done = process_runner.run(ProcessRequest(python("print('to a file')"), output_dir=tmp_path / "out"))
    assert done.stdout == "to a file\n" and list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("files", [False, True])
def test_a_timeout_stops_the_program(tmp_path, files):
    begun = time.monotonic()
    done = process_runner.run(ProcessRequest(python("import time; time.sleep(30)"), timeout=1,
                                             output_dir=tmp_path if files else None))
    assert done.stopped == "timeout" and done.returncode < 0
    assert time.monotonic() - begun < 10


def test_a_watched_program_is_recorded_first_and_stops_on_request(tmp_path):
    recorded, ended, stop = [], [], threading.Event()
    watch = ChildWatch(started=lambda spawned: recorded.append(spawned) or spawned.pid,
                       ended=ended.append, cancel=stop.is_set)
    quick = process_runner.run(ProcessRequest(("echo", "hello"), what="echo (test)"), watch)
    assert quick.stdout == "hello\n" and recorded[0].what == "echo (test)"
    assert ended == [recorded[0].pid]
    threading.Timer(1.0, stop.set).start()
    begun = time.monotonic()
    slow = process_runner.run(ProcessRequest(("sleep", "30")), watch)
    assert slow.stopped == "cancelled" and time.monotonic() - begun < 10
    assert recorded[1].what == "sleep" and holders(recorded[1].token) == [], "the sleep itself is gone"


def test_a_program_that_is_not_there_raises_as_subprocess_does(tmp_path):
    for watch in (None, ChildWatch()):
        with pytest.raises(FileNotFoundError) as missing:
            process_runner.run(ProcessRequest(("/nonexistent/backup-age",)), watch)
        assert missing.value.strerror == "No such file or directory"
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(PermissionError):
        process_runner.run(ProcessRequest((str(script),)), ChildWatch())


def test_a_secret_in_argv_is_refused_before_anything_starts(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(SecretInArgv) as refused:
        process_runner.run(ProcessRequest(("touch", str(marker), "--password=hunter2-long"),
                                          secrets=("hunter2-long",)))
    assert "hunter2-long" not in str(refused.value) and not marker.exists()
    with pytest.raises(SecretInArgv):
        process_runner.refuse_secrets(["-p", "pw"], ["pw"], "x")
    process_runner.refuse_secrets([str(tmp_path / "pw-folder")], ["pw"], "x")  # too short to be found inside


def test_the_backup_command_of_a_run_is_recorded_and_its_evidence_unchanged(tmp_path):
    from orchestrator.checks.service import backups
    from orchestrator.journal import Journal, resolve_url
    from tests.checks.conftest import context, write_site
    from tests.checks.test_preconditions import DATA, outcome
    from tests.conftest import service

    recorded: list = []
    fresh = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    good = write_site(tmp_path / "cmd", backups={"command": ["echo", fresh]})
    with Journal(resolve_url(tmp_path / "cmd" / "journal.db", None)) as journal:
        ctx = context(good, journal, [service("app", hosts={"legacy": ["legacy-app"]}, data_stores=DATA)],
                      now=dt.datetime.now(dt.UTC), watch=ChildWatch(started=recorded.append))
        result = backups(ctx, ctx.catalog.service("app"))
    assert outcome(result) == "PASS" and result.asked == f"command echo {fresh}"
    assert [s.what for s in recorded] == ["echo (backup check)"]
