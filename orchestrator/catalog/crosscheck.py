"""The checks that need more than one item: ids, references, domains, citations, criteria, cost.

Each adds its problems to the loader's :class:`~orchestrator.catalog.problems.Problems`, with the
path of the node concerned so the line can be found.
"""

from __future__ import annotations

from orchestrator.catalog.graph import find_cycles
from orchestrator.catalog.models import ASSUMABLE_FIELDS, DependencyKind, Organisation
from orchestrator.catalog.problems import Item, Problems

WORD = {"services": "service", "releases": "release", "facts": "fact", "criteria": "criterion"}


def unique_ids(items: dict[str, list[Item]], problems: Problems) -> dict[tuple[str, str], str]:
    """``(section, id) -> file`` for services, releases and facts; a repeated id is a problem
    naming both places."""
    origin: dict[tuple[str, str], str] = {}
    first_position: dict[tuple[str, str], int | None] = {}
    for section in ("services", "releases", "facts"):
        for item in items[section]:
            key = (section, item.model.id)
            if key in origin:
                where = origin[key]
                first = first_position[key]
                if where == item.file and first is not None:
                    where = f"item {first + 1} of section '{section}' in this file"
                problems.add(item.file, f"{WORD[section]} '{item.model.id}': field 'id': duplicate "
                                        f"id (first defined in {where})",
                             (section, item.position, "id"))
            else:
                origin[key] = item.file
                first_position[key] = item.position
    return origin


def services(found: list[Item], release_ids: set[str], problems: Problems) -> None:
    """References to services and releases, assumptions, dates, and hard-dependency cycles."""
    known = {item.model.id for item in found}
    hard: dict[str, list[str]] = {}
    where_of: dict[str, Item] = {}
    hard_kind = DependencyKind.HARD
    for item in found:
        service = item.model
        where_of.setdefault(service.id, item)
        deps = service.dependencies
        names = [d.service for d in deps]
        if service.id in names or len(set(names)) != len(names) or not known.issuperset(names):
            hard[service.id] = _dependency_problems(item, known, problems)
        else:
            hard[service.id] = [d.service for d in deps if d.kind is hard_kind]
        if service.min_release is not None or service.assumptions or service.deadline:
            _service_fields(item, release_ids, problems)
    for cycle in find_cycles(hard):
        item = where_of[cycle[0]]
        problems.add(item.file, f"service '{cycle[0]}': field 'dependencies': hard dependency "
                                f"cycle {' -> '.join(cycle)}",
                     ("services", item.position, "dependencies"))


def _dependency_problems(item: Item, known: set[str], problems: Problems) -> list[str]:
    """Report each bad dependency of one service; return its valid hard dependencies."""
    service = item.model
    hard, seen = [], set()
    for i, dep in enumerate(service.dependencies):
        problem = None
        if dep.service == service.id:
            problem = "depends on itself"
        elif dep.service not in known:
            problem = f"unknown service {dep.service!r}"
        elif dep.service in seen:
            problem = f"{dep.service!r} listed twice"
        elif dep.kind is DependencyKind.HARD:
            hard.append(dep.service)
        seen.add(dep.service)
        if problem:
            problems.add(item.file, f"service '{service.id}': field 'dependencies[{i}].service': "
                                    f"{problem}", ("services", item.position, "dependencies", i,
                                                   "service"))
    return hard


def _service_fields(item: Item, release_ids: set[str], problems: Problems) -> None:
    service = item.model
    label = f"service '{service.id}'"
    at = ("services", item.position)
    if service.min_release is not None and service.min_release not in release_ids:
        problems.add(item.file, f"{label}: field 'min_release': unknown release "
                                f"{service.min_release!r}", (*at, "min_release"))
    for assumed in service.assumptions:
        if assumed not in ASSUMABLE_FIELDS:
            problems.add(item.file, f"{label}: field 'assumptions': {assumed!r} is not a service "
                                    f"field", (*at, "assumptions"))
    if service.not_before and service.deadline and service.deadline < service.not_before:
        problems.add(item.file, f"{label}: field 'deadline': {service.deadline} is before "
                                f"not_before {service.not_before}", (*at, "deadline"))


def domains(found: list[Item], organisation: Organisation, problems: Problems) -> None:
    """Every service's domain is one the organisation declares (any, when it declares none)."""
    if organisation.domains is None:
        return
    declared = set(organisation.domains)
    for item in found:
        if item.model.domain not in declared:
            problems.add(item.file, f"service '{item.model.id}': field 'domain': "
                                    f"{item.model.domain!r} is not a declared domain (organisation"
                                    f".domains: {', '.join(organisation.domains)})",
                         ("services", item.position, "domain"))


def citations(items: dict[str, list[Item]], singles: dict[str, Item],
              organisation: Organisation, problems: Problems) -> None:
    """With ``citations: required``, every item cites a listed source. Otherwise sources are
    optional, and a citation is checked only when the catalog lists sources to check it against."""
    listed = {item.model.citation for item in items["sources"]}
    required = organisation.citations == "required"
    if required and not listed:
        where = singles["organisation"].file
        problems.add(where, "section 'organisation': field 'citations': 'required', but the catalog "
                            "lists no sources (add a 'sources' section)", ("organisation", "citations"))
        return
    if not listed:
        return
    for section in WORD:
        for item in items[section]:
            label = getattr(item.model, "id", None) or getattr(item.model, "number", "?")
            _cite(item, f"{WORD[section]} '{label}'", (section, item.position or 0), listed,
                  required, problems)
    for section, item in singles.items():
        if section != "organisation":
            _cite(item, f"section '{section}'", (section,), listed, required, problems)


def _cite(item: Item, label: str, at: tuple[str | int, ...], listed: set[str],
          required: bool, problems: Problems) -> None:
    source = item.model.source
    if source is None:
        if required:
            problems.add(item.file, f"{label}: field 'source': missing (organisation.citations "
                                    f"is 'required')", at)
    elif source not in listed:
        problems.add(item.file, f"{label}: field 'source': {source!r} is not a listed source "
                                f"(title, year)", (*at, "source"))


def criteria(found: list[Item], problems: Problems) -> None:
    """Criterion numbers are unique and run 1..n without gaps."""
    seen: dict[int, str] = {}
    for item in found:
        number = item.model.number
        if number in seen:
            problems.add(item.file, f"criterion '{number}': field 'number': duplicate (first in "
                                    f"{seen[number]})", ("criteria", item.position, "number"))
        seen[number] = item.file
    if seen and sorted(seen) != list(range(1, len(seen) + 1)):
        missing = sorted(set(range(1, max(seen) + 1)) - set(seen))
        problems.add(found[0].file, f"criteria: field 'number': numbers must run 1..{len(seen)} "
                                    f"without gaps (missing {missing})", ("criteria",))


def cost_model(item: Item | None, problems: Problems) -> None:
    """A stated percentage must agree with the two exposures it summarises."""
    if item is None or item.model.stated_increase_pct is None:
        return
    model = item.model
    base = model.base_exposure_meur
    if base == 0:
        return
    computed = (model.exposure_after_pause_meur - base) / base * 100
    if abs(computed - model.stated_increase_pct) > 0.05:
        problems.add(item.file, f"section 'cost_model': field 'stated_increase_pct': "
                                f"{model.stated_increase_pct}% does not match the exposures given "
                                f"({computed:.2f}%)", ("cost_model", "stated_increase_pct"))
