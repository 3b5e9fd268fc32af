"""Reading a plan in ``terraform show -json``'s documented format: the resources the plan leaves
in place (``resource_changes[].change.after`` and ``after_unknown``), the references between them
(``configuration``'s expressions) and the plan's variables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError

#: The major versions of the JSON output format read here (Terraform 1.x writes 1.x).
SUPPORTED_MAJOR = "1"
_INDEX = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class Resource:
    """One managed resource as the plan leaves it. ``unknown`` mirrors ``values`` where a value is
    known only after apply; ``refs`` maps an attribute path (``ip_configuration.subnet_id``) to the
    resource addresses its expression references."""

    address: str
    type: str
    values: dict[str, Any]
    unknown: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def is_unknown(self, attribute: str) -> bool:
        return self.unknown.get(attribute) is True

    def referenced(self) -> set[str]:
        return {address for addresses in self.refs.values() for address in addresses}


@dataclass(frozen=True)
class Plan:
    source: str
    resources: tuple[Resource, ...]
    variables: dict[str, Any]

    def of_type(self, *types: str) -> Iterator[Resource]:
        return (r for r in self.resources if r.type in types)


def load_plan(path: Path) -> Plan:
    """The plan in ``path``; InputError naming the file when it is not JSON, not a plan, or of a
    format version this tool does not read."""
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc}); give `terraform show -json PLANFILE`'s output") from None
    return parse_plan(document, str(path))


def parse_plan(document: Any, source: str) -> Plan:
    if not isinstance(document, dict) or "format_version" not in document:
        raise InputError(f"{source}: not a Terraform plan in JSON (no format_version)")
    version = str(document["format_version"])
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise InputError(f"{source}: format_version {version!r} is not one this tool reads "
                         f"(major version {SUPPORTED_MAJOR}, as Terraform 1.x writes)")
    refs = configuration_refs(document.get("configuration", {}).get("root_module", {}), "")
    resources = tuple(_resources(document.get("resource_changes") or [], refs))
    variables = {name: (v or {}).get("value") for name, v in (document.get("variables") or {}).items()}
    return Plan(source, resources, variables)


def _resources(changes: list[Any], refs: dict[str, dict[str, tuple[str, ...]]]) -> Iterator[Resource]:
    for change in changes:
        if change.get("mode", "managed") != "managed":
            continue
        body = change.get("change") or {}
        if body.get("actions") == ["delete"] or body.get("after") is None:
            continue  # gone after the apply
        address = change["address"]
        yield Resource(address, change["type"], body["after"], body.get("after_unknown") or {},
                       refs.get(_INDEX.sub("", address), {}))


def configuration_refs(module: dict[str, Any], prefix: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """Config address -> attribute path -> referenced resource addresses, for a module and the
    modules it calls (their addresses prefixed ``module.NAME.``)."""
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for resource in module.get("resources", []):
        paths: dict[str, set[str]] = {}
        _walk(resource.get("expressions", {}), "", paths, prefix)
        found[prefix + resource["address"]] = {p: tuple(sorted(a)) for p, a in paths.items()}
    for name, call in (module.get("module_calls") or {}).items():
        found |= configuration_refs(call.get("module", {}), f"{prefix}module.{name}.")
    return found


def _walk(expressions: Any, path: str, paths: dict[str, set[str]], prefix: str) -> None:
    if isinstance(expressions, list):
        for item in expressions:
            _walk(item, path, paths, prefix)
        return
    if not isinstance(expressions, dict):
        return
    if "references" in expressions or "constant_value" in expressions:
        addresses = {resource_address(r, prefix) for r in expressions.get("references", [])}
        paths.setdefault(path, set()).update(a for a in addresses if a)
        return
    for key, inner in expressions.items():
        _walk(inner, f"{path}.{key}" if path else key, paths, prefix)


def resource_address(reference: str, prefix: str = "") -> str | None:
    """``azurerm_subnet.a.id`` -> ``azurerm_subnet.a``; None for var., local., data., count., each."""
    parts = _INDEX.sub("", reference).split(".")
    if len(parts) < 2 or parts[0] in ("var", "local", "data", "count", "each", "path", "module", "self"):
        return None
    return prefix + ".".join(parts[:2])
