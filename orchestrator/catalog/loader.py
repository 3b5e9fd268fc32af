"""Load `seeds/` (a folder of YAML files, or one file) into a validated :class:`Catalog`.

Every problem in every file is collected before anything is raised, and each problem is one line
naming the file, the item and the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from orchestrator.catalog.graph import find_cycles
from orchestrator.catalog.models import (
    ASSUMABLE_FIELDS,
    Calendar,
    CostModel,
    Criterion,
    DependencyKind,
    Fact,
    Release,
    Service,
    Source,
)
from orchestrator.errors import CatalogError, InputError

CATALOG_ENV = "LOGIUS_MIGRATE_CATALOG"
LIST_SECTIONS = {"services": Service, "releases": Release, "facts": Fact, "criteria": Criterion,
                 "sources": Source}
SINGLE_SECTIONS = {"calendar": Calendar, "cost_model": CostModel}
ITEM_WORD = {"services": "service", "releases": "release", "facts": "fact", "criteria": "criterion",
             "sources": "source"}


@dataclass(frozen=True)
class Catalog:
    """A validated catalog. ``origin`` maps ``(section, id)`` to the file that defined it."""

    services: tuple[Service, ...]
    releases: tuple[Release, ...] = ()
    facts: tuple[Fact, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    sources: tuple[Source, ...] = ()
    calendar: Calendar | None = None
    cost_model: CostModel | None = None
    origin: dict[tuple[str, str], str] = field(default_factory=dict, compare=False)
    warnings: tuple[str, ...] = ()
    #: Every hard dependency as (dependant, dependency) positions in ``services``; built once here
    #: so that planning and explaining never walk the models' dependency lists again.
    hard_pairs: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {s.id: i for i, s in enumerate(self.services)}
        hard = DependencyKind.HARD
        pairs = tuple((i, index[d.service]) for i, s in enumerate(self.services)
                      for d in s.dependencies if d.kind is hard)
        object.__setattr__(self, "hard_pairs", pairs)

    def service(self, service_id: str) -> Service:
        """The service with this id; InputError naming the id when there is none."""
        for service in self.services:
            if service.id == service_id:
                return service
        raise InputError(f"no service {service_id!r} in the catalog")


def default_catalog_path() -> Path:
    """``$LOGIUS_MIGRATE_CATALOG`` if set, else the shipped example catalog (Logius's ``seeds/``)."""
    env = os.environ.get(CATALOG_ENV)
    if env:
        return Path(env)
    from orchestrator.resources import resource

    return resource("seeds")


def catalog_files(path: Path) -> list[Path]:
    """The YAML files a catalog path stands for, in a stable order."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
        if not files:
            raise InputError(f"{path}: no .yaml files in this catalog folder")
        return files
    raise InputError(f"{path}: catalog not found (give a folder or a .yaml file with --catalog)")


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Read, validate and cross-check a catalog; raise CatalogError listing every problem."""
    root = Path(path) if path is not None else default_catalog_path()
    builder = _Builder()
    for file in catalog_files(root):
        builder.read_file(file, _display(file))
    return builder.finish()


def catalog_from_data(data: dict[str, Any], name: str = "<data>") -> Catalog:
    """Validate an in-memory catalog document (the shape of one YAML file); used by tests and tools."""
    builder = _Builder()
    builder.read_document(data, name)
    return builder.finish()


def _display(file: Path) -> str:
    """The file as the user knows it: relative below the working directory, else absolute."""
    absolute = file.resolve()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def field_path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(item)"


def pydantic_message(error: dict[str, Any]) -> str:
    msg = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    # A secret source that went wrong may hold a value: never echo it.
    if error["type"] not in {"value_error", "missing", "extra_forbidden", "secret_source"}:
        msg += f" (got {error.get('input')!r})"
    return msg


class _Builder:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.items: dict[str, list[tuple[str, Any]]] = {name: [] for name in LIST_SECTIONS}
        self.singles: dict[str, tuple[str, Any]] = {}

    def read_file(self, file: Path, name: str) -> None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"{name}: cannot read: {exc}")
            return
        try:
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problems.append(f"{name}: {where}malformed YAML: {problem}")
            return
        if data is None:
            return
        self.read_document(data, name)

    def read_document(self, data: Any, name: str) -> None:
        if not isinstance(data, dict):
            self.problems.append(f"{name}: top level must be a mapping of sections "
                                 f"({', '.join(sorted({*LIST_SECTIONS, *SINGLE_SECTIONS}))})")
            return
        for section, body in data.items():
            if section in LIST_SECTIONS:
                self._read_list(section, body, name)
            elif section in SINGLE_SECTIONS:
                if section in self.singles:
                    self.problems.append(f"{name}: section '{section}': defined again "
                                         f"(first in {self.singles[section][0]})")
                    continue
                model = self._validate(SINGLE_SECTIONS[section], body, name, f"section '{section}'")
                if model is not None:
                    self.singles[section] = (name, model)
            else:
                self.problems.append(f"{name}: unknown section {section!r} (known: "
                                     f"{', '.join(sorted({*LIST_SECTIONS, *SINGLE_SECTIONS}))})")

    def _read_list(self, section: str, body: Any, name: str) -> None:
        if not isinstance(body, list):
            self.problems.append(f"{name}: section '{section}': must be a list")
            return
        word = ITEM_WORD[section]
        for position, raw in enumerate(body):
            label = _item_label(raw, position)
            model = self._validate(LIST_SECTIONS[section], raw, name, f"{word} {label}")
            if model is not None:
                self.items[section].append((name, model))

    def _validate(self, model: type[BaseModel], raw: Any, name: str, label: str) -> Any:
        if not isinstance(raw, dict):
            self.problems.append(f"{name}: {label}: must be a mapping of fields")
            return None
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                self.problems.append(
                    f"{name}: {label}: field '{field_path(error['loc'])}': {pydantic_message(error)}")
            return None

    def finish(self) -> Catalog:
        origin: dict[tuple[str, str], str] = {}
        for section in ("services", "releases", "facts"):
            for file, item in self.items[section]:
                key = (section, item.id)
                if key in origin:
                    self.problems.append(f"{file}: {ITEM_WORD[section]} '{item.id}': field 'id': "
                                         f"duplicate id (first defined in {origin[key]})")
                else:
                    origin[key] = file
        services = [s for _, s in self.items["services"]]
        releases = [r for _, r in self.items["releases"]]
        sources = [s for _, s in self.items["sources"]]
        service_file = {s.id: origin[("services", s.id)] for s in services}
        self._check_services(services, service_file, {r.id for r in releases})
        citations = {s.citation for s in sources}
        if citations:
            self._check_sources(citations)
        self._check_criteria()
        self._check_cost_model()
        if self.problems:
            # Grouped by file (stable, so each file's problems keep their order).
            raise CatalogError(sorted(self.problems, key=lambda p: p.split(": ", 1)[0]))
        return Catalog(
            services=tuple(sorted(_unique(services), key=lambda s: s.id)),
            releases=tuple(sorted(_unique(releases), key=lambda r: r.id)),
            facts=tuple(sorted(_unique(f for _, f in self.items["facts"]), key=lambda f: f.id)),
            criteria=tuple(sorted((c for _, c in self.items["criteria"]), key=lambda c: c.number)),
            sources=tuple(sources),
            calendar=self.singles.get("calendar", (None, None))[1],
            cost_model=self.singles.get("cost_model", (None, None))[1],
            origin=origin,
            warnings=tuple(_assumption_warnings(services, releases, service_file, origin)),
        )

    def _check_services(self, services: list[Service], file_of: dict[str, str],
                        release_ids: set[str]) -> None:
        known = set(file_of)
        hard: dict[str, list[str]] = {sid: [] for sid in sorted(known)}
        for service in services:
            where = f"{file_of[service.id]}: service '{service.id}'"
            seen: set[str] = set()
            for i, dep in enumerate(service.dependencies):
                field_name = f"dependencies[{i}].service"
                if dep.service == service.id:
                    self.problems.append(f"{where}: field '{field_name}': depends on itself")
                elif dep.service not in known:
                    self.problems.append(f"{where}: field '{field_name}': unknown service {dep.service!r}")
                elif dep.service in seen:
                    self.problems.append(f"{where}: field '{field_name}': {dep.service!r} listed twice")
                elif dep.kind is DependencyKind.HARD:
                    hard[service.id].append(dep.service)
                seen.add(dep.service)
            if service.min_release is not None and service.min_release not in release_ids:
                self.problems.append(f"{where}: field 'min_release': unknown release "
                                     f"{service.min_release!r}")
            for assumed in service.assumptions:
                if assumed not in ASSUMABLE_FIELDS:
                    self.problems.append(f"{where}: field 'assumptions': {assumed!r} is not a service field")
            if service.not_before and service.deadline and service.deadline < service.not_before:
                self.problems.append(f"{where}: field 'deadline': {service.deadline} is before "
                                     f"not_before {service.not_before}")
        for cycle in find_cycles(hard):
            self.problems.append(f"{file_of[cycle[0]]}: service '{cycle[0]}': field 'dependencies': "
                                 f"hard dependency cycle {' -> '.join(cycle)}")

    def _check_sources(self, citations: set[str]) -> None:
        for section in ("services", "releases", "facts", "criteria"):
            for file, item in self.items[section]:
                if item.source not in citations:
                    label = getattr(item, "id", None) or getattr(item, "number", "?")
                    self.problems.append(f"{file}: {ITEM_WORD[section]} '{label}': field 'source': "
                                         f"{item.source!r} is not a listed source (title, year)")
        for section, (file, item) in self.singles.items():
            if item.source not in citations:
                self.problems.append(f"{file}: section '{section}': field 'source': "
                                     f"{item.source!r} is not a listed source (title, year)")

    def _check_criteria(self) -> None:
        seen: dict[int, str] = {}
        for file, criterion in self.items["criteria"]:
            if criterion.number in seen:
                self.problems.append(f"{file}: criterion '{criterion.number}': field 'number': "
                                     f"duplicate (first in {seen[criterion.number]})")
            seen[criterion.number] = file
        if seen and sorted(seen) != list(range(1, len(seen) + 1)):
            missing = sorted(set(range(1, max(seen) + 1)) - set(seen))
            self.problems.append(f"{self.items['criteria'][0][0]}: criteria: field 'number': "
                                 f"numbers must run 1..{len(seen)} without gaps (missing {missing})")


    def _check_cost_model(self) -> None:
        if "cost_model" not in self.singles:
            return
        file, model = self.singles["cost_model"]
        if model.stated_increase_pct is None:
            return
        base = model.base_exposure_meur
        computed = (model.exposure_after_pause_meur - base) / base * 100
        if abs(computed - model.stated_increase_pct) > 0.05:
            self.problems.append(f"{file}: section 'cost_model': field 'stated_increase_pct': "
                                 f"{model.stated_increase_pct}% does not match the exposures given "
                                 f"({computed:.2f}%)")


def _item_label(raw: Any, position: int) -> str:
    if isinstance(raw, dict):
        for key in ("id", "number", "title"):
            if key in raw and isinstance(raw[key], (str, int)):
                return repr(str(raw[key])) if key != "number" else f"'{raw[key]}'"
    return f"#{position + 1}"


def _unique(items: Any) -> list[Any]:
    seen: set[str] = set()
    result = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            result.append(item)
    return result


def _assumption_warnings(services: list[Service], releases: list[Release],
                         service_file: dict[str, str],
                         origin: dict[tuple[str, str], str]) -> list[str]:
    warnings = []
    for service in services:
        if service.assumptions:
            warnings.append(f"{service_file[service.id]}: service '{service.id}': assumed, not from "
                            f"the sources: {', '.join(service.assumptions)}")
    for release in releases:
        if release.assumptions:
            warnings.append(f"{origin[('releases', release.id)]}: release '{release.id}': assumed, "
                            f"not from the sources: {', '.join(release.assumptions)}")
    return warnings
