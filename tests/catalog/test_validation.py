"""A bad catalog gets one line per problem naming file, item and field, all at once, exit 2."""

from __future__ import annotations

import json

import pytest

from orchestrator.catalog import load_catalog
from orchestrator.errors import CatalogError
from tests.conftest import service, write_catalog


def problems_of(folder) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    return caught.value.problems


def test_malformed_yaml_names_the_file_and_line(tmp_path):
    folder = write_catalog(tmp_path / "c", {"services.yaml": "services:\n  - id: a\n    name: [oops\n"})
    [problem] = problems_of(folder)
    assert problem.endswith("services.yaml:4: malformed YAML: did not find expected ',' or ']'")


def test_unknown_dependency_names_file_service_and_field(tmp_path):
    folder = write_catalog(tmp_path / "c", {"access.yaml": {"services": [
        service("a", dependencies=[{"service": "ghost"}])]}})
    [problem] = problems_of(folder)
    assert problem.startswith(f"{folder / 'access.yaml'}:10: ")  # the line of the dependency
    assert "service 'a'" in problem
    assert "field 'dependencies[0].service'" in problem and "'ghost'" in problem


def test_duplicate_id_across_files_names_both_files(tmp_path):
    folder = write_catalog(tmp_path / "c", {"one.yaml": {"services": [service("a")]},
                                            "two.yaml": {"services": [service("a")]}})
    [problem] = problems_of(folder)
    assert "two.yaml:2: service 'a': field 'id': duplicate id" in problem and "one.yaml" in problem


@pytest.mark.parametrize("bad_id", ["../x", ".hidden", "a/b", "a\\b", "", "a b", "é", "a" * 129])
def test_unsafe_ids_are_rejected(tmp_path, bad_id):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [service(bad_id, name="x")]}})
    [problem] = problems_of(folder)
    assert "field 'id'" in problem and "unsafe id" in problem


@pytest.mark.parametrize("field, value, words", [
    ("size", "huge", "'S', 'M', 'L' or 'XL'"),
    ("availability_norm", "high", "valid number"),
    ("availability_norm", 120, "less than or equal to 100"),
    ("dependencies", "b", "valid list"),
    ("blackout_windows", [{"start": "2023-02-01", "end": "2023-01-01", "reason": "x"}], "before start"),
    ("not_before", "soon", "valid date"),
    ("colour", "blue", "Extra inputs are not permitted"),
])
def test_wrong_types_name_the_field(tmp_path, field, value, words):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [service("a", **{field: value})]}})
    [problem] = problems_of(folder)
    assert f"service 'a': field '{field}" in problem
    assert words in problem


@pytest.mark.parametrize("good_id", ["A", "a_b", "-a", "Zaak.Systeem-2", "BRP_v3.1", "a" * 128])
def test_ids_may_use_letters_digits_dashes_underscores_and_dots_with_case_kept(tmp_path, good_id):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [service(good_id)]}})
    assert [s.id for s in load_catalog(folder).services] == [good_id]


def test_a_dependency_cycle_is_named_as_the_cycle_itself(tmp_path):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [
        service("a", dependencies=[{"service": "b"}]),
        service("b", dependencies=[{"service": "c"}]),
        service("c", dependencies=[{"service": "a"}]),
        service("d", dependencies=[{"service": "a", "kind": "soft"}]),
    ]}})
    [problem] = problems_of(folder)
    assert "hard dependency cycle a -> b -> c -> a" in problem


def test_soft_dependencies_may_form_a_cycle(tmp_path):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [
        service("a", dependencies=[{"service": "b", "kind": "soft"}]),
        service("b", dependencies=[{"service": "a", "kind": "soft"}]),
    ]}})
    assert len(load_catalog(folder).services) == 2


