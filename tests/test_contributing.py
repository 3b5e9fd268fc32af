"""A contributor's pre-commit hooks run the same checks as CI's scripts/test.sh, and the package
says it is typed."""

from __future__ import annotations

import tomllib

import yaml

from tests.conftest import PROJECT


def test_every_pre_commit_hook_is_a_command_ci_runs():
    hooks = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    ci = [line.split("#")[0].strip() for line in (PROJECT / "scripts" / "test.sh").read_text().splitlines()]
    assert {hook["id"] for hook in hooks} == {"ruff", "mypy"}
    assert [hook["entry"] for hook in hooks if hook["entry"] not in ci] == []


def test_the_type_check_covers_the_package_and_ships_its_marker():
    config = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    assert config["tool"]["mypy"]["packages"] == ["orchestrator"]
    assert (PROJECT / "orchestrator" / "py.typed").is_file()
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["orchestrator"]
