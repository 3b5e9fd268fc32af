"""Reading a site's secrets from where the site says they are: 0600 files, environment
variables, or a command such as a vault CLI. Values stay in memory; an empty one is refused."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError
from orchestrator.sites.models import CommandSecrets, EnvSecretSource, FileSecrets

Secrets = dict[str, dict[str, str]]


def load_site_secrets(sources: list[Any], site_dir: Path, where: str) -> Secrets:
    """Every source in order, later ones overriding earlier ones per service and name."""
    values: Secrets = {}
    for number, source in enumerate(sources):
        label = f"{where}: secrets[{number}]"
        if isinstance(source, FileSecrets):
            found = _from_file(site_dir / Path(source.file).expanduser(), label)
        elif isinstance(source, EnvSecretSource):
            found = _from_env(source, label)
        else:
            found = _from_command(source, label)
        for service, named in found.items():
            values.setdefault(service, {}).update(named)
    return values


def checked_secrets(data: Any, label: str) -> Secrets:
    """``data`` if it is ``{service: {name: non-empty string}}``; else InputError under ``label``."""
    if not isinstance(data, dict):
        raise InputError(f"{label}: expected an object of services")
    for service, named in data.items():
        if not isinstance(named, dict):
            raise InputError(f"{label}: service {service}: expected an object of named secrets")
        for name, value in named.items():
            if not isinstance(value, str) or not value:
                raise InputError(f"{label}: service {service}, secret {name}: must be a non-empty string")
    return data


def _from_file(path: Path, label: str) -> Secrets:
    if not path.is_file():
        raise InputError(f"{label}: {path}: no such file")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InputError(f"{label}: {path}: readable by others (mode {mode:04o}); chmod 600 it")
    try:
        return checked_secrets(json.loads(path.read_text()), f"{label}: {path}")
    except ValueError as exc:
        raise InputError(f"{label}: {path}: not valid JSON ({exc})") from None


def _from_env(source: EnvSecretSource, label: str) -> Secrets:
    value = os.environ.get(source.env.variable)
    if not value:
        raise InputError(f"{label}: environment variable {source.env.variable} is not set (or empty)")
    return {source.env.service: {source.env.name: value}}


def _from_command(source: CommandSecrets, label: str) -> Secrets:
    from orchestrator.steps.secret_command import run_secret_command

    shown = " ".join(source.command)
    output = run_secret_command(source.command, source.timeout_seconds, label)
    try:
        return checked_secrets(json.loads(output), f"{label}: `{shown}`")
    except ValueError:
        raise InputError(f"{label}: `{shown}` did not print JSON") from None