def test_all_problems_are_reported_at_once(tmp_path):
    folder = write_catalog(tmp_path / "c", {
        "a.yaml": {"services": [service("a", size="huge"), service("b", dependencies=[{"service": "z"}])]},
        "b.yaml": {"services": [service("a"), service("../x")]},
        "c.yaml": "services: [",
        "d.yaml": {"service": []},
    })
    problems = problems_of(folder)
    assert [p.split(": ")[0].rsplit("/", 1)[-1] for p in problems] == \
        ["a.yaml:5", "a.yaml:17", "b.yaml:9", "c.yaml:2", "d.yaml:1"]
    assert "field 'size'" in problems[0] and "unknown service 'z'" in problems[1]
    assert "unsafe id '../x'" in problems[2] and "malformed YAML" in problems[3]
    assert "unknown section 'service'" in problems[4]


def test_unknown_release_and_bad_assumption_field(tmp_path):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [
        service("a", min_release="lpc-9", assumptions=["size", "colour"])]}})
    problems = problems_of(folder)
    assert any("field 'min_release': unknown release 'lpc-9'" in p for p in problems)
    assert any("field 'assumptions': 'colour' is not a service field" in p for p in problems)


def test_citations_must_name_a_listed_source(tmp_path):
    folder = write_catalog(tmp_path / "c", {
        "sources.yaml": {"sources": [{"title": "test", "year": 2024}]},
        "s.yaml": {"services": [service("a"), service("b", source="Blog post, 2021")]},
    })
    [problem] = problems_of(folder)
    assert "service 'b': field 'source': 'Blog post, 2021' is not a listed source" in problem


def test_a_cost_model_whose_percentage_disagrees_is_rejected(tmp_path):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {
        "services": [service("a")],
        "cost_model": {"base_exposure_meur": 183.8, "paused_months": 12,
                       "exposure_after_pause_meur": 210.1, "stated_increase_pct": 41.3,
                       "source": "test, 2024"}}})
    [problem] = problems_of(folder)
    assert "section 'cost_model': field 'stated_increase_pct'" in problem


def test_cli_validate_exits_2_with_one_line_per_problem(tmp_path, run_cli):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [
        service("a", dependencies=[{"service": "ghost"}]), service("b", size="huge")]}})
    result = run_cli("catalog", "validate", "--catalog", str(folder))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines)
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_cli_validate_json_lists_the_problems(tmp_path, run_cli):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [service("../x")]}})
    result = run_cli("catalog", "validate", "--catalog", str(folder), "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["valid"] is False and "unsafe id" in document["problems"][0]


def test_cli_validate_warns_about_assumptions_without_failing(run_cli):
    result = run_cli("catalog", "validate")
    assert result.exit_code == 0
    assert "catalog valid: 20 services" in result.stdout
    assert "warning: " in result.stderr and "assumed, not from the sources" in result.stderr


def test_catalog_path_comes_from_the_environment_or_a_single_file(tmp_path, run_cli):
    folder = write_catalog(tmp_path / "c", {"only.yaml": {"services": [service("solo")]}})
    by_env = run_cli("catalog", "list", "--format", "json", env={"LOGIUS_MIGRATE_CATALOG": str(folder)})
    assert [s["id"] for s in json.loads(by_env.stdout)] == ["solo"]
    by_file = run_cli("catalog", "list", "--format", "json", "--catalog", str(folder / "only.yaml"))
    assert [s["id"] for s in json.loads(by_file.stdout)] == ["solo"]


def test_a_missing_catalog_is_a_one_line_error(tmp_path, run_cli):
    result = run_cli("catalog", "list", "--catalog", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere'}: catalog not found " \
        "(give a folder, or a .yaml or .json file, with --catalog)"


def test_catalog_list_json_and_show(run_cli):
    listed = json.loads(run_cli("catalog", "list", "--format", "json").stdout)
    assert len(listed) == 20 and all("id" in s for s in listed)
    shown = run_cli("catalog", "show", "digid", "--format", "json")
    document = json.loads(shown.stdout)
    assert document["defined_in"].endswith("access.yaml")
    assert {"digid-machtigen", "mijnoverheid"} <= set(document["dependants"])
    missing = run_cli("catalog", "show", "nope")
    assert missing.exit_code == 2 and "no service 'nope'" in missing.stderr
