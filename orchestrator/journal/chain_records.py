"""The chain's records: which tables are chained, a row's canonical JSON and digest, a record's
hash, and appending records after the head under the journal's write lock. What both the writing
(:mod:`~orchestrator.journal.chain`) and the checking (``chain_verify``, ``checkpoints``) share."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import Table

from orchestrator import clock
from orchestrator.journal import schema

#: The tables whose every row is chained: everything that records who did what (not the leases,
#: the child processes, ``meta`` or the chain itself).
CHAINED = ("runs", "executions", "attempts", "service_states", "events", "plans", "blockers",
           "blocker_history", "check_results", "release_validations", "release_decisions", "dry_runs",
           "rollback_points", "decisions", "checkpoints")
GENESIS = "0" * 64
#: The advisory lock (PostgreSQL) under which records are appended, one writer at a time.
LOCK_ID = 4242021


def _float(value: float) -> str:
    return float.__repr__(value) if value - value == 0 else json.dumps(value)  # NaN, Infinity as JSON


#: Each value type as JSON (what ``json.dumps`` writes, faster): strings ASCII-escaped and quoted.
ENCODERS: dict[type, Any] = {str: encode_basestring_ascii, int: int.__repr__, float: _float,
                             bool: lambda value: "true" if value else "false"}


def canonical(row: dict[str, Any]) -> str:
    """The row as canonical JSON, exactly ``json.dumps(row, sort_keys=True, separators=(",", ":"))``
    with its null columns left out (so a column added later, null in old rows, does not change
    their digest): values as stored, floats in their shortest round-trip form, the same on SQLite,
    PostgreSQL and in an audit bundle."""
    encoders = ENCODERS
    return "{" + ",".join([f"{encode_basestring_ascii(name)}:{encoders[type(value)](value)}"
                           for name, value in sorted(row.items()) if value is not None]) + "}"


def row_digest(row: dict[str, Any] | None) -> str:
    """The sha256 of the row's canonical JSON; of ``null`` for a row deleted."""
    text = "null" if row is None else canonical(row)
    return hashlib.sha256(text.encode()).hexdigest()


DELETED = row_digest(None)


def tuple_digest(tbl: Table) -> Any:
    """A function from a row of ``tbl`` read raw, its columns in the table's order, to its
    :func:`row_digest` (what :func:`canonical` writes, without building a dict: for verify)."""
    from sqlalchemy import Boolean

    names = [column.name for column in tbl.columns]
    ordered = sorted(range(len(names)), key=names.__getitem__)
    fields = [(i, encode_basestring_ascii(names[i]) + ":") for i in ordered]
    booleans = [i for i, column in enumerate(tbl.columns) if isinstance(column.type, Boolean)]
    encoders, sha256 = ENCODERS, hashlib.sha256

    def digest(row: Sequence[Any]) -> str:
        if booleans:  # SQLite keeps 0 and 1, as SQLAlchemy reads them: booleans
            row = [bool(v) if i in booleans and v is not None else v for i, v in enumerate(row)]
        text = ",".join([label + encoders[type(row[i])](row[i]) for i, label in fields
                         if row[i] is not None])
        return sha256(("{" + text + "}").encode()).hexdigest()

    return digest


def link(prev: str, seq: int, tbl: str, row_key: str, op: str, digest: str) -> str:
    """A record's hash: sha256 of ``"PREV SEQ TBL OP DIGEST ROW_KEY"`` (the key last, so any text
    in it is unambiguous)."""
    return hashlib.sha256(f"{prev} {seq} {tbl} {op} {digest} {row_key}".encode()).hexdigest()


def table(name: str) -> Table:
    return schema.metadata.tables[name]


def key_column(tbl: Table) -> Any:
    (column,) = tbl.primary_key.columns
    return column


def write_lock(connection: Connection) -> None:
    """Hold the journal's write lock until the transaction ends: SQLite's, taken at once
    (``BEGIN IMMEDIATE``) when no write began it yet; PostgreSQL's advisory lock of the chain."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_ID})")
        return
    dbapi = connection.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


def append_records(connection: Connection, tbl: str, records: Iterable[tuple[str, str, str]]) -> None:
    """Append (row_key, op, digest) records for ``tbl`` after the head of the chain."""
    head = connection.execute(select(schema.chain.c.seq, schema.chain.c.hash).order_by(
        schema.chain.c.seq.desc()).limit(1)).first()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    now, rows = clock.timestamp(), []
    for row_key, op, digest in records:
        seq += 1
        hashed = link(prev, seq, tbl, row_key, op, digest)
        rows.append({"seq": seq, "at": now, "tbl": tbl, "row_key": row_key, "op": op, "digest": digest,
                     "prev": prev, "hash": hashed})
        prev = hashed
    if rows:
        connection.execute(insert(schema.chain), rows)
