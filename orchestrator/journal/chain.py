"""The tamper-evident chain: one record per row changed in a table that matters, appended in the
transaction that changed it.

Each record holds the row's table and key, the operation, the sha256 of the row's canonical JSON
as stored after the change (:func:`row_digest`), and the hash linking it to the record before
(:func:`link`); the first record's ``prev`` is 64 zeros. A row edited, deleted or added by anything
other than this tool (``sqlite3``, ``psql``) no longer matches its newest record, and a record
edited or removed breaks the links after it: :mod:`orchestrator.journal.verify` says which.

:func:`install` hooks the engine's statements (SQLAlchemy Core events): every insert, update and
delete of a table in :data:`CHAINED`, one row or many, appends its records. The keys an update or
delete touches are read before it runs, under the journal's write lock (SQLite: ``BEGIN
IMMEDIATE``; PostgreSQL: an advisory transaction lock), so an update that changes its own WHERE
clause is still recorded, and two writers never take the same ``seq``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import Delete, Insert, Update
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
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
_PENDING = "logius_chain_pending"


def canonical(row: dict[str, Any]) -> str:
    """The row as canonical JSON: its columns sorted by name, null columns left out (so a column
    added later, null in old rows, does not change their digest), values as stored (floats in
    their shortest round-trip form, the same on SQLite, PostgreSQL and in an audit bundle)."""
    return _ENCODE({name: value for name, value in row.items() if value is not None})


def row_digest(row: dict[str, Any] | None) -> str:
    """The sha256 of the row's canonical JSON; of ``null`` for a row deleted."""
    text = "null" if row is None else canonical(row)
    return hashlib.sha256(text.encode()).hexdigest()


DELETED = row_digest(None)


def link(prev: str, seq: int, tbl: str, row_key: str, op: str, digest: str) -> str:
    """A record's hash: sha256 of ``"PREV SEQ TBL OP DIGEST ROW_KEY"`` (the key last, so any text
    in it is unambiguous)."""
    return hashlib.sha256(f"{prev} {seq} {tbl} {op} {digest} {row_key}".encode()).hexdigest()


def table(name: str) -> Table:
    return schema.metadata.tables[name]


def key_column(tbl: Table) -> Any:
    (column,) = tbl.primary_key.columns
    return column


def install(engine: Engine) -> None:
    """Chain every insert, update and delete of a :data:`CHAINED` table made through ``engine``."""
    if engine.dialect.name not in ("sqlite", "postgresql") or getattr(engine, "_logius_chained", False):
        return
    event.listen(engine, "before_execute", _before, retval=True)
    event.listen(engine, "after_execute", _after)
    engine._logius_chained = True  # type: ignore[attr-defined]


def _chained(element: Any) -> Table | None:
    if isinstance(element, Insert | Update | Delete):
        tbl = element.table
        if isinstance(tbl, Table) and tbl.name in CHAINED:
            return tbl
    return None


def _before(connection: Connection, element: Any, multiparams: Any, params: Any,
            _options: Any) -> tuple[Any, Any, Any]:
    tbl = _chained(element)
    if tbl is None:
        return element, multiparams, params
    write_lock(connection)
    if isinstance(element, Insert):
        if not element._returning and not element._return_defaults:
            element = element.return_defaults()
        return element, multiparams, params
    keyed = select(key_column(tbl)).where(element.whereclause) if element.whereclause is not None \
        else select(key_column(tbl))
    keys: list[Any] = []
    for parameters in _parameter_sets(multiparams, params):
        keys += connection.execute(keyed, parameters).scalars().all()
    connection.info[_PENDING] = list(dict.fromkeys(keys))
    return element, multiparams, params


def _parameter_sets(multiparams: Any, params: Any) -> list[dict[str, Any]]:
    if multiparams:
        return [dict(p) for p in multiparams]
    return [dict(params or {})]


