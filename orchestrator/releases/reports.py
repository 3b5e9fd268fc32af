"""The validation of a release for its readers: the supplier, the agency, an auditor, and CI.

One document (``results.json``) and its renderings: ``report.md``, ``report.html`` (one
self-contained page) and ``junit.xml`` (as Jenkins
reads JUnit: testsuites, testsuite, properties, testcase, failure, skipped; INCONCLUSIVE is
``<skipped>``). Each file's SHA-256 is returned so the journal can keep it with the validation.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from orchestrator.checks import Outcome, Result


def group_of(check_id: str) -> str:
    return check_id.split("-")[1].lower() if check_id.count("-") >= 2 else "other"


def overall(results: list[Result]) -> str:
    """FAIL if any unwaived FAIL; else INCONCLUSIVE if any unwaived INCONCLUSIVE; else PASS."""
    live = [r.outcome for r in results if r.overridden_by is None]
    if Outcome.FAIL in live:
        return "FAIL"
    return "INCONCLUSIVE" if Outcome.INCONCLUSIVE in live else "PASS"


def document(manifest: Any, sha256: str, manifest_path: Path, results: list[Result], waivers: Any,
             site: str | None, at: str) -> dict[str, Any]:
    def shown(result: Result) -> str:
        return "WAIVED" if result.overridden_by else result.outcome.value

    counts: dict[str, int] = {}
    for r in results:
        counts[shown(r)] = counts.get(shown(r), 0) + 1
    return {
        "release": manifest.id, "supplier": manifest.supplier, "date": manifest.date.isoformat(),
        "manifest": str(manifest_path), "manifest_sha256": sha256, "site": site, "validated_at": at,
        "outcome": overall(results), "counts": counts,
        "results": [{"check": r.check_id, "title": r.title, "group": group_of(r.check_id),
                     "outcome": r.outcome.value, "shown": shown(r), "summary": r.summary,
                     "asked": r.asked, "answer": r.answer, "remedy": r.remedy,
                     "waiver": r.override_reason and {"owner": r.overridden_by, "note": r.override_reason}}
                    for r in results],
        "waivers": {
            "applied": [{"target": w.target, "owner": w.owner, "reason": w.reason,
                         "expires": w.expires.isoformat(), "checks": ids} for w, ids in waivers.applied],
            "unmatched": [{"target": w.target, "owner": w.owner, "expires": w.expires.isoformat()}
                          for w in waivers.unmatched],
            "expired": [{"target": w.target, "owner": w.owner, "expires": w.expires.isoformat()}
                        for w in waivers.expired],
        },
        "claims_to_fix": list(manifest.fixes),
    }


def markdown(doc: dict[str, Any]) -> str:
    lines = [f"# Release {doc['release']}: {doc['outcome']}", "",
             f"Supplier {doc['supplier']}, release date {doc['date']}. Manifest `{doc['manifest']}` "
             f"(sha256 `{doc['manifest_sha256']}`), validated {doc['validated_at']}"
             + (f" on site {doc['site']}." if doc["site"] else " without a site (static checks only)."), "",
             ", ".join(f"{n} {k}" for k, n in sorted(doc["counts"].items())) + ".", "",
             "| check | title | outcome | summary |", "| --- | --- | --- | --- |"]
    for r in doc["results"]:
        lines.append(f"| {r['check']} | {r['title']} | **{r['shown']}** | {_cell(r['summary'])} |")
    trouble = [r for r in doc["results"] if r["outcome"] != "PASS"]
    if trouble:
        lines += ["", "## Evidence", ""]
        for r in trouble:
            lines += [f"### {r['check']} {r['title']}: {r['shown']}", "", f"- summary: {r['summary']}",
                      f"- asked: {r['asked'] or '-'}", *_answer_lines(r["answer"]),
                      f"- to pass: {r['remedy'] or '-'}"]
            if r["waiver"]:
                lines.append(f"- waiver: {r['waiver']['owner']}, {r['waiver']['note']}")
            lines.append("")
    lines += ["## Waivers", ""]
    waivers = doc["waivers"]
    for kind, title in (("applied", "Applied"), ("unmatched", "Matched nothing"),
                        ("expired", "Expired (no longer applied)")):
        entries = waivers[kind]
        lines.append(f"- {title}: " + ("; ".join(
            f"{w['target']} ({w['owner']}, until {w['expires']}"
            + (f", waives {', '.join(w['checks'])}" if "checks" in w else "") + ")"
            for w in entries) if entries else "none"))
    if doc["claims_to_fix"]:
        lines += ["", f"Claims to fix: {', '.join(doc['claims_to_fix'])}."]
    return "\n".join(lines) + "\n"


def _answer_lines(answer: str) -> list[str]:
    """The answer as a list item; a multi-line one (a Terraform diff) as a fenced block in it, the
    fence longer than any run of backticks inside."""
    if "\n" not in answer:
        return [f"- answer: {answer or '-'}"]
    longest = max((len(run) for run in re.findall(r"`+", answer)), default=0)
    fence = "`" * max(3, longest + 1)
    return ["- answer:", "", f"  {fence}text", *(f"  {line}".rstrip() for line in answer.splitlines()),
            f"  {fence}", ""]


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def junit(doc: dict[str, Any]) -> bytes:
    results = doc["results"]
    failures = sum(r["shown"] == "FAIL" for r in results)
    skipped = sum(r["shown"] == "INCONCLUSIVE" for r in results)
    root = ET.Element("testsuites", name=f"release validation {doc['release']}", tests=str(len(results)),
                      failures=str(failures), errors="0", time="0")
    suite = ET.SubElement(root, "testsuite", name=f"release.{doc['release']}", tests=str(len(results)),
                          failures=str(failures), errors="0", skipped=str(skipped), time="0",
                          timestamp=doc["validated_at"][:19])
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="release.id", value=doc["release"])
    ET.SubElement(properties, "property", name="manifest.sha256", value=doc["manifest_sha256"])
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"release.{doc['release']}.{r['group']}",
                             name=f"{r['check']} {r['title']}", time="0")
        evidence = f"asked: {r['asked']}\nanswer: {r['answer']}\nto pass: {r['remedy']}"
        if r["shown"] == "FAIL":
            failure = ET.SubElement(case, "failure", message=r["summary"], type="FAIL")
            failure.text = evidence
        elif r["shown"] == "INCONCLUSIVE":
            ET.SubElement(case, "skipped", message=f"INCONCLUSIVE: {r['summary']}")
        elif r["shown"] == "WAIVED":
            out = ET.SubElement(case, "system-out")
            waiver = r["waiver"]
            out.text = f"WAIVED ({waiver['owner']}: {waiver['note']}); was {r['outcome']}: {r['summary']}"
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def html(doc: dict[str, Any]) -> str:
    """One self-contained page: inline style and script, no external assets, readable from file://."""
    from orchestrator.reports.templates import render

    return render("release.html.j2", doc=doc)


def write_reports(doc: dict[str, Any], out: Path) -> dict[str, str]:
    """Write results.json, report.md, report.html and junit.xml into ``out``; their SHA-256 by name.
    Each file is written aside and renamed into place: a report is never left half-written."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"results.json": (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode(),
             "report.md": markdown(doc).encode(), "report.html": html(doc).encode(),
             "junit.xml": junit(doc)}
    for name, content in files.items():
        (out / f".{name}.tmp").write_bytes(content)
    for name in files:
        os.replace(out / f".{name}.tmp", out / name)
    return {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
