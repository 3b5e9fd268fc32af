"""Every bad input a new user met: one line naming the file (with the YAML line), the item and the
field, exit 2, and nothing on stdout. Catalogs are written as text, the way people write them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import PROJECT, service, write_catalog

SERVICE = """\
services:
  - id: zaaksysteem
    name: Zaaksysteem
    domain: Access
    size: S
    criticality: low
    disposition: rehost
{extra}"""


def errors_of(result) -> list[str]:
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()


def validate(run_cli, tmp_path, files: dict) -> list[str]:
    folder = write_catalog(tmp_path / "c", files)
    return errors_of(run_cli("catalog", "validate", "--catalog", str(folder)))


@pytest.mark.parametrize("day, why", [("2027-02-30", "day value is outside expected range"),
                                      ("2027-13-01", "month value is outside expected range")])
def test_an_impossible_date_names_file_line_item_and_field(run_cli, tmp_path, day, why):
    [line, summary] = validate(run_cli, tmp_path, {"s.yaml": SERVICE.format(
        extra=f"    not_before: {day}\n")})
    assert line.startswith(f"error: {tmp_path / 'c' / 's.yaml'}:8: service 'zaaksysteem': "
                           f"field 'not_before': ")
    assert why in line and day in line
    assert summary == "error: the catalog has 1 problem(s)"


def test_an_impossible_date_inside_a_window_names_the_nested_field(run_cli, tmp_path):
    [line, _] = validate(run_cli, tmp_path, {"s.yaml": SERVICE.format(extra=textwrap.dedent("""\
        blackout_windows:
          - {start: 2027-01-01, end: 2027-02-30}
        """).replace("\n", "\n    ").join(["    ", ""]))})
    assert ":9: service 'zaaksysteem': field 'blackout_windows[0].end': " in line


def test_a_duplicate_key_is_rejected_with_both_lines(run_cli, tmp_path):
    [line, _] = validate(run_cli, tmp_path, {"s.yaml": SERVICE.format(extra="    size: XL\n")})
    assert line.endswith("s.yaml:8: duplicate key 'size' (first on line 5)")


def test_a_duplicate_id_in_one_file_names_its_line_and_the_first(run_cli, tmp_path):
    text = SERVICE.format(extra="") + SERVICE.format(extra="").split("\n", 1)[1]
    [line, _] = validate(run_cli, tmp_path, {"s.yaml": text})
    assert line.endswith("s.yaml:8: service 'zaaksysteem': field 'id': duplicate id (first defined "
                         "in item 1 of section 'services' in this file)")


def test_a_cost_model_that_decreases_is_rejected(run_cli, tmp_path):
    [line, _] = validate(run_cli, tmp_path, {"s.yaml": SERVICE.format(extra="") + textwrap.dedent("""\
        cost_model:
          base_exposure_meur: 10
          paused_months: 12
          exposure_after_pause_meur: 8
        """)})
    assert line.endswith(":11: section 'cost_model': field 'exposure_after_pause_meur': 8.0 is "
                         "below base_exposure_meur 10.0: a delay cannot lower the cost")


def test_zero_services_is_a_clear_message(run_cli, tmp_path):
    for command in (["catalog", "validate"], ["plan", "--start", "2027-01-04"]):
        folder = write_catalog(tmp_path / "c", {"calendar.yaml": "calendar: {}\n"})
        [line, _] = errors_of(run_cli(*command, "--catalog", str(folder)))
        assert line == (f"error: {folder}: no services: a catalog lists at least one service "
                        f"(section 'services')")


@pytest.mark.parametrize("value, words", [("2027-02-30", "day is out of range for month"),
                                          ("2027-2-3", "use YYYY-MM-DD")])
def test_an_impossible_start_says_what_is_wrong(run_cli, value, words):
    result = run_cli("plan", "--start", value)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"Invalid value for '--start': '{value}' is not a date: " in result.stderr
    assert words in result.stderr


def test_a_deadline_before_the_start_is_one_line(run_cli):
    result = run_cli("plan", "--start", "2027-01-04", "--deadline", "2026-12-31")
    assert errors_of(result) == ["error: --deadline 2026-12-31 is before the plan's start "
                                 "2027-01-04: no wave could end by then"]


def test_json_catalogs_are_read_and_checked_like_yaml(run_cli, tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "cmdb.json").write_text(json.dumps({"services": [
        service("A.1"), service("b_2", dependencies=[{"service": "A.1"}])]}))
    listed = run_cli("catalog", "list", "--format", "json", "--catalog", str(folder))
    assert [s["id"] for s in json.loads(listed.stdout)] == ["A.1", "b_2"]
    (folder / "more.json").write_text('{"services": [{"id": "c", "id": "d"}]}')
    (folder / "broken.json").write_text('{"services": [\n{"id": }]}')
    lines = errors_of(run_cli("catalog", "validate", "--catalog", str(folder)))
    assert lines[0].endswith("broken.json:2: malformed JSON: Expecting value")
    assert lines[1].endswith("more.json: duplicate key 'id' in the object with id 'd'")


@pytest.mark.slow
def test_plan_into_a_closed_pipe_ends_quietly(tmp_path):
    """`plan ... | head -1` on a plan larger than a pipe's buffer: exit 141, no traceback."""
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [
        service(f"s{i:04d}") for i in range(3000)]}})
    for fmt in ("json", "md", "table"):
        done = subprocess.run(
            f"'{sys.executable}' -m orchestrator plan --start 2027-01-04 --format {fmt} "
            f"--catalog '{folder}' | head -1; exit ${{PIPESTATUS[0]}}",
            shell=True, executable="/bin/bash", capture_output=True, text=True, cwd=PROJECT)
        assert done.returncode == 141, (fmt, done.stderr)
        assert done.stderr == "" and len(done.stdout.splitlines()) == 1
