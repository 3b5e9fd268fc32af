"""The boundaries the architecture promises: the engine and the adapters know nothing of the lab,
and what a real site runs carries none of the lab's faults or drills."""

from __future__ import annotations

import ast
import re

from tests.conftest import PROJECT

PACKAGE = PROJECT / "orchestrator"


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_module_of_the_engine_or_the_adapters_imports_the_lab():
    modules = sorted([*(PACKAGE / "engine").rglob("*.py"), *(PACKAGE / "steps").rglob("*.py")])
    assert len(modules) > 10
    offenders = {str(m.relative_to(PROJECT)): sorted(
        n for n in imported_modules(m) if n == "orchestrator.lab" or n.startswith("orchestrator.lab."))
        for m in modules}
    assert {m: names for m, names in offenders.items() if names} == {}


def test_no_production_playbook_or_module_mentions_the_labs_faults():
    shipped = [*(PROJECT / "playbooks").rglob("*.yml"), *(PROJECT / "playbooks").rglob("*.py"),
               *(PROJECT / "terraform" / "modules").rglob("*.tf")]
    assert len(shipped) > 10
    pattern = re.compile(r"logius-lab|\bfault|\bdrill", re.IGNORECASE)
    assert {str(p.relative_to(PROJECT)) for p in shipped if pattern.search(p.read_text())} == set()


def test_the_lab_brings_its_faults_through_its_own_site():
    lab = (PACKAGE / "lab" / "__init__.py").read_text()
    hooks = sorted(p.name for p in (PACKAGE / "lab" / "hooks").glob("*.yml"))
    assert hooks == ["after-phase.yml", "before-phase.yml"]
    assert '"before_phase"' in lab and '"fault_file"' in lab
