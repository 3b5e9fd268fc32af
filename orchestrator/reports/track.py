"""The report of one test-track run (its ``az-report`` step): what was built where, the guardrails'
verdicts on its plan, the acceptance tests, the budget and the expiry, in Markdown and JSON beside
a copy of the JUnit file, all from the journal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from orchestrator.journal import Journal
from orchestrator.reports.files import write_whole


def track_document(journal: Journal, run_id: str, junit: Path) -> dict[str, Any]:
    from orchestrator.journal.evidence import results
    from orchestrator.reports.junit_read import cases

    run = journal.run(run_id)
    assert run is not None
    record = run.parsed_detail.track or {}
    return {"run": run_id, "service": record.get("service"), "build": record.get("build"),
            "site": record.get("site"), "expires_on": record.get("expires_on"),
            "budget": record.get("budget"),
            "steps": [{"step": e.step, "status": e.status, "attempts": e.attempts}
                      for e in journal.executions(run_id=run_id)],
            "guardrails": [{"id": r.check_id, "outcome": r.outcome, "summary": r.summary,
                            "overridden_by": r.overridden_by, "override_reason": r.override_reason}
                           for r in results(journal, run_id=run_id)],
            "acceptance": cases(junit) if junit.is_file() else None,
            "held": run.parsed_detail.held or {}}


def track_markdown(document: dict[str, Any]) -> str:
    lines = [f"# Azure test track: {document['service']}, build {document['build']} ({document['run']})", "",
             f"Site {document['site']}; expires on {document['expires_on']}; budget "
             f"{(document['budget'] or {}).get('amount')} a month, notifying "
             f"{', '.join((document['budget'] or {}).get('contacts', []))}.", "", "## Guardrails", "",
             "| id | outcome | summary |", "| --- | --- | --- |"]
    for g in document["guardrails"]:
        override = (f" (overridden by {g['overridden_by']}: {g['override_reason']})"
                    if g["overridden_by"] else "")
        lines.append(f"| {g['id']} | {g['outcome']}{override} | {g['summary']} |")
    lines += ["", "## Acceptance tests", ""]
    tests = document["acceptance"]
    if tests is None:
        lines.append("No JUnit file: the tests did not run.")
    else:
        failed = [t for t in tests if t["failure"] is not None]
        lines.append(f"{len(tests) - len(failed)} of {len(tests)} passed.")
        lines += [f"- FAILED {t['classname']} {t['name']}: {t['failure']}" for t in failed]
    if document["held"]:
        lines += ["", "## Held", ""] + [f"- {sid}: {why}" for sid, why in sorted(document["held"].items())]
    return "\n".join(lines) + "\n"


def write_track_report(journal: Journal, run_id: str, folder: Path, junit: Path) -> list[Path]:
    """``track.md``, ``track.json`` and ``junit.xml`` (when the tests ran) in ``folder``, each whole."""
    document = track_document(journal, run_id, junit)
    written = [write_whole(folder / "track.json", json.dumps(document, indent=2, sort_keys=True) + "\n"),
               write_whole(folder / "track.md", track_markdown(document))]
    if junit.is_file():
        shutil.copyfile(junit, folder / "junit.xml")
        written.append(folder / "junit.xml")
    return written
