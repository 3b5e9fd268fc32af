"""The release rule: a service runs only on a site whose platform release is accepted and at least
the service's ``min_release``.

One source of truth for a release's status: the journal's decisions (`release accept|reject`). The
catalog's ``status`` is the documents' history, never a decision a gate reads. A site runs the
release of its newest acceptance (of a validation made on that site); before any, the release its
site file names. The planner forecasts: a release accepted in the journal is usable from the day
of that decision, a rejected one never, an undecided one from the catalog's ``available`` date (it
must still be validated and accepted, which the gate then checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.sites import Site


@dataclass(frozen=True)
class Decision:
    release: str
    status: str  # accepted | rejected
    day: dt.date
    by: str
    site: str | None


def in_order(catalog: Any) -> list[Any]:
    """The catalog's releases oldest first: by availability (or delivery) date, then id."""
    far = dt.date.max
    return sorted(catalog.releases, key=lambda r: (r.available or r.delivered or far, r.id))


def decisions(journal: Any) -> dict[str, Decision]:
    """The newest decision on each release, with the site its validation ran on."""
    from orchestrator.clock import AMSTERDAM
    from orchestrator.journal.releases import decisions as every_decision
    from orchestrator.journal.releases import validations

    sites: dict[int | None, str | None] = {v.id: v.site for v in validations(journal)}
    latest: dict[str, Decision] = {}
    for row in every_decision(journal):
        day = dt.datetime.fromtimestamp(row.at, AMSTERDAM).date()
        latest[row.release_id] = Decision(row.release_id, row.decision, day, row.by,
                                          sites.get(row.validation_id))
    return latest


def site_release(site: Site, journal: Any) -> tuple[str | None, str]:
    """The release the site runs and how that is known: its newest acceptance in the journal, else
    its site file's ``release``."""
    from orchestrator.journal.releases import decisions as every_decision
    from orchestrator.journal.releases import validations

    sites: dict[int | None, str | None] = {v.id: v.site for v in validations(journal)}
    accepted = [row for row in every_decision(journal)
                if row.decision == "accepted" and sites.get(row.validation_id) == site.name]
    if accepted:
        row = accepted[-1]
        return row.release_id, f"accepted for site {site.name} by {row.by} (journal)"
    if site.release is not None:
        return site.release, f"named in site file {site.path}"
    return None, "no release accepted for this site and none in its site file"


def usable_from(catalog: Any, decided: Mapping[str, Decision]) -> dict[str, tuple[dt.date | None, str]]:
    """For each release id X: the first day a service needing X can run (X or a later release
    usable), and why; None when no release at or after X ever will be."""
    order = in_order(catalog)
    own: list[tuple[dt.date | None, str]] = []
    for release in order:
        decision = decided.get(release.id)
        if decision is not None and decision.status == "accepted":
            own.append((decision.day, f"{release.id} accepted on {decision.day}"))
        elif decision is not None:
            own.append((None, f"{release.id} rejected on {decision.day}"))
        elif release.available is not None:
            own.append((release.available, f"{release.id} expected from {release.available} (catalog; "
                                           f"not yet accepted)"))
        else:
            own.append((None, f"{release.id} has no availability date"))
    result: dict[str, tuple[dt.date | None, str]] = {}
    best: tuple[dt.date | None, str] = (None, "")
    for release, mine in zip(reversed(order), reversed(own), strict=True):
        if mine[0] is not None and (best[0] is None or mine[0] <= best[0]):
            best = mine
        result[release.id] = best if best[0] is not None else (None, mine[1])
    return result


def manifest_hint(catalog: Any, release_id: str) -> str:
    """The path of the release's manifest beside the catalog (or the shipped one), as a user would
    type it, else MANIFEST."""
    from orchestrator.catalog.manifest import find_manifest
    from orchestrator.resources import resource

    origin = catalog.origin.get(("releases", release_id))
    folders = ([Path(origin).parent / "releases"] if origin else []) + [resource("seeds") / "releases"]
    found = find_manifest(folders, release_id)
    if found is None:
        return "MANIFEST"
    try:
        return str(found.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(found)


def accept_commands(catalog: Any, release_id: str, lab: bool) -> str:
    """The commands that make ``release_id`` the site's accepted release."""
    steps = [f"logius-migrate lab deliver {release_id}"] if lab else []
    steps += [f"logius-migrate release validate {manifest_hint(catalog, release_id)}",
              f"logius-migrate release accept {release_id} --by NAME --reason TEXT"]
    return "; then ".join(steps)