def write_lock(connection: Connection) -> None:
    """Hold the journal's write lock until the transaction ends: SQLite's, taken at once
    (``BEGIN IMMEDIATE``) when no write began it yet; PostgreSQL's advisory lock of the chain."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_ID})")
        return
    dbapi = connection.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


def _after(connection: Connection, element: Any, multiparams: Any, params: Any, _options: Any,
           result: Any) -> None:
    tbl = _chained(element)
    if tbl is None:
        return
    if isinstance(element, Insert):
        keys, op = _inserted_keys(tbl, result, multiparams, params), "insert"
    else:
        keys, op = connection.info.pop(_PENDING, []), "update" if isinstance(element, Update) else "delete"
    if keys:
        append(connection, tbl, keys, op)


def _inserted_keys(tbl: Table, result: Any, multiparams: Any, params: Any) -> list[Any]:
    rows = result.inserted_primary_key_rows
    keys = [row[0] if row is not None else None for row in rows]
    if None in keys or not keys:
        column = key_column(tbl).name
        keys = [p.get(column) for p in _parameter_sets(multiparams, params)]
    if None in keys:
        raise RuntimeError(f"the chain cannot tell which {tbl.name} rows the insert wrote")
    return keys


def append(connection: Connection, tbl: Table, keys: Sequence[Any], op: str) -> None:
    """Append one record per key of ``tbl`` (its row as it now stands), after the chain's head."""
    column = key_column(tbl)
    current = {} if op == "delete" else {
        str(row._mapping[column.name]): dict(row._mapping)
        for row in connection.execute(select(tbl).where(column.in_(list(keys))))}
    records = [(str(key), op if str(key) in current or op == "delete" else "delete",
                row_digest(current.get(str(key)))) for key in keys]
    append_records(connection, tbl.name, records)


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


def row_intact(connection: Connection, tbl: str, key: str) -> str | None:
    """None when the row ``key`` of ``tbl`` is what its newest chain record says and that record
    is linked to its neighbours; else one line saying what is wrong."""
    chain = schema.chain
    record = connection.execute(select(chain).where(chain.c.tbl == tbl, chain.c.row_key == str(key))
                                .order_by(chain.c.seq.desc()).limit(1)).first()
    if record is None:
        return f"{tbl} {key} has no record in the journal's chain: it was written outside this tool"
    if link(record.prev, record.seq, record.tbl, record.row_key, record.op, record.digest) != record.hash:
        return f"chain record {record.seq} ({tbl} {key}) was edited: its hash does not match it"
    before = connection.execute(select(chain.c.hash).where(chain.c.seq == record.seq - 1)).scalar()
    after = connection.execute(select(chain.c.prev).where(chain.c.seq == record.seq + 1)).scalar()
    if (before if record.seq > 1 else GENESIS) != record.prev or after not in (None, record.hash):
        return f"chain record {record.seq} ({tbl} {key}) is not linked to its neighbours"
    sql_table = table(tbl)
    keyed = key_column(sql_table) == _typed(sql_table, key)
    found = connection.execute(select(sql_table).where(keyed)).first()
    digest = row_digest(dict(found._mapping) if found else None)
    if digest != record.digest:
        what = "was deleted" if found is None else "was changed"
        return f"{tbl} {key} {what} outside this tool (it differs from chain record {record.seq})"
    return None


def _typed(tbl: Table, key: str) -> Any:
    return int(key) if key_column(tbl).type.python_type is int else key


def verify(journal: Any) -> Any:
    """Recompute the chain of ``journal``: a :class:`~orchestrator.journal.chain_verify.ChainReport`
    naming the first record altered, removed or inserted, and any checkpoint it contradicts."""
    from orchestrator.journal.chain_verify import verify as recompute

    return recompute(journal)


def baseline(connection: Connection) -> int:
    """One ``baseline`` record per row the journal already holds (the alembic upgrade to schema 8:
    history is chained from then on), with ``meta.chain_since`` set when there was any; the tables
    read as they stand (reflected), so a later revision's columns are not expected yet."""
    from sqlalchemy import MetaData, inspect

    present, count = set(inspect(connection).get_table_names()), 0
    for name in CHAINED:
        if name not in present:
            continue
        tbl = Table(name, MetaData(), autoload_with=connection)
        column = key_column(tbl)
        rows = connection.execute(select(tbl).order_by(column))
        records = [(str(row._mapping[column.name]), "baseline", row_digest(dict(row._mapping)))
                   for row in rows]
        append_records(connection, name, records)
        count += len(records)
    if count:
        connection.execute(insert(schema.meta).values(key="chain_since", value=repr(clock.timestamp())))
    return count
