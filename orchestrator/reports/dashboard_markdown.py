"""dashboard.md: the status document as Markdown, the same parts in the same order as the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

FITS = {True: "yes", False: "NO", None: "done"}
#: What the forecast part says without a forecast, with and without an approved plan.
NO_FORECAST = {False: "No forecast: no approved plan.",
               True: "No forecast was given for this report (`logius-migrate plan forecast` makes one)."}
NO_TRACK_RUN = "No test track run yet."


def cell(value: Any) -> str:
    """A table cell: pipes escaped, no line breaks, an absent value as a dash."""
    if value is None or value == "":
        return "-"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(head: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    return lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows] + [""]


def render_markdown(doc: dict[str, Any]) -> str:
    parts = (_head, _timeline, _progress, _blockers, _releases, _availability, _cost, _rehearsals, _tracks,
             _forecast)
    return "\n".join(line for part in parts for line in part(doc))


def _head(doc: dict[str, Any]) -> Iterator[str]:
    plan = doc["plan"]
    yield f"# Programme status {doc['today']}"
    yield ""
    approved = (f"Approved plan {plan['id']} ({plan['waves']} waves, {plan['start']} to {plan['end']}, "
                f"approved by {plan['approved_by']})." if plan else "No approved plan.")
    yield f"As of {doc['now']}. {approved}" + (" Nothing ran yet." if doc["nothing_ran"] else "")
    yield f"**{doc['progress']['line']}**."
    yield ""


def _timeline(doc: dict[str, Any]) -> Iterator[str]:
    t = doc["timeline"]
    yield "## Timeline"
    yield ""
    marks = [f"today {t['today']}"] + [f"{label} {t[key]}" for key, label in
                                        (("contract_end", "legacy contract end"), ("p50", "forecast P50"),
                                         ("p90", "forecast P90")) if t[key]]
    yield ", ".join(marks) + "."
    yield ""
    yield from table(["wave", "planned", "runs (as they happened)"],
                     [[w["number"], f"{w['start']} .. {w['end']}",
                       "; ".join(f"{r['id']} {r['status']} {r['start']} .. {r['end']}"
                                 for r in t["runs"] if r["wave"] == w["number"]) or "-"]
                      for w in t["waves"]])


def _progress(doc: dict[str, Any]) -> Iterator[str]:
    p = doc["progress"]
    yield "## Progress"
    yield ""
    yield ", ".join(f"{state} {n}" for state, n in p["states"].items()) + f": {p['line']}."
    yield ""
    yield from table(["wave", "status", "run", "hours", "steps", "held"],
                     [[w["number"], w["status"], w["run"], w["hours"],
                       ", ".join(f"{k} {v}" for k, v in w["steps"].items()),
                       "; ".join(f"{s}: {why}" for s, why in w["held"].items())] for w in p["waves"]])
    yield from table(["service", "name", "wave", "state", "held because"],
                     [[s["service"], s["name"], s["wave"], s["state"], s["held"]] for s in p["services"]])


def _blockers(doc: dict[str, Any]) -> Iterator[str]:
    b = doc["blockers"]
    yield "## Blockers"
    yield ""
    yield (f"{len(b['blockers'])} not resolved, {b['overdue']} overdue; by severity: "
           + ", ".join(f"{k} {v}" for k, v in b["by_severity"].items()) + "; by owner: "
           + (", ".join(f"{k} {v}" for k, v in b["by_owner"].items()) or "none") + ".")
    yield ""
    if b["blockers"]:
        yield from table(["id", "severity", "owner", "due", "status", "scope", "title"],
                         [[r["id"], r["severity"], r["owner"],
                           (r["due"] or "-") + (f" (overdue {r['days_overdue']} d)" if r["overdue"] else ""),
                           r["status"], r["scope"], r["title"]] for r in b["blockers"]])
    if b["waivers_expiring"]:
        yield "Waivers expiring within 14 days:"
        yield ""
        yield from table(["id", "expires", "days left", "owner", "reason"],
                         [[w["id"], w["expires"], w["days_left"], w["owner"], w["reason"]]
                          for w in b["waivers_expiring"]])


def _releases(doc: dict[str, Any]) -> Iterator[str]:
    yield "## Supplier releases"
    yield ""
    rows = []
    for r in doc["releases"]:
        d = r["decision"]
        decided = f"{d['decision']} by {d['by']}: {d['reason']}" if d else "undecided"
        for v in r["validations"] or [None]:
            checks = ", ".join(f"{k} {o}" for k, o in v["checks"].items()) if v else "not validated"
            shown = f"{v['id']} {v['outcome']} by {v['by']}" if v else "-"
            rows.append([r["release"], decided, shown, checks])
    yield from table(["release", "decision", "validation", "checks"], rows)


def _availability(doc: dict[str, Any]) -> Iterator[str]:
    yield "## Availability budget"
    yield ""
    yield from table(["service", "norm %", "period", "allowed min", "used min", "left min",
                      "next cutover min", "fits"],
                     [[a["service"], a["norm"], a["period"], a["allowed_minutes"], a["used_minutes"],
                       a["left_minutes"], a["expected_minutes"], FITS[a["fits"]]]
                      for a in doc["availability"]])


def _cost(doc: dict[str, Any]) -> Iterator[str]:
    c = doc["cost"]
    yield "## Cost of delay"
    yield ""
    if "note" in c:
        yield c["note"] + "."
    else:
        yield (f"The plan ends {c['plan_end']}, {c['months_past_contract_end']} months past the legacy "
               f"contract end {c['contract_end']}: {c['label']} {c['total_meur']} M EUR "
               f"(+{c['extra_meur']} M EUR); "
               f"each further month adds {c['monthly_meur']} M EUR.")
        if c["forecast"]:
            f = c["forecast"]
            yield ""
            yield (f"At the forecast's P50 {f['p50_meur']} M EUR, P80 {f['p80_meur']} M EUR, "
                   f"P90 {f['p90_meur']} M EUR.")
    yield ""


def _rehearsals(doc: dict[str, Any]) -> Iterator[str]:
    yield "## Next waves' rehearsals"
    yield ""
    yield from table(["wave", "dry-run", "status", "approved", "unknown", "would fail"],
                     [[r["wave"], r["dry_run"], r["status"],
                       f"yes, by {r['approved_by']}" if r["approved"] else "no", r["unknown"],
                       r["would_fail"]]
                      for r in doc["rehearsals"]])


def _tracks(doc: dict[str, Any]) -> Iterator[str]:
    yield "## Azure test track"
    yield ""
    if not doc["tracks"]:
        yield NO_TRACK_RUN
        yield ""
        return
    yield from table(["run", "service", "build", "status", "started", "finished", "guardrails", "failed",
                      "budget", "expires", "acceptance", "resources left"],
                     [[t["run"], t["service"], t["build"], t["status"], t["started"], t["finished"],
                       outcome_counts(t["guardrails"]["counts"]), failed_ids(t["guardrails"]),
                       amount(t["budget"]["amount"]), t["budget"]["expires_on"], tally(t["acceptance"]),
                       ", ".join(t["resources_left"])] for t in doc["tracks"]])


def outcome_counts(counts: dict[str, int]) -> str:
    """"FAIL 1, PASS 6" (the page and the Markdown say it alike)."""
    return ", ".join(f"{outcome} {n}" for outcome, n in counts.items())


def failed_ids(guardrails: dict[str, Any]) -> str:
    """"AZ-GRD-003, AZ-GRD-005 (overridden by ann)": the failed ids, and who let one pass."""
    overridden = guardrails["overridden"]
    return ", ".join(check + (f" (overridden by {overridden[check]})" if check in overridden else "")
                     for check in guardrails["failed"])


def amount(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def tally(acceptance: dict[str, int] | None) -> str | None:
    """"12 tests, 0 failed", or None before the acceptance tests ran."""
    if acceptance is None:
        return None
    return f"{acceptance['tests']} tests, {acceptance['failures']} failed"


def _forecast(doc: dict[str, Any]) -> Iterator[str]:
    f = doc["forecast"]
    yield "## Forecast"
    yield ""
    if f is None:
        yield NO_FORECAST[doc["plan"] is not None]
        yield ""
        return
    yield (f"{f['iterations']} iterations (seed {f['seed']}) of plan {f['plan']} from {f['today']}: "
           f"P50 {f['p50']}, P80 {f['p80']}, P90 {f['p90']} (deterministic {f['deterministic_end']}); "
           f"{round(100 * f['p_contract_end'], 1)}% by the contract end {f['contract_end']}.")
    yield ""
    yield from table(["from", "to", "runs"], [[b["from"], b["to"], b["count"]] for b in f["histogram"]])
