"""Recomputing the chain: every record's link, then every chained row against its newest record,
then every checkpoint against the chain; each problem named by its record, table and key.

What each finding means: ``link``, a chain record itself was edited or removed (its hash, or its
link to the one before, does not hold); ``altered``, a row differs from its newest record;
``removed``, the chain says a row is there and it is not; ``inserted``, a row no record knows of;
``checkpoint``, a checkpoint disagrees with the chain (larger: the last records were removed).
One pass over the chain, one over each table (a dict of each row's newest digest): a million
records in a few seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from orchestrator.journal import chain, schema

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class Finding:
    kind: str  # link | altered | removed | inserted | checkpoint
    seq: int | None  # the chain record concerned (None: a row no record knows of)
    table: str
    key: str
    problem: str  # one line

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "record": self.seq, "table": self.table, "key": self.key,
                "problem": self.problem}


@dataclass
class ChainReport:
    """What `journal verify` found: the chain's size and head, the problems (oldest record first),
    the checkpoints checked, and since when history is chained (``since``: an upgraded journal)."""

    size: int = 0
    head: str = chain.GENESIS
    findings: list[Finding] = field(default_factory=list)
    checkpoints: int = 0
    since: float | None = None
    hashes: dict[int, str] = field(default_factory=dict)  # the hash at each checkpoint's size

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def since_line(self) -> str | None:
        if self.since is None:
            return None
        day = dt.datetime.fromtimestamp(self.since, dt.UTC).isoformat(timespec="seconds")
        return (f"history before {day} was chained at the upgrade to schema 8: a change made before "
                f"then cannot be detected")

    def to_json(self) -> dict[str, Any]:
        return {"intact": self.intact, "records": self.size, "head": self.head,
                "checkpoints": self.checkpoints, "chained_since": self.since,
                "first": self.first.to_json() if self.first else None,
                "findings": [f.to_json() for f in self.findings]}


def verify(journal: Journal) -> ChainReport:
    """Recompute ``journal``'s chain and compare every chained row and checkpoint with it."""
    from orchestrator.journal import checkpoints

    report = ChainReport()
    with journal.engine.connect() as connection:
        marks = checkpoints.sizes(connection)
        newest = _walk(connection, report, marks)
        for name in chain.CHAINED:
            _compare(connection, name, newest.pop(name, {}), report)
        report.since = _since(connection)
        checkpoints.check(connection, report)
    report.findings.sort(key=lambda f: (f.seq is None, f.seq or 0, f.table, f.key))
    return report


Newest = dict[str, tuple[int, str, str]]  # row key -> its newest record's (seq, op, digest)


def _walk(connection: Any, report: ChainReport, marks: set[int]) -> dict[str, Newest]:
    """Check every record's hash and link; return each table's newest (seq, op, digest) by key."""
    newest: dict[str, Newest] = {name: {} for name in chain.CHAINED}
    link, prev, expected, broken = chain.link, chain.GENESIS, 1, False
    rows = connection.execution_options(stream_results=True, max_row_buffer=20000).exec_driver_sql(
        "SELECT seq, tbl, row_key, op, digest, prev, hash FROM chain ORDER BY seq")
    for seq, tbl, row_key, op, digest, stored_prev, stored in rows:
        if not broken and (seq != expected or stored_prev != prev
                           or link(stored_prev, seq, tbl, row_key, op, digest) != stored):
            report.findings.append(_broken(seq, expected, tbl, row_key, stored_prev == prev))
            broken = True
        newest.setdefault(tbl, {})[row_key] = (seq, op, digest)
        prev, expected = stored, seq + 1
        if seq in marks:
            report.hashes[seq] = stored
    report.size, report.head = expected - 1, prev
    return newest


def _broken(seq: int, expected: int, tbl: str, key: str, linked: bool) -> Finding:
    if seq != expected:
        gone = f"record {expected}" if seq == expected + 1 else f"records {expected} to {seq - 1}"
        return Finding("link", expected, tbl, key, f"chain {gone} removed (the chain jumps to {seq}, "
                                                   f"{tbl} {key})")
    if linked:
        return Finding("link", seq, tbl, key, f"chain record {seq} ({tbl} {key}) was edited: its hash "
                                              f"does not match what it records")
    return Finding("link", seq, tbl, key, f"chain record {seq} ({tbl} {key}) does not link to record "
                                          f"{seq - 1}: a record before it was edited or replaced")


def _compare(connection: Any, name: str, newest: Newest, report: ChainReport) -> None:
    tbl = chain.table(name)
    column, digest = chain.key_column(tbl).name, chain.row_digest
    rows = connection.execution_options(stream_results=True, max_row_buffer=20000).execute(select(tbl))
    for row in rows:
        values = row._asdict()
        key = str(values[column])
        record = newest.pop(key, None)
        if record is None:
            report.findings.append(Finding("inserted", None, name, key, f"{name} {key} has no chain "
                                           f"record: it was inserted outside this tool"))
        elif record[1] == "delete":
            report.findings.append(Finding("inserted", record[0], name, key, f"{name} {key} is there "
                                           f"though chain record {record[0]} deleted it"))
        elif digest(values) != record[2]:
            report.findings.append(Finding("altered", record[0], name, key, f"{name} {key} was altered: "
                                           f"it differs from chain record {record[0]}"))
    for key, (seq, op, _digest) in newest.items():
        if op != "delete":
            report.findings.append(Finding("removed", seq, name, key, f"{name} {key} was removed: chain "
                                           f"record {seq} says it is there"))


def _since(connection: Any) -> float | None:
    value = connection.execute(select(schema.meta.c.value).where(schema.meta.c.key == "chain_since")).scalar()
    return float(value) if value else None
