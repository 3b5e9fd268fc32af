"""What `journal verify` finds: each problem (:class:`Finding`) and the whole :class:`ChainReport`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from orchestrator.journal.chain_records import GENESIS


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
    head: str = GENESIS
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
