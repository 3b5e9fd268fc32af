"""The audit bundle: what an auditor needs to check a journal offline with Python's standard
library and OpenSSH alone (``journal export --audit DIR``).

``records.jsonl`` holds every chain record, the newest record of each row with the row's content as
it stands; ``checkpoints.json`` the checkpoints (notes and signatures); ``decisions.json`` the
decisions (statements and signatures); ``allowed_signers`` the site's, when it has one;
``manifest.json`` what was exported; ``verify.py`` and ``README.md`` how to check it all.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from orchestrator import clock
from orchestrator.errors import InputError
from orchestrator.journal import chain, schema

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal

FILES = ("records.jsonl", "checkpoints.json", "decisions.json", "manifest.json", "verify.py", "README.md")


def export(journal: Journal, folder: Path, site_name: str, policy: Any = None) -> dict[str, Any]:
    """Write the bundle into ``folder`` (new, or empty); returns its manifest."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"--audit {folder}: not an empty folder; name a new one")
    folder.mkdir(parents=True, exist_ok=True)
    with journal.engine.connect() as connection:
        size, head = _records(connection, folder / "records.jsonl")
        _dump(connection, schema.checkpoints, folder / "checkpoints.json")
        _dump(connection, schema.decisions, folder / "decisions.json")
        since = connection.execute(select(schema.meta.c.value).where(
            schema.meta.c.key == "chain_since")).scalar()
    allowed = getattr(policy, "allowed_signers", None)
    if allowed is not None and Path(allowed).is_file():
        shutil.copyfile(allowed, folder / "allowed_signers")
    for name in ("verify.py", "README.md"):
        (folder / name).write_bytes((resources.files("orchestrator") / "_data" / "audit" / name).read_bytes())
    manifest = {"journal": journal.display_url, "site": site_name, "exported_at": clock.timestamp(),
                "records": size, "head": head, "chained_since": float(since) if since else None,
                "signed": (folder / "allowed_signers").exists()}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _records(connection: Any, path: Path) -> tuple[int, str]:
    """Every chain record as a JSON line; the newest of each row with its content."""
    current: dict[tuple[str, str], dict[str, Any]] = {}
    for name in chain.CHAINED:
        tbl = chain.table(name)
        column = chain.key_column(tbl).name
        for row in connection.execute(select(tbl)):
            values = row._asdict()
            current[(name, str(values[column]))] = {k: v for k, v in values.items() if v is not None}
    newest = {(r.tbl, r.row_key): r.seq for r in connection.execute(
        select(schema.chain.c.tbl, schema.chain.c.row_key, schema.chain.c.seq))}
    size, head = 0, chain.GENESIS
    with path.open("w", encoding="utf-8") as out:
        for record in connection.execute(select(schema.chain).order_by(schema.chain.c.seq)):
            line = dict(record._mapping)
            where = (record.tbl, record.row_key)
            if newest.get(where) == record.seq and where in current:
                line["row"] = current[where]
            out.write(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n")
            size, head = record.seq, record.hash
    return size, head


def _dump(connection: Any, tbl: Any, path: Path) -> None:
    rows = [dict(row._mapping) for row in connection.execute(select(tbl).order_by(tbl.c.id))]
    path.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n", encoding="utf-8")
