"""Many operators at once: ten real `logius-migrate` processes released at the same moment, on
SQLite and on a real PostgreSQL server.

Each operator is a process of its own (``python -c`` calling :func:`operator`): it imports the
command line once, says it is ready, and waits at a gate, a file lock the test holds; the test lets
go of it once all ten wait, so they start their command within a millisecond of each other and
open the journal together. The cheap commands (``blocker add``, ``plan approve``, ``release
validate``) are repeated 20 times by the same ten processes, one gate per round, so the 200
collisions cost ten process starts; each round is still ten separate processes, each with its
own connections, through the CLI's own ``main``. The wave race starts ten fresh processes per
round: one proceeds, the others exit 4 naming it; the test then kills it (kill -9, while it
pauses after a phase) and the next ten ``wave resume`` race to take its dead lease over.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.journal import Journal, resolve_url
from tests.conftest import PROJECT, SEEDS

OPERATORS = 10
ROUNDS = 20


def operator(folder: str, index: str) -> None:
    """One operator's process: for each round of ``folder``/rounds.json, say it is ready (file
    ROUND.INDEX.ready), wait at the round's gate, then run `logius-migrate` with the round's
    arguments in this process; its exit code, stdout, stderr and when it ran go to ROUND.INDEX.json."""
    import importlib
    import io

    from orchestrator.cli import main

    base = Path(folder)
    plan = json.loads((base / "rounds.json").read_text())
    for module in plan["imports"]:
        importlib.import_module(module)
    for number, arguments in enumerate(plan["rounds"]):
        (base / f"{number}.{index}.ready").touch()
        with open(base / f"{number}.gate") as gate:
            fcntl.flock(gate, fcntl.LOCK_SH)
        out, err = io.StringIO(), io.StringIO()
        sys.argv = ["logius-migrate", *arguments[int(index)]]
        began = time.time()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        result = {"code": code, "out": out.getvalue(), "err": err.getvalue(), "began": began,
                  "ended": time.time(), "pid": os.getpid()}
        temporary = base / f".{number}.{index}.json"
        temporary.write_text(json.dumps(result))
        temporary.rename(base / f"{number}.{index}.json")


class Operators:
    """Ten operator processes and the gates of their rounds (``rounds[round][operator]``: the
    arguments of each), all closed at the start."""

    def __init__(self, folder: Path, rounds: list[list[list[str]]], env: dict[str, str],
                 imports: tuple[str, ...] = ()) -> None:
        folder.mkdir(parents=True)
        self.folder, self.rounds = folder, len(rounds)
        (folder / "rounds.json").write_text(json.dumps({"rounds": rounds, "imports": list(imports)}))
        self.gates = []
        for number in range(self.rounds):
            gate = open(folder / f"{number}.gate", "w")  # noqa: SIM115 - held until released
            fcntl.flock(gate, fcntl.LOCK_EX)
            self.gates.append(gate)
        code = "import sys; from tests.journal.test_concurrency import operator; operator(*sys.argv[1:])"
        self.processes = [subprocess.Popen(
            [sys.executable, "-c", code, str(folder), str(n)], env=env, cwd=PROJECT,
            stdout=subprocess.DEVNULL, stderr=open(folder / f"operator-{n}.err", "w"),  # noqa: SIM115
            start_new_session=True) for n in range(len(rounds[0]))]

    def release(self, number: int) -> None:
        """Open round ``number``'s gate once every operator waits at it."""
        self._wait(lambda: all((self.folder / f"{number}.{n}.ready").exists()
                               for n in range(len(self.processes))))
        fcntl.flock(self.gates[number], fcntl.LOCK_UN)

    def results(self, number: int, count: int | None = None, timeout: float = 120) -> dict[int, Any]:
        """Operator index -> its result of round ``number``, once ``count`` (default all) have one."""
        count = len(self.processes) if count is None else count

        def finished() -> dict[int, Any]:
            return {n: json.loads(path.read_text()) for n in range(len(self.processes))
                    if (path := self.folder / f"{number}.{n}.json").exists()}

        self._wait(lambda: len(finished()) >= count, timeout)
        return finished()

    def race(self) -> list[dict[int, Any]]:
        """Every round, one after the other; each operator's result of each."""
        found = []
        for number in range(self.rounds):
            self.release(number)
            found.append(self.results(number))
        return found

    def _wait(self, condition: Any, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            died = [(n, p.returncode) for n, p in enumerate(self.processes) if p.poll() not in (None, 0)]
            if died or time.monotonic() > deadline:
                errors = {n: (self.folder / f"operator-{n}.err").read_text()[-2000:] for n, _ in died}
                raise AssertionError(f"operators ended {died} or timed out: {errors}")
            time.sleep(0.01)

    def close(self) -> None:
        for gate in self.gates:
            gate.close()
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


@contextlib.contextmanager
def operators(folder: Path, rounds: list[list[list[str]]], env: dict[str, str], *imports: str):
    team = Operators(folder, rounds, env, imports)
    try:
        yield team
    finally:
        team.close()


def overlapped(results: dict[int, Any]) -> int:
    """How many of a round's commands began before the first of them ended: they ran at once."""
    first_end = min(r["ended"] for r in results.values())
    return sum(1 for r in results.values() if r["began"] < first_end)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """A new journal, on SQLite or on the test's PostgreSQL server (as --db takes it)."""
    given = str(tmp_path / "journal.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    Journal(resolve_url(given, None), create=True).close()
    return given


def opened(db: str) -> Journal:
    return Journal(resolve_url(db, None))


def assert_verified(db: str, env: dict[str, str], *args: str) -> None:
    """`logius-migrate journal verify` finds the journal's hash chain intact after the race."""
    verify = subprocess.run([sys.executable, "-m", "orchestrator", "journal", "verify", "--db", db, *args],
                            env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_ten_blocker_adds_at_once_get_ten_ids_and_their_history(db, tmp_path, isolated_env):
    rounds = [[["blocker", "add", "--scope", "platform", "--severity", "major", "--title",
                f"round {r} operator {n}", "--owner", f"op{n}", "--by", f"op{n}", "--db", db,
                "--format", "json"] for n in range(OPERATORS)] for r in range(ROUNDS)]
    with operators(tmp_path / "ops", rounds, isolated_env, "orchestrator.cli.blockers",
                   "orchestrator.journal.blockers") as team:
        found = team.race()
    ids = {}
    for r, results in enumerate(found):
        assert overlapped(results) > 1, results
        for n, result in results.items():
            assert result["code"] == 0 and result["err"] == "", result
            ids[json.loads(result["out"])["id"]] = (f"round {r} operator {n}", f"op{n}")
    assert sorted(ids) == [f"BLK-{i:04d}" for i in range(1, ROUNDS * OPERATORS + 1)]
    from orchestrator.journal.blockers import get_blocker, history

    with opened(db) as journal:
        for blocker_id, (title, by) in ids.items():
            assert get_blocker(journal, blocker_id).title == title
            assert [(c.action, c.by, c.detail) for c in history(journal, blocker_id)] == [
                ("opened", by, f"major, platform: {title}")]
        events = [e.message for e in journal.events() if e.kind == "blocker"]
    assert sorted(events) == sorted(f"{i} opened by {by}: major, platform: {title}"
                                    for i, (title, by) in ids.items())
    assert_verified(db, isolated_env)


def saved_plans(db: str, count: int) -> list[int]:
    """``count`` plans saved by tester (one wave of one service each), as `plan save` records them."""
    from orchestrator.journal.plans import save_plan

    waves = [{"number": 1, "start": "2027-01-04", "end": "2027-01-31", "services": ["app"]}]
    with opened(db) as journal:
        return [save_plan(journal, "tester", {"capacity": 3}, "0" * 64, {}, "test-site", "0" * 64, waves).id
                for _ in range(count)]


def approve_args(plan_id: int, by: str, db: str, site: Path) -> list[str]:
    return ["plan", "approve", str(plan_id), "--by", by, "--reason", f"checked by {by}", "--db", db,
            "--site", str(site), "--format", "json"]


def test_ten_approvals_of_ten_plans_at_once_approve_each_once(db, tmp_path, isolated_env):
    from tests.checks.conftest import write_site

    site = write_site(tmp_path / "site")
    plans = saved_plans(db, ROUNDS * OPERATORS)
    rounds = [[approve_args(plans[r * OPERATORS + n], f"reviewer-{n}", db, site) for n in range(OPERATORS)]
              for r in range(ROUNDS)]
    with operators(tmp_path / "ops", rounds, isolated_env, "orchestrator.cli.plans",
                   "orchestrator.journal.plans") as team:
        found = team.race()
    for r, results in enumerate(found):
        assert overlapped(results) > 1, results
        for n, result in results.items():
            assert result["code"] == 0 and result["err"] == "", result
            assert json.loads(result["out"])["id"] == plans[r * OPERATORS + n]
    from orchestrator.journal.plans import list_plans

    with opened(db) as journal:
        approved = {p.id: p.approved_by for p in list_plans(journal)}
        events = [e.message for e in journal.events() if e.kind == "plan" and " approved by " in e.message]
    assert approved == {plan_id: f"reviewer-{i % OPERATORS}" for i, plan_id in enumerate(plans)}
    assert len(events) == len(plans) and len(set(events)) == len(plans)
    assert_verified(db, isolated_env)


def test_ten_approvals_of_one_plan_at_once_approve_it_once(db, tmp_path, isolated_env):
    """Nothing is approved twice: one approval of the plan stands, the nine others are refused
    naming it, however close together they come."""
    from tests.checks.conftest import write_site

    site = write_site(tmp_path / "site")
    plans = saved_plans(db, ROUNDS)
    rounds = [[approve_args(plan_id, f"reviewer-{n}", db, site) for n in range(OPERATORS)]
              for plan_id in plans]
    with operators(tmp_path / "ops", rounds, isolated_env, "orchestrator.cli.plans",
                   "orchestrator.journal.plans") as team:
        found = team.race()
    from orchestrator.journal.plans import get_plan

    with opened(db) as journal:
        for plan_id, results in zip(plans, found, strict=True):
            winners = [n for n, result in results.items() if result["code"] == 0]
            assert len(winners) == 1, results
            by = f"reviewer-{winners[0]}"
            assert get_plan(journal, plan_id).approved_by == by
            refused = sorted(result["err"] for result in results.values() if result["code"] != 0)
            assert refused == [f"error: plan {plan_id} was already approved by {by}\n"] * (OPERATORS - 1)
            said = [e.message for e in journal.events()
                    if e.kind == "plan" and e.message.startswith(f"plan {plan_id} approved")]
            assert said == [f"plan {plan_id} approved by {by}: checked by {by}"]
    assert_verified(db, isolated_env)


#: What `release validate` imports as it goes, imported before the gate so that the ten start
#: their checks (and reach the journal) together rather than as each finishes importing.
VALIDATION_MODULES = ("orchestrator.cli.releases", "orchestrator.journal.releases",
                      "orchestrator.journal.blockers",
                      "orchestrator.releases.suite", "orchestrator.releases.platform",
                      "orchestrator.releases.reports", "orchestrator.releases.smoke",
                      "orchestrator.releases.landing_zone", "orchestrator.releases.waivers",
                      "orchestrator.catalog.manifest", "orchestrator.sites", "orchestrator.steps.kubernetes",
                      "orchestrator.steps.terraform", "orchestrator.steps.ansible", "kubernetes", "jinja2")


def test_ten_release_validations_at_once_are_each_recorded(db, tmp_path, isolated_env, httpserver):
    """The cheapest validation there is: a site with the Kubernetes API alone (a local server
    answering for a good platform), so the landing-zone and host checks are INCONCLUSIVE at once
    (exit 8, no failure); the manifest's and the platform's checks pass."""
    from tests.checks.conftest import write_site
    from tests.releases.test_validate import kubeconfig, serve_platform

    folder = tmp_path / "site"
    folder.mkdir()
    kubeconfig(folder, httpserver)
    site = write_site(folder, release="lpc-1.1", kubernetes={"kubeconfig": "kube.yaml"})
    serve_platform(httpserver)
    manifest = SEEDS / "releases" / "lpc-1.1.yaml"
    rounds = [[["--quiet", "release", "validate", str(manifest), "--site", str(site), "--db", db,
                "--by", f"op{n}", "--out", str(tmp_path / "out" / f"{r}.{n}"), "--format", "json"]
               for n in range(OPERATORS)] for r in range(ROUNDS)]
    with operators(tmp_path / "ops", rounds, isolated_env, *VALIDATION_MODULES) as team:
        found = team.race()
    ids = {}
    for results in found:
        assert overlapped(results) > 1, results
        for n, result in results.items():
            assert result["code"] == 8 and "Traceback" not in result["err"], result
            said = json.loads(result["out"])
            assert said["outcome"] == "INCONCLUSIVE" and said["counts"]["PASS"] > 0, said
            ids[said["validation"]] = (f"op{n}", said["reports"])
    assert sorted(ids) == list(range(1, ROUNDS * OPERATORS + 1))
    from orchestrator.journal.releases import validations

    with opened(db) as journal:
        recorded = {v.id: (v.by, v.reports) for v in validations(journal)}
    assert recorded == ids
    assert_verified(db, isolated_env)


#: The phases the wave race's winners pause after, one per round: round 1 is `wave run`, each next
#: round a `wave resume` after the winner before it was killed; the last round's winner finishes.
#: Each round costs ten process starts and a phase or more (the last the rest of the wave), so
#: three rounds per database rather than the cheap commands' 20: a `wave run` and two `wave resume`.
WAVE_PAUSES = ("provision", "prepare-target")


@pytest.fixture(params=["sqlite", "postgresql"])
def wave_lab(request, tmp_path):
    """(catalog, lab, --db) for a one-service wave whose plan is approved and release accepted."""
    from orchestrator.sites import load_site
    from tests.conftest import accept_release
    from tests.engine.conftest import approve_plan, make_lab, one_service_catalog

    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    db = str(layout.journal) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    if request.param == "postgresql":
        Journal(resolve_url(db, None), create=True).close()
        site = load_site(layout.site_file)
        if site.release is not None:  # as make_lab records it in the lab's own journal
            with opened(db) as journal:
                accept_release(journal, site.release, site.name)
    approve_plan(catalog, layout, db=db)
    return catalog, layout, db


def race_for_the_wave(folder: Path, command: str, args: list[str], env: dict[str, str],
                      pause: str | None) -> tuple[Any, list[str]]:
    """Ten `wave COMMAND 1` at once: the one that proceeds (its process; still running, paused
    after ``pause``, unless ``pause`` is None) and the nine others' stderr, each exit 4."""
    rounds = [[["wave", command, "1", "--approve", *args] for _ in range(OPERATORS)]]
    team = Operators(folder, rounds, env, ("orchestrator.cli.waves", "orchestrator.engine",
                                           "orchestrator.engine.session", "orchestrator.engine.wave"))
    team.release(0)
    results = team.results(0, OPERATORS - 1 if pause else OPERATORS, timeout=240)
    losers = [r for r in results.values() if r["code"] == 4]
    assert len(losers) == OPERATORS - 1, results
    winner = next(p for n, p in enumerate(team.processes) if results.get(n, {}).get("code") != 4)
    for loser in losers:
        assert loser["err"].startswith("error: wave-1 is held by ") and loser["err"].count("\n") == 1
        assert f"(host {os.uname().nodename}, pid {winner.pid})" in loser["err"], loser["err"]
    if pause is None:
        team.close()
        assert results[team.processes.index(winner)]["code"] == 0, results
    return winner, [r["err"] for r in losers]


def test_ten_runs_of_one_wave_at_once_one_proceeds_and_no_step_runs_twice(wave_lab, tmp_path, isolated_env):
    from tests.engine.conftest import ledger_counts, wait_for
    from tests.engine.test_crash_resume import kill_group

    catalog, layout, db = wave_lab
    args = ["--catalog", str(catalog), "--lab", str(layout.root), "--db", db]
    env = dict(isolated_env, LOGIUS_MIGRATE_LEASE_SECONDS="60")  # taken over as its process dies, not
    # as it expires: on a loaded machine a 2 s lease could lapse while its holder still runs

    def status(phase: str) -> list[str]:
        with opened(db) as journal:
            return [e.status for e in journal.executions(run_id="wave-1") if e.key.endswith(f"/{phase}")]

    winners = []
    for number, pause in enumerate((*WAVE_PAUSES, None)):
        if pause is None:
            layout.drill_pause.unlink()
        else:
            layout.drill_pause.write_text(f"{pause}:120")
        winner, _ = race_for_the_wave(tmp_path / f"round-{number}", "resume" if number else "run", args,
                                      env, pause)
        winners.append(winner.pid)
        if pause is not None:
            wait_for(lambda pause=pause: status(pause) == ["done"], timeout=120, interval=0.2)
            with opened(db) as journal:
                assert journal.lock_holder("wave-1").pid == winner.pid
            kill_group(winner)
    with opened(db) as journal:
        assert journal.run("wave-1").status == "done" and journal.lock_holder("wave-1") is None
        outcomes = journal.attempt_outcomes("wave-1")
        taken = [e.message for e in journal.events("wave-1") if e.kind == "lease"]
    assert outcomes and all(said == ["ok"] for said in outcomes.values()), outcomes
    assert [m.split(" (pid ", 1)[1] for m in taken] == [
        f"{pid}; its process no longer runs on this host)" for pid in winners[:-1]], taken
    counts = ledger_counts(layout)
    assert counts and all(n == 1 for steps in counts.values() for n in steps.values()), counts
    assert_verified(db, isolated_env)
