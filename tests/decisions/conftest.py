"""Real OpenSSH keys for the decisions' tests (ssh-keygen, made once a session), allowed signers
files written per test, and a fresh SQLite journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.journal import Journal, resolve_url
from orchestrator.signing import NAMESPACE, Signer, SigningPolicy

WAVES = [{"number": 1, "start": "2027-01-04", "end": "2027-01-31", "services": ["s0"]}]


def allowed_signers(folder: Path, keys: dict[str, Path], options: dict[str, str] | None = None) -> Path:
    """ann and bob (never eve) allowed to sign decisions, each with ``options``' line if given."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "allowed_signers"
    default = f'namespaces="{NAMESPACE}"'
    lines = [f"{p} {(options or {}).get(p, default)} "
             + " ".join(keys[p].with_suffix(".pub").read_text().split()[:2]) for p in ("ann", "bob")]
    path.write_text("\n".join(lines) + "\n")
    return path


def policy(folder: Path, keys: dict[str, Path], require: bool = True, **options: str) -> SigningPolicy:
    return SigningPolicy(allowed_signers=allowed_signers(folder, keys, options), require=require)


def by(keys: dict[str, Path], person: str) -> Signer:
    return Signer(keys[person])


@pytest.fixture
def journal(tmp_path):
    with Journal(resolve_url(tmp_path / "journal.db", None), create=True) as opened:
        yield opened


def save(journal: Journal, saver: str, site_policy: Any = None, signer: Any = None) -> Any:
    """A plan of one wave saved by ``saver`` (signed by ``signer`` where given)."""
    from orchestrator.journal.plans import save_plan

    return save_plan(journal, saver, {"capacity": 3}, "c" * 64, {"c.yaml": "c" * 64}, "test-site",
                     "s" * 64, WAVES, site_policy, signer)


def one_line(exc: BaseException) -> str:
    """The refusal as the command line prints it: its one line (no further problems)."""
    text = str(exc)
    assert "\n" not in text and not getattr(exc, "problems", []), (text, getattr(exc, "problems", []))
    return text
