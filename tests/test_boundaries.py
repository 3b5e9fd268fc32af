"""The boundaries the architecture promises: the parts import each other in one order (bottom up),
with no circle between parts or between modules; the engine and the adapters know nothing of the
lab, and what a real site runs carries none of the lab's faults or drills."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from tests.conftest import PROJECT

PACKAGE = PROJECT / "orchestrator"

#: The layers of orchestrator/, bottom up, as docs/architecture.md lists them. A module may import
#: its own part, the other parts of its layer and every part of a layer below; never a part of a
#: layer above. "orchestrator" is the package's own __init__ (its version).
#:   base: orchestrator, errors, clock, identity, liveness, resources, gcpause
#:   < catalog, signing < journal < runbook, steps, guardrails < sites < policy (reads the journal and the site)
#:   < planning, scenarios, forecast, dashboard < reports < checks < releases < engine < lab
#:   < cli (its workspace too), __main__
LAYERS: list[set[str]] = [
    {"orchestrator", "errors", "clock", "identity", "liveness", "resources", "gcpause"},
    {"catalog", "signing"},
    {"journal"},
    {"runbook", "steps", "guardrails"},
    {"sites"},
    {"policy"},
    {"planning", "scenarios", "forecast", "dashboard"},
    {"reports"},
    {"checks"},
    {"releases"},
    {"engine"},
    {"lab"},
    {"cli", "__main__"},
]
LAYER = {part: number for number, parts in enumerate(LAYERS) for part in parts}


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


# -- the layers ------------------------------------------------------------------------------

def module_name(path: Path) -> str:
    """``orchestrator/catalog/loader.py`` -> ``orchestrator.catalog.loader`` (a package by its name)."""
    parts = list(path.relative_to(PROJECT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: Every module of orchestrator/ (``_data`` holds the shipped playbooks and modules, not the tool's code).
MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))
           if "_data" not in p.relative_to(PACKAGE).parts}


def part_of(module: str) -> str:
    """The part a module belongs to: its top-level package or module below orchestrator/."""
    return module.split(".")[1] if "." in module else "orchestrator"


def resolved(name: str) -> str | None:
    """The module of orchestrator/ that ``name`` (a module, or a name inside one) stands for."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def type_only(tree: ast.AST) -> set[int]:
    """The ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (names for annotations)."""
    blocks = [n for n in ast.walk(tree) if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)]
    return {id(inner) for block in blocks for stmt in block.body for inner in ast.walk(stmt)}


def imports_of(module: str, runtime_only: bool = False) -> list[tuple[int, str]]:
    """Every module of orchestrator/ that ``module`` imports, with the line, at the top or inside a
    function (``ast.walk`` sees both), and in ``if TYPE_CHECKING:`` blocks unless ``runtime_only``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    tree = ast.parse(path.read_text(), str(path))
    skipped = type_only(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = resolved(name) if name.startswith("orchestrator") else None
            if target is not None and target != module:
                found.append((node.lineno, target))
    return sorted(set(found))


@functools.cache
def import_lines(runtime_only: bool = False) -> list[tuple[str, int, str]]:
    """(module, line, imported module) for every import between modules of orchestrator/."""
    return [(module, line, target) for module in MODULES for line, target in imports_of(module, runtime_only)]


def a_circle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle in the graph ``edges`` (node -> the nodes it imports), first node repeated last;
    None when there is none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (circle := visit(nxt)):
                return circle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state and (circle := visit(node)):
            return circle
    return None


def test_every_part_of_the_package_has_its_layer():
    parts = {part_of(m) for m in MODULES}
    assert len(MODULES) > 100 and {"catalog", "engine", "sites", "cli"} <= parts
    assert sorted(parts - set(LAYER)) == [], "place each new part in LAYERS (and in docs/architecture.md)"


def test_no_module_imports_a_part_of_a_layer_above_its_own():
    """Held for every module of orchestrator/, including the imports inside functions."""
    upward = [f"{MODULES[module].relative_to(PROJECT)}:{line} imports {target} ({part_of(target)} is "
              f"above {part_of(module)})"
              for module, line, target in import_lines()
              if LAYER.get(part_of(target), -1) > LAYER.get(part_of(module), len(LAYERS))]
    assert upward == []


def test_no_circle_between_parts():
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for module, line, target in import_lines():
        a, b = part_of(module), part_of(target)
        if a != b:
            edges.setdefault(a, set()).add(b)
            where.setdefault((a, b), f"{MODULES[module].relative_to(PROJECT)}:{line} imports {target}")
    circle = a_circle(edges)
    assert circle is None, " -> ".join(circle) + ": " + "; ".join(
        where[pair] for pair in zip(circle, circle[1:], strict=False))


def test_no_circle_between_modules():
    """Not even inside a part (the catalog's loader and its cross-checks, the planner's waves and
    deadlines once had one): the shared piece gets a module of its own. Inside a part, a name
    imported only for annotations (``if TYPE_CHECKING:``, e.g. a journal table module naming the
    Journal it is given) runs nothing and is no circle; between parts, the tests above count it."""
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for module, line, target in import_lines(runtime_only=True):
        edges.setdefault(module, set()).add(target)
        where.setdefault((module, target), f"{MODULES[module].relative_to(PROJECT)}:{line}")
    circle = a_circle(edges)
    assert circle is None, " -> ".join(circle) + ": " + "; ".join(
        f"{where[pair]} imports {pair[1]}" for pair in zip(circle, circle[1:], strict=False))


def test_the_layer_test_names_an_upward_import_and_a_circle():
    """The checks above see an import inside a function, and name the module and the import."""
    tree = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    guarded = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\nimport y\n")
    assert len(type_only(guarded)) == 2  # the Import node and its alias, not `import y`
    assert a_circle(tree) == ["a", "b", "c", "a"] and a_circle({"a": {"b"}, "b": set()}) is None
    hidden = ast.parse("def f():\n    from orchestrator.cli import cli\n")
    assert [n.module for n in ast.walk(hidden) if isinstance(n, ast.ImportFrom)] == ["orchestrator.cli"]
    assert LAYER["cli"] > LAYER["engine"] > LAYER["checks"] > LAYER["sites"] > LAYER["steps"]
