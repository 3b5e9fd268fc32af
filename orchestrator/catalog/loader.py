"""Load a catalog (a folder of YAML or JSON files, or one file) into a validated :class:`Catalog`.

Every problem in every file is collected before anything is raised, and each problem is one line
naming the file (with the line, for YAML), the item and the field.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestrator.catalog import crosscheck
from orchestrator.catalog.documents import (
    SUFFIXES,
    DocumentError,
    decode_document,
    parse_document,
)
from orchestrator.catalog.models import (
    Calendar,
    CostModel,
    Criterion,
    DependencyKind,
    Fact,
    ForecastSettings,
    Organisation,
    Release,
    Service,
    Source,
)
from orchestrator.catalog.problems import Item, Problems, field_path, pydantic_message
from orchestrator.errors import CatalogError, InputError

CATALOG_ENV = "LOGIUS_MIGRATE_CATALOG"
LIST_SECTIONS: dict[str, type[BaseModel]] = {"services": Service, "releases": Release, "facts": Fact,
                                              "criteria": Criterion, "sources": Source}
SINGLE_SECTIONS: dict[str, type[BaseModel]] = {"organisation": Organisation, "calendar": Calendar,
                                                "cost_model": CostModel, "forecast": ForecastSettings}
ITEM_WORD = {"services": "service", "releases": "release", "facts": "fact", "criteria": "criterion",
             "sources": "source"}
SECTION_NAMES = ", ".join(sorted({*LIST_SECTIONS, *SINGLE_SECTIONS}))


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
    organisation: Organisation = field(default_factory=Organisation)
    origin: dict[tuple[str, str], str] = field(default_factory=dict, compare=False)
    warnings: tuple[str, ...] = ()
    #: Every hard dependency as (dependant, dependency) positions in ``services``; built once here
    #: so that planning and explaining never walk the models' dependency lists again.
    hard_pairs: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    #: Position of each service in ``services``, by id.
    index: dict[str, int] = field(init=False, repr=False, compare=False)
    #: The SHA-256 of the content the loader read (see :func:`catalog_digest`; empty for a catalog
    #: made from data) and each file's own: what a saved plan records and a run is checked against.
    digest: str = field(default="", repr=False, compare=False)
    file_digests: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    #: The ``forecast:`` section (None: absent, see :attr:`forecast_settings`).
    forecast: ForecastSettings | None = None

    def __post_init__(self) -> None:
        index = {s.id: i for i, s in enumerate(self.services)}
        hard = DependencyKind.HARD
        pairs = tuple((i, index[d.service]) for i, s in enumerate(self.services)
                      for d in s.dependencies if d.kind is hard)
        object.__setattr__(self, "hard_pairs", pairs)
        object.__setattr__(self, "index", index)

    def service(self, service_id: str) -> Service:
        """The service with this id; InputError naming the id when there is none."""
        position = self.index.get(service_id)
        if position is None:
            raise InputError(f"no service {service_id!r} in the catalog")
        return self.services[position]

    def availability_norm(self, service: Service) -> float | None:
        """The service's availability norm in %, else the calendar's default, else None (unknown)."""
        if service.availability_norm is not None:
            return service.availability_norm
        return self.calendar.availability_norm if self.calendar is not None else None

    @property
    def forecast_settings(self) -> ForecastSettings:
        """The ``forecast:`` section, else its defaults."""
        return self.forecast if self.forecast is not None else ForecastSettings()

    @property
    def cost_label(self) -> str:
        return self.cost_model.label if self.cost_model is not None else "cost of delay"


def default_catalog_path() -> Path:
    """``$LOGIUS_MIGRATE_CATALOG`` if set, else the shipped example catalog (Logius's ``seeds/``)."""
    env = os.environ.get(CATALOG_ENV)
    if env:
        return Path(env)
    from orchestrator.resources import resource

    return resource("seeds")


def catalog_files(path: Path) -> list[Path]:
    """The YAML and JSON files a catalog path stands for, in a stable order."""
    if path.is_file():
        return [path]
    if path.is_dir():
        # releases/ holds the supplier's release manifests (see `release validate`), not catalog items
        files = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                       and p.relative_to(path).parts[0] != "releases")
        if not files:
            raise InputError(f"{path}: no .yaml, .yml or .json files in this catalog folder")
        return files
    raise InputError(f"{path}: catalog not found (give a folder, or a .yaml or .json file, "
                     f"with --catalog)")


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Read, validate and cross-check a catalog; raise CatalogError listing every problem."""
    from orchestrator.gcpause import gc_paused

    root = Path(path) if path is not None else default_catalog_path()
    builder = _Builder(_display(root))
    base = root if root.is_dir() else root.parent
    with gc_paused():
        for file in catalog_files(root):
            builder.read_file(file, _display(file), str(file.relative_to(base)))
        return builder.finish()


def catalog_from_data(data: dict[str, Any], name: str = "<data>") -> Catalog:
    """Validate an in-memory catalog document (the shape of one YAML file); used by tests and tools."""
    builder = _Builder(name)
    builder.read_document(data, name)
    return builder.finish()


def _display(file: Path) -> str:
    """The file as the user knows it: relative below the working directory, else absolute."""
    absolute = file.resolve()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


class _Builder:
    def __init__(self, root: str) -> None:
        self.root = root
        self.problems = Problems()
        self.items: dict[str, list[Item]] = {name: [] for name in LIST_SECTIONS}
        self.singles: dict[str, Item] = {}
        self.digests: dict[str, str] = {}  # each file's SHA-256, by its name below the catalog

    def read_file(self, file: Path, name: str, key: str) -> None:
        """Read one file once: its bytes are hashed (under ``key``) and parsed."""
        import hashlib

        self.problems.paths[name] = file
        try:
            raw = file.read_bytes()
        except OSError as exc:
            self.problems.add(name, f"cannot read: {exc}")
            return
        self.digests[key] = hashlib.sha256(raw).hexdigest()
        try:
            data = parse_document(decode_document(raw), file.suffix)
        except DocumentError as exc:
            self.problems.add(name, str(exc), line=exc.line)
            return
        if data is not None:
            self.read_document(data, name)

    def read_document(self, data: Any, name: str) -> None:
        if not isinstance(data, dict):
            self.problems.add(name, f"top level must be a mapping of sections ({SECTION_NAMES})")
            return
        for section, body in data.items():
            if section in LIST_SECTIONS:
                self._read_list(section, body, name)
            elif section in SINGLE_SECTIONS:
                if section in self.singles:
                    self.problems.add(name, f"section '{section}': defined again (first in "
                                            f"{self.singles[section].file})", (section,))
                    continue
                model = self._validate(SINGLE_SECTIONS[section], body, name,
                                       f"section '{section}'", (section,))
                if model is not None:
                    self.singles[section] = Item(name, None, model)
            else:
                self.problems.add(name, f"unknown section {section!r} (known: {SECTION_NAMES})",
                                  (section,))

    def _read_list(self, section: str, body: Any, name: str) -> None:
        if not isinstance(body, list):
            self.problems.add(name, f"section '{section}': must be a list", (section,))
            return
        word = ITEM_WORD[section]
        model_type = LIST_SECTIONS[section]
        found = self.items[section]
        for position, raw in enumerate(body):
            label = f"{word} {_item_label(raw, position)}"
            model = self._validate(model_type, raw, name, label, (section, position))
            if model is not None:
                found.append(Item(name, position, model))

    def _validate(self, model: type[BaseModel], raw: Any, name: str, label: str,
                  where: tuple[str | int, ...]) -> Any:
        if not isinstance(raw, dict):
            self.problems.add(name, f"{label}: must be a mapping of fields", where)
            return None
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                self.problems.add(name, f"{label}: field '{field_path(error['loc'])}': "
                                        f"{pydantic_message(error)}", (*where, *error["loc"]))
            return None

    def finish(self) -> Catalog:
        problems = self.problems
        origin = crosscheck.unique_ids(self.items, problems)
        organisation = self.singles["organisation"].model if "organisation" in self.singles \
            else Organisation()
        services = self.items["services"]
        if not services and not problems:
            problems.add(self.root, "no services: a catalog lists at least one service (section "
                                    "'services')")
        crosscheck.services(services, {i.model.id for i in self.items["releases"]}, problems)
        crosscheck.domains(services, organisation, problems)
        crosscheck.citations(self.items, self.singles, organisation, problems)
        crosscheck.criteria(self.items["criteria"], problems)
        crosscheck.cost_model(self.singles.get("cost_model"), problems)
        if problems:
            raise CatalogError(problems.lines())
        return self._catalog(organisation, origin)

    def _catalog(self, organisation: Organisation, origin: dict[tuple[str, str], str]) -> Catalog:
        def models(section: str) -> list[Any]:
            return [item.model for item in self.items[section]]

        services, releases = models("services"), models("releases")
        single = {name: item.model for name, item in self.singles.items()}
        return Catalog(
            services=tuple(sorted(services, key=lambda s: s.id)),
            releases=tuple(sorted(releases, key=lambda r: r.id)),
            facts=tuple(sorted(models("facts"), key=lambda f: f.id)),
            criteria=tuple(sorted(models("criteria"), key=lambda c: c.number)),
            sources=tuple(models("sources")),
            calendar=single.get("calendar"),
            cost_model=single.get("cost_model"),
            forecast=single.get("forecast"),
            organisation=organisation,
            origin=origin,
            warnings=tuple(_assumption_warnings(services, releases, origin)),
            digest=content_digest(self.digests) if self.digests else "",
            file_digests=dict(self.digests),
        )


def _item_label(raw: Any, position: int) -> str:
    if isinstance(raw, dict):
        for key in ("id", "number", "title"):
            if key in raw and isinstance(raw[key], (str, int)):
                return repr(str(raw[key])) if key != "number" else f"'{raw[key]}'"
    return f"#{position + 1}"


def _assumption_warnings(services: list[Service], releases: list[Release],
                         origin: dict[tuple[str, str], str]) -> list[str]:
    warnings = []
    for service in services:
        if service.assumptions:
            warnings.append(f"{origin[('services', service.id)]}: service '{service.id}': assumed, "
                            f"not from the sources: {', '.join(service.assumptions)}")
    for release in releases:
        if release.assumptions:
            warnings.append(f"{origin[('releases', release.id)]}: release '{release.id}': assumed, "
                            f"not from the sources: {', '.join(release.assumptions)}")
    return warnings


def catalog_digest(path: Path | str | None = None) -> tuple[str, dict[str, str]]:
    """The SHA-256 of the catalog's content (every file's name below the catalog and bytes), and
    each file's own, so a saved plan can name what changed since."""
    import hashlib

    root = Path(path) if path is not None else default_catalog_path()
    files = catalog_files(root)
    base = root if root.is_dir() else root.parent
    each = {str(f.relative_to(base)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    return content_digest(each), each


def content_digest(each: dict[str, str]) -> str:
    """The SHA-256 of a catalog from its files' own (name below the catalog: SHA-256)."""
    import hashlib

    return hashlib.sha256(json.dumps(each, sort_keys=True).encode()).hexdigest()
