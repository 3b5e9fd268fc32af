"""`logius-migrate scenario compare` through the CLI: each bad input is one line naming the file,
the item and the field, exit 2; the shipped examples load and compare in every format."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import PROJECT
from tests.scenarios.helpers import small, write

EXAMPLES = PROJECT / "examples" / "scenarios"


def _score(data, scenario, criterion, **value):
    data["scenarios"][scenario]["scores"][criterion] = value
    return data


def _drop(data, scenario, criterion):
    del data["scenarios"][scenario]["scores"][criterion]
    return data


BAD = {
    "unknown criterion": (lambda: _score(small(), 0, "d", score=1, source="doc"),
                          r"scenario 'x': scores\.d: unknown criterion 'd' \(the criteria are a, b, c\)"),
    "missing score": (lambda: _drop(small(), 1, "b"), r"scenario 'y': scores\.b: missing score"),
    "negative weight": (lambda: small(weights={"criteria": {"a": 1, "b": -1, "c": 1}}),
                        r"weights: criteria\.b: -1 is negative"),
    "all-zero weights": (lambda: small(weights={"groups": {"G1": 0, "G2": 0}}),
                         r"weights: \(all\): all weights are zero"),
    "score outside its scale": (lambda: _score(small(), 2, "c", score=101, source="doc"),
                                r"scenario 'z': scores\.c\.score: 101 is outside the scale 0\.\.100"),
    "no source, not assumed": (lambda: _score(small(), 0, "a", score=4),
                               r"scenario 'x': scores\.a: no source: give one, or mark it assumed"),
    "assumed with no note": (lambda: _score(small(), 0, "a", score=4, assumed=True),
                             r"scenario 'x': scores\.a\.note: assumed, but no note says why"),
    "unknown group": (lambda: small(weights={"groups": {"G1": 1, "G2": 1, "G9": 1}}),
                      r"weights: groups\.G9: unknown group 'G9'"),
    "a score not a number": (lambda: _score(small(), 0, "a", score="high", source="doc"),
                             r"scenario 'x': scores\.a\.score: Input should be a valid number"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_each_bad_input_is_one_line_naming_file_item_and_field_exit_2(run_cli, tmp_path, case):
    make, expected = BAD[case]
    path = write(tmp_path, make())
    result = run_cli("scenario", "compare", str(path), "--iterations", "10")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(rf"error: {re.escape(str(path))}:\d+: {expected}.*", lines[0]), lines[0]
    assert result.stdout == ""


def test_an_unknown_catalog_criterion_names_the_catalogs_range(run_cli, tmp_path):
    text = (EXAMPLES / "digipoort-2020.yaml").read_text()
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("      17: {score: 5,", "      18: {score: 5,", 1))
    result = run_cli("scenario", "compare", str(path))
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and len(lines) == 3
    assert re.fullmatch(rf"error: {re.escape(str(path))}:\d+: scenario 'reuse-first': scores.18: unknown "
                        r"criterion '18' \(the criteria are 1\.\.17\)", lines[0])
    assert lines[1].endswith("scenario 'reuse-first': scores.17: missing score")
    assert lines[2] == f"error: the scenario file {path} has 2 problem(s)"


def test_several_problems_are_each_one_line_then_how_many(run_cli, tmp_path):
    data = _drop(_score(small(), 0, "a", score=9, source="doc"), 1, "c")
    path = write(tmp_path, data)
    lines = run_cli("scenario", "compare", str(path)).stderr.splitlines()
    assert len(lines) == 3 and lines[-1] == f"error: the scenario file {path} has 2 problem(s)"


def test_a_seed_that_is_not_a_number_and_an_out_that_is_a_folder_exit_2(run_cli, tmp_path):
    path = write(tmp_path, small())
    assert run_cli("scenario", "compare", str(path), "--seed", "x").exit_code == 2
    result = run_cli("scenario", "compare", str(path), "--out", str(tmp_path))
    assert result.exit_code == 2 and result.stderr == f"error: --out {tmp_path}: is a folder; give a file\n"


def test_the_2020_example_ranks_the_chosen_scenario_first_and_the_methods_disagree_below(run_cli):
    result = run_cli("-q", "scenario", "compare", str(EXAMPLES / "digipoort-2020.yaml"), "--format", "json",
                     "--iterations", "1000")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["criteria"]) == 17 and len({c["group"] for c in document["criteria"]}) == 5
    assert document["ranking"]["weighted_sum"][0] == "reuse-first"
    assert [s["id"] for s in document["scenarios"] if s["chosen"]] == ["reuse-first"]
    assert all(s["assumed_scores"] == 17 for s in document["scenarios"])  # the letter gives no scores
    assert document["sensitivity"]["headline"].startswith("Reuse the code first ranks first unless")
    assert document["monte_carlo"]["iterations"] == 1000


def test_the_2023_example_cites_the_two_exposure_figures(run_cli):
    result = run_cli("-q", "scenario", "compare", str(EXAMPLES / "question-2023.yaml"), "--format", "json",
                     "--iterations", "1000", "--seed", "3")
    document = json.loads(result.stdout)
    scores = {s["id"]: s["scores"]["exposure"] for s in document["scenarios"]}
    assert scores["continue"]["score"] == 183.8 and scores["pause-12"]["score"] == 210.1
    assert not scores["continue"]["assumed"] and scores["simplify"]["assumed"]
    assert sorted(document["ranking"]["weighted_sum"]) == ["continue", "pause-12", "simplify"]
    again = run_cli("-q", "scenario", "compare", str(EXAMPLES / "question-2023.yaml"), "--format", "json",
                    "--iterations", "1000", "--seed", "3")
    assert again.stdout == result.stdout  # the same seed, the same bytes


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_every_format_carries_the_ranking_the_headline_and_the_monte_carlo(run_cli, tmp_path, fmt):
    out = tmp_path / f"compare.{fmt}"
    result = run_cli("-q", "scenario", "compare", str(EXAMPLES / "question-2023.yaml"), "--format", fmt,
                     "--iterations", "500", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    text = out.read_text()
    assert "ranks first unless the weight of criterion" in text
    assert "Monte Carlo: 500 draws" in text and "Pause 12 months" in text
    assert not list(tmp_path.glob(".*.tmp"))
    if fmt == "html":
        assert "<script" not in text and "http" not in text.replace("http-equiv", "")
        assert text.count("<table") == 3 + 3 and "<style>" in text  # ranking, criteria, MC, 3 scores


def test_progress_goes_to_stderr_and_the_table_to_stdout(run_cli):
    result = run_cli("scenario", "compare", str(EXAMPLES / "question-2023.yaml"), "--iterations", "2000")
    assert result.exit_code == 0
    assert "monte carlo: 2000 of 2000" in result.stderr
    assert result.stdout.startswith("Continue, pause 12 months or simplify: the 2023 question\n")


def test_the_docs_show_the_real_output_of_the_2023_example(run_cli):
    docs = (PROJECT / "docs" / "scenarios.md").read_text()
    command = "$ logius-migrate scenario compare examples/scenarios/question-2023.yaml\n"
    shown = docs.split(command, 1)[1].split("\n```", 1)[0] + "\n"
    result = run_cli("-q", "scenario", "compare", str(EXAMPLES / "question-2023.yaml"))
    assert result.stdout == shown
