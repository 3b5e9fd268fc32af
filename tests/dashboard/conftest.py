"""The programme journal of tests/dashboard/programme.py, built once for the module that asks."""

from __future__ import annotations

import pytest

from tests.dashboard import programme


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(journal file, catalog) of the programme: a wave done, a wave partial, an open overdue
    blocker, a rejected release, a dry-run not approved."""
    path = tmp_path_factory.mktemp("programme") / "journal.db"
    programme.build(path).close()
    return path, programme.catalog()
