"""What the group modules share in reading the result of a write."""

from __future__ import annotations

from sqlalchemy.engine import CursorResult


def inserted_id(result: CursorResult[object]) -> int:
    """The integer primary key of the row ``result`` inserted."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])
