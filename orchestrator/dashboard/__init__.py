"""The programme's status for the steering group and the workgroups: one plain document gathered
from the journal, the catalog and the approved plan (the site's journal), which the reports draw
as dashboard.html and dashboard.md and write as status.json.

The document holds no wall-clock time but ``now`` (given): the same journal and ``now`` give the
same document, key for key, so the files rendered from it are the same bytes.
"""

from __future__ import annotations

from orchestrator.dashboard.status import FORMAT, gather_status

__all__ = ["FORMAT", "gather_status"]
