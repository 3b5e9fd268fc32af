"""The supplier's release manifest, and the agency's policy it is validated against.

A manifest (``seeds/releases/*.yaml``) states what the supplier delivered: the release id and date,
the supplier, the Kubernetes version, every component with its version and pinned image digest,
the storage classes, ingress and network-policy support it claims, the known issues it declares
and the blockers it claims to fix. The policy (``seeds/releases/policy.yaml``) states what the
agency requires: the components and the versions it supports, and the Kubernetes window. Both are
validated strictly; every problem names the file and the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestrator.errors import CatalogError, InputError

VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+.].*)?$")
IMAGE = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/:-]*?)(?::(?P<tag>[A-Za-z0-9._-]+))?"
                   r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def version_tuple(text: str) -> tuple[int, int, int]:
    match = VERSION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a version (MAJOR.MINOR[.PATCH])")
    return int(match[1]), int(match[2]), int(match[3] or 0)


def _checked_version(text: str) -> str:
    version_tuple(text)
    return text


#: A version string, checked when the manifest or policy is read (the file and field named then).
Version = Annotated[str, AfterValidator(_checked_version)]


class Component(_Model):
    name: str = Field(min_length=1)
    version: Version
    image: str = Field(min_length=1)
    namespace: str | None = None
    #: The workload that runs it: ``deployment/NAME`` or ``daemonset/NAME``.
    workload: str | None = Field(default=None, pattern=r"^(deployment|daemonset|statefulset)/[a-z0-9-]+$")

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not IMAGE.match(value):
            raise ValueError(f"{value!r} is not an image reference (REPOSITORY[:TAG][@sha256:DIGEST])")
        return value

    @property
    def digest(self) -> str | None:
        match = IMAGE.match(self.image)
        return match["digest"] if match else None

    @property
    def tag(self) -> str | None:
        match = IMAGE.match(self.image)
        return match["tag"] if match else None


class StorageClass(_Model):
    name: str = Field(min_length=1)
    default: bool = False


class KnownIssue(_Model):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    severity: Literal["blocking", "major", "minor"]
    workaround: str | None = None


class Manifest(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")
    name: str | None = None
    date: dt.date
    supplier: str = Field(min_length=1)
    kubernetes_version: Version
    components: list[Component] = Field(min_length=1)
    storage_classes: list[StorageClass] = Field(default_factory=list)
    ingress: bool = False
    network_policy: bool = False
    #: Known issues the supplier declares; None means the manifest says nothing about them.
    known_issues: list[KnownIssue] | None = None
    #: Blockers (BLK-nnnn) the supplier says this release fixes.
    fixes: list[str] = Field(default_factory=list)
    notes: str | None = None
    assumptions: list[str] = Field(default_factory=list)

    @field_validator("fixes")
    @classmethod
    def _blocker_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"BLK-\d{4}", item):
                raise ValueError(f"{item!r} is not a blocker id (BLK-0001)")
        return value


class RequiredComponent(_Model):
    name: str
    min_version: Version
    max_version: Version | None = None


class Policy(_Model):
    """What the agency requires of every release."""

    kubernetes_min: Version
    kubernetes_max: Version
    required_components: list[RequiredComponent] = Field(min_length=1)
    required_storage_classes: list[str] = Field(default_factory=list)
    #: Forbidden image tags (a moving tag is not a release).
    moving_tags: list[str] = Field(default_factory=lambda: ["latest", "stable", "main", "master"])
    #: Free disk space every LPC host must have (REL-ANS-003), in MB.
    min_free_disk_mb: int = Field(default=1024, ge=0)


def _read(path: Path, model: type[BaseModel], section: str) -> tuple[Any, str]:
    """Validate ``section`` of a YAML file into ``model``; the model and the file's SHA-256."""
    from orchestrator.catalog.documents import DocumentError, read_document
    from orchestrator.catalog.problems import field_path, pydantic_message

    what = {"release": "the release manifest", "policy": "the policy"}[section]
    if path.is_dir():
        raise InputError(_directory_problem(path, section))
    if not path.is_file():
        raise CatalogError([f"{path}: no such file"], what)
    try:
        data = read_document(path)
    except DocumentError as exc:
        where = f":{exc.line}" if exc.line else ""
        raise CatalogError([f"{path}{where}: {exc}"], what) from None
    if not isinstance(data, dict) or section not in data:
        raise CatalogError([f"{path}: expected a mapping with a '{section}' section"], what)
    try:
        model_ = model.model_validate(data[section])
    except ValidationError as exc:
        raise CatalogError([f"{path}: {section}: field '{field_path(e['loc'])}': {pydantic_message(e)}"
                            for e in exc.errors()], what) from None
    return model_, hashlib.sha256(path.read_bytes()).hexdigest()


def _directory_problem(path: Path, section: str) -> str:
    """One line for a directory given where a file is wanted, naming the files in it that hold a
    ``section`` (release: the manifests)."""
    from orchestrator.catalog.documents import SUFFIXES, DocumentError, read_document

    what = {"release": "manifest", "policy": "policy file"}[section]
    found = []
    for candidate in sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        try:
            data = read_document(candidate)
        except DocumentError:
            continue
        if isinstance(data, dict) and section in data:
            found.append(candidate.name)
    if not found:
        return (f"{path} is a directory, not a {what}, and it holds no {what}s (YAML or JSON files with "
                f"a '{section}' section); give the path of one")
    return f"{path} is a directory, not a {what}; give one of the {what}s in it: {', '.join(found)}"


def load_manifest(path: Path) -> tuple[Manifest, str]:
    """The manifest at ``path`` and its SHA-256; CatalogError naming the file and every field."""
    return _read(path, Manifest, "release")


def load_policy(path: Path) -> Policy:
    return _read(path, Policy, "policy")[0]


def default_policy_path() -> Path:
    from orchestrator.resources import resource

    return resource("seeds") / "releases" / "policy.yaml"


def platform_variables(manifest: Manifest) -> dict[str, Any]:
    """The platform landing zone's inputs as the release states them (the contract of
    ``terraform/modules/lpc-platform``): what REL-TF-001 plans against, and what the lab applies."""
    return {"release": manifest.id, "kubernetes_version": manifest.kubernetes_version,
            "components": {c.name: c.image for c in manifest.components},
            "workloads": {c.name: {"namespace": c.namespace, "workload": c.workload}
                          for c in manifest.components if c.namespace and c.workload},
            "storage_classes": {s.name: s.default for s in manifest.storage_classes},
            "ingress": manifest.ingress, "network_policy": manifest.network_policy}


def find_manifest(folders: list[Path], release_id: str) -> Path | None:
    """The first manifest of ``release_id`` in ``folders`` (each a catalog's ``releases/``), by the
    id it declares; files that are not valid manifests are passed over."""
    for folder in folders:
        for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
            try:
                if load_manifest(path)[0].id == release_id:
                    return path
            except InputError:  # not a manifest (a CatalogError), or a folder named like one
                continue
    return None
