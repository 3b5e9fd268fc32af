"""The words every format of a scenario comparison shares (table, Markdown, HTML), taken from the
document ``orchestrator.scenarios.compare`` makes: the reports need nothing else."""

from __future__ import annotations

from typing import Any


def names(document: dict[str, Any]) -> dict[str, str]:
    return {s["id"]: s["name"] for s in document["scenarios"]}


def ranked(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenarios in weighted-sum order."""
    by_id = {s["id"]: s for s in document["scenarios"]}
    return [by_id[i] for i in document["ranking"]["weighted_sum"]]


def criterion_label(cid: str) -> str:
    return cid if cid.isdigit() else repr(cid)


def source_line(document: dict[str, Any]) -> str:
    criteria = document["criteria"]
    where = "the file's own" if document["criteria_from"] == "the file" else \
        f"the catalog's ({document['criteria_from']})"
    weights = f"weights {document['weights_given']}"
    if document["weights_assumed"]:
        weights += ", assumed"
    if document["weights_note"]:
        weights += f": {document['weights_note']}"
    groups = len({c["group"] for c in criteria})
    return f"{len(criteria)} criteria in {groups} group(s), {where}; {weights}"


def assumed_text(scenario: dict[str, Any], criteria: int) -> str:
    return f"{scenario['assumed_scores']} of {criteria}"


def agreement_lines(document: dict[str, Any]) -> list[str]:
    lines = document["ranking"]["disagreements"]
    if not lines:
        return ["weighted sum and TOPSIS agree on the order"]
    return [f"the methods disagree: {line}" for line in lines]


def critical_line(document: dict[str, Any]) -> str:
    sens = document["sensitivity"]
    flip = sens["most_critical"]
    who = names(document)
    pair = f"{who[sens['first']]} over {who[sens['second']]}"
    if flip is None:
        return f"most critical criterion for {pair}: none (no single weight swaps them)"
    share = f", {flip['relative']:.0%} of its weight" if flip["relative"] is not None else ""
    return (f"most critical criterion for {pair}: {criterion_label(flip['criterion'])} "
            f"({flip['weight']:.3f} -> {flip['threshold']:.3f}, a change of {flip['change']:.3f}{share})")


def flip_text(flip: dict[str, Any] | None, who: dict[str, str] | None = None) -> str:
    if flip is None:
        return "-"
    text = f"{flip['direction']} {flip['threshold']:.3f}"
    return f"{text} ({who[flip['rival']]})" if who is not None else text


def first_place_text(flips: list[dict[str, Any]], who: dict[str, str]) -> str:
    return ", ".join(flip_text(f, who) for f in flips) or "-"


def method_line(document: dict[str, Any]) -> str:
    return f"sensitivity of the weighted sum: {document['sensitivity']['method']}"


def monte_carlo_line(document: dict[str, Any]) -> str:
    mc = document["monte_carlo"]
    return (f"Monte Carlo: {mc['iterations']} draws of the weights (Dirichlet around the given "
            f"weights, concentration {mc['concentration']:g}, seed {mc['seed']}): how often each "
            f"ranks first by weighted sum")


def shares(document: dict[str, Any]) -> list[tuple[str, int, float]]:
    """(name, count, share) per scenario, the most often first at the top."""
    who = names(document)
    rows = [(who[f["id"]], f["count"], f["share"]) for f in document["monte_carlo"]["first"]]
    return sorted(rows, key=lambda r: -r[1])
