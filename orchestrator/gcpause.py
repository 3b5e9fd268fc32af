"""Pausing the cyclic garbage collector around work that allocates millions of acyclic objects.

Loading a 100,000-service catalog creates some ten million objects; each full collection pass
walks all of them again, which made loading ten times slower than the parsing and validation
themselves. Catalog data and plans hold no reference cycles, so reference counting frees them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the collector for the block and restore its previous state afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
