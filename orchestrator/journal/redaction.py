"""The redactor: every known secret value becomes ``***`` before anything reaches the journal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REDACTED = "***"


class Redactor:
    """Replaces every known secret value, whatever its length, with ``***``. Structures are
    redacted value by value (:meth:`deep`), so JSON stays JSON whatever the secret looks like."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = set(secrets)
        if "" in values:
            raise ValueError("an empty secret cannot be redacted")
        self._secrets = sorted(values, key=len, reverse=True)

    def __call__(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(str(k)): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value
