"""The dry run's reports: the terminal table, dry-run.md, dry-run.html and dry-run.json of one
document (two services, one held; a stack with a create, a replace, a no-op and attributes known
only after apply; tasks of all four outcomes; a diff with a script in it; the wave's gate)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from orchestrator.reports import dry_run

SCRIPT = "<script>alert(1)</script>"
DIFF = ("--- before: /etc/cpa-register/app.conf\n+++ after: /etc/cpa-register/app.conf\n@@ -1,2 +1,2 @@\n"
        f" listen = 8080\n-banner = old\n+banner = {SCRIPT}\n")
UNREACHABLE = ("the host was unreachable: Failed to connect to the host via ssh: ssh: connect to host "
               "10.20.0.12 port 22: Connection timed out (after 3 attempts, the last at 19:02:11)")
DEPENDS = ("depends on a change an earlier step would make: prepare-target Create the application "
           "directories on cpa-lpc-1")
FAILS = "Could not find the requested service cpa-register: host"


def task(phase, host, name, outcome, reason="", diff="", paths=(), service="cpa-register"):
    return {"phase": phase, "service": service, "host": host, "task": name, "outcome": outcome,
            "reason": reason, "diff": diff, "paths": list(paths)}


def document():
    return {
        "format": "logius-migrate/dry-run 1", "id": 3, "wave": 1, "plan": 1,
        "services": ["cpa-register", "digiinkoop"], "only": None, "by": "alice",
        "at": "2026-12-01T19:00:00+01:00", "site": "lab",
        "digests": {"catalog": "1a2b3c4d5e6f" + "0" * 52, "site": "abcdefabcdef" + "1" * 52,
                    "inventory": "fedcbafedcba" + "2" * 52},
        "status": "partial",
        "checks": [{"service": "cpa-register", "check": "PRE-REL-001", "outcome": "PASS",
                    "summary": "release r7 accepted", "evidence": "r7"},
                   {"service": "digiinkoop", "check": "PRE-BLK-001", "outcome": "FAIL",
                    "summary": "blocker B-2 is open", "evidence": "B-2"}],
        "held": {"digiinkoop": "PRE-BLK-001 FAIL: B-2 open"},
        "stacks": [{"service": "cpa-register", "step": "provision",
                    "plan_file": "dry-runs/3/cpa-register.tfplan", "sha256": "9" * 64, "state_serial": 4,
                    "state_lineage": "0b7d5f0e-2c57-4c1e-9d3e-8f1f7d1a0c11", "error": None,
                    "resources": [
                        {"address": "module.lz.null_resource.zone", "actions": ["create"],
                         "unknown": ["id", "triggers.ip"]},
                        {"address": "module.lz.null_resource.dns", "actions": ["delete", "create"],
                         "unknown": ["tags[0]"]},
                        {"address": "module.lz.null_resource.network", "actions": ["no-op"],
                         "unknown": []}]}],
        "tasks": [
            task("prepare-target", "cpa-lpc-1", "Create the application directories", "change",
                 diff=DIFF, paths=["etc/cpa-register"]),
            task("prepare-target", "cpa-lpc-1", "Install the | cpa package", "no-change"),
            task("prepare-target", "cpa-lpc-2", "Copy the configuration", "unknown", UNREACHABLE),
            task("sync-data", "cpa-lpc-1", "Restore the database dump", "unknown", DEPENDS),
            task("cutover", "cpa-lpc-1", "Start the service", "fail", FAILS),
            task("gate", "localhost", "Ask the wave gate", "unknown", "the module cannot run in check mode",
                 service="_wave"),
        ],
        "gate": {"question": "Wave 1: approve the cutover of cpa-register?"},
        "services_detail": [
            {"service": "cpa-register", "held": None,
             "downtime": {"expected_minutes": 15.0, "basis": "size S", "left_minutes": 432.0, "fits": True},
             "phases": [{"phase": "provision", "seconds": 4.2, "basis": "journal"},
                        {"phase": "cutover", "seconds": None, "basis": "unknown"}],
             "rollback_points": [{"phase": "provision", "kind": "terraform"},
                                 {"phase": "prepare-target", "kind": "files"}],
             "point_of_no_return": "cutover",
             "blockers": [{"id": "B-3", "severity": "blocking", "title": "DNS delegation", "waiver": None}]},
            {"service": "digiinkoop", "held": "PRE-BLK-001 FAIL: B-2 open", "downtime": None, "phases": [],
             "rollback_points": [], "point_of_no_return": None, "blockers": []}],
    }


UNKNOWN_ATTRIBUTES = ["id", "triggers.ip", "tags[0]"]
NEEDS_ATTENTION = [t for t in document()["tasks"] if t["outcome"] in ("unknown", "fail")]


class Text(HTMLParser):
    """The text of a page, and the text of each element that has a ``data-outcome``."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.outcomes: list[tuple[str, str]] = []
        self.open: list[tuple[str, str, int, list[str]]] = []  # tag, outcome, depth, text

    def handle_starttag(self, tag, attrs):
        self.open = [(t, o, d + (t == tag), x) for t, o, d, x in self.open]
        if "data-outcome" in dict(attrs):
            self.open.append((tag, dict(attrs)["data-outcome"] or "", 0, []))

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag and self.open[-1][2] == 0:
            _, outcome, _, text = self.open.pop()
            self.outcomes.append((outcome, " ".join("".join(text).split())))
        self.open = [(t, o, d - (t == tag), x) for t, o, d, x in self.open]

    def handle_data(self, data):
        self.text.append(data)
        for _, _, _, text in self.open:
            text.append(data)


def page_text(html: str) -> Text:
    parser = Text()
    parser.feed(html)
    return parser


def test_the_table_shows_each_service_what_needs_attention_first_and_the_plan():
    table = dry_run.render_table(document())
    assert all(len(line) <= 100 for line in table.splitlines()), max(table.splitlines(), key=len)
    head = table.split("\n\n")[0]
    assert "wave 1 of plan 1 on site lab: partial" in head and "by alice at 2026-12-01T19:00:00+01:00" in head
    assert "catalog 1a2b3c4d5e6f," in head and "1a2b3c4d5e6f0" not in head, "digests shortened to 12"
    assert "needs attention: 1 would fail, 3 unknown, 1 held" in head
    blocks = {b.split("\n")[0]: b for b in table.split("\n\n")[1:]}
    assert list(blocks) == ["== cpa-register: not held", "== digiinkoop: HELD: PRE-BLK-001 FAIL: B-2 open",
                            "== wave-level gate: not held"]
    cpa = " ".join(blocks["== cpa-register: not held"].split())  # the wrapped lines joined
    for t in NEEDS_ATTENTION[:3]:
        word = "would fail" if t["outcome"] == "fail" else "unknown"
        line = f"{word} {t['phase']} on {t['host']}: {t['task']}: {t['reason']}"
        assert line in cpa and cpa.index(line) < cpa.index("terraform provision")
    assert cpa.index("would fail") < cpa.index("unknown prepare-target"), "would fail, then unknown"
    assert "on cpa-lpc-1: Create the application directories" not in cpa, "a change is counted, not listed"
    lines = blocks["== cpa-register: not held"].splitlines()
    assert "      + create   module.lz.null_resource.zone" in lines
    assert "    -/+ replace  module.lz.null_resource.dns" in lines
    assert "network" not in table, "a no-op is not listed"
    for attribute in UNKNOWN_ATTRIBUTES:
        assert f"{' ' * 18}{attribute}: known after apply" in lines
    assert "tasks: 1 would change, 1 no change, 2 unknown, 1 would fail" in cpa
    assert "downtime: 15 min expected (size S), 432 min left in the window: fits" in cpa
    assert "point of no return: cutover" in cpa and "blocker B-3 (blocking): DNS delegation" in cpa
    assert "check PRE-BLK-001 FAIL: blocker B-2 is open" in blocks[
        "== digiinkoop: HELD: PRE-BLK-001 FAIL: B-2 open"] and "PRE-REL-001" not in table


def test_a_downtime_that_does_not_fit_and_a_stack_that_failed_to_plan_are_said():
    doc = document()
    doc["services_detail"][0]["downtime"].update(expected_minutes=480.0, fits=False)
    doc["stacks"][0].update(error="Error: Invalid provider configuration", resources=[])
    table = dry_run.render_table(doc)
    assert "480 min expected (size S), 432 min left in the window: does NOT fit" in table
    assert "terraform provision: COULD NOT PLAN: Error: Invalid provider configuration" in table
    markdown = dry_run.render_markdown(doc)
    assert "| cpa-register | no | 1 | 1 | 2 | 1 | 480 min of 432 min left | no |" in markdown
    assert ("- **could not plan** cpa-register: Terraform could not plan provision: Error: Invalid provider "
            "configuration") in markdown
    assert '<li class="plan-failed">' in dry_run.render_html(doc)


def test_the_markdown_puts_what_needs_attention_before_the_changes():
    markdown = dry_run.render_markdown(document())
    assert "| cpa-register | no | 3 | 1 | 2 | 1 | 15 min of 432 min left | yes |" in markdown
    assert "| digiinkoop | PRE-BLK-001 FAIL: B-2 open | 0 | 0 | 0 | 0 | - | ? |" in markdown
    attention = markdown.index("## Needs attention")
    first_change = min(markdown.index("### Terraform"), markdown.index("```diff"))
    for t in NEEDS_ATTENTION:
        reason = t["reason"].replace("<", "&lt;").replace("|", "\\|")
        assert attention < markdown.index(reason) < first_change
    assert markdown.index("**would fail**") < markdown.index("**unknown**")
    assert "- **held** digiinkoop: PRE-BLK-001 FAIL: B-2 open" in markdown
    for heading in ("## cpa-register", "## digiinkoop", "## Wave-level gate"):
        assert f"\n{heading}\n" in markdown
    assert "- **replace** `module.lz.null_resource.dns`" in markdown
    assert "- **create** `module.lz.null_resource.zone`" in markdown
    for attribute in UNKNOWN_ATTRIBUTES:
        assert f"  - `{attribute}`: known after apply" in markdown


def test_the_markdown_escapes_table_cells_and_fences_each_diff():
    markdown = dry_run.render_markdown(document())
    assert "| prepare-target | cpa-lpc-1 | Install the \\| cpa package | no change |  |" in markdown
    for row in (line for line in markdown.splitlines() if line.startswith("| ")):
        cells = re.split(r"(?<!\\)\|", row)[1:-1]
        assert len(cells) in (5, 8), row  # the task table's columns, the summary's
    fenced = re.findall(r"^```diff\n(.*?)^```$", markdown, re.S | re.M)
    assert fenced == [DIFF]
    assert SCRIPT not in markdown.replace(DIFF, ""), "outside the fence no raw HTML"
    assert "Paths: `etc/cpa-register`" in markdown


def test_the_html_page_flags_what_needs_attention_first_and_escapes_the_diff():
    page = dry_run.render_html(document())
    for external in ("http://", "https://", "src=", "url(", "@import", "<link", "<script"):
        assert external not in page, external
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<details><summary>") == 1 and "<details open" not in page
    for service in ("cpa-register", "digiinkoop", "_wave"):
        assert page.count(f'id="service-{service}"') == 1
    attention = page.index('<section id="attention">')
    assert attention < page.index('class="unknown"') < page.index('data-outcome="change"')
    assert attention < page.index('class="would-fail"') < page.index("<details>")
    parsed = page_text(page)
    text = " ".join("".join(parsed.text).split())
    for attribute in UNKNOWN_ATTRIBUTES:
        assert f"{attribute}: known after apply" in text
    assert "replace module.lz.null_resource.dns" in text and "create module.lz.null_resource.zone" in text
    unknown = [shown for outcome, shown in parsed.outcomes if outcome == "unknown"]
    for t in (t for t in NEEDS_ATTENTION if t["outcome"] == "unknown"):
        assert sum(t["task"] in shown and t["reason"] in shown for shown in unknown) == 2  # attention, list
    failing = [shown for outcome, shown in parsed.outcomes if outcome == "fail"]
    assert len(failing) == 2 and all(FAILS in shown for shown in failing)


def test_the_json_is_the_document_and_round_trips():
    doc = document()
    text = dry_run.render_json(doc)
    assert json.loads(text) == doc
    assert text == json.dumps(doc, indent=2, sort_keys=True)


def test_the_reports_are_written_whole_into_a_new_folder(tmp_path):
    folder = tmp_path / "dry-runs" / "3"
    paths = dry_run.write_reports(document(), folder)
    assert [p.name for p in paths] == ["dry-run.md", "dry-run.html", "dry-run.json"]
    assert sorted(p.name for p in folder.iterdir()) == ["dry-run.html", "dry-run.json", "dry-run.md"]
    assert json.loads((folder / "dry-run.json").read_text()) == document()
    assert (folder / "dry-run.md").read_text() == dry_run.render_markdown(document())
    assert (folder / "dry-run.html").read_text() == dry_run.render_html(document())


def test_a_document_that_cannot_be_rendered_leaves_the_old_reports_alone(tmp_path):
    dry_run.write_reports(document(), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    broken = document()
    broken["only"] = {"cpa-register"}  # a set: Markdown and HTML render, JSON cannot
    with pytest.raises(TypeError):
        dry_run.write_reports(broken, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_html_page_opens_in_headless_chromium_without_console_errors(tmp_path):
    """From file:// with no network: no console error, every service's section and every unknown
    task in the page Chromium built."""
    page = Path(next(p for p in dry_run.write_reports(document(), tmp_path / "out") if p.suffix == ".html"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=60)  # a page stopped by a dialog never ends
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    for service in document()["services"]:
        assert f'id="service-{service}"' in dom.stdout
    parsed = page_text(dom.stdout)
    unknown = [shown for outcome, shown in parsed.outcomes if outcome == "unknown"]
    for t in (t for t in NEEDS_ATTENTION if t["outcome"] == "unknown"):
        assert any(t["task"] in shown and t["reason"] in shown for shown in unknown), t["task"]
    assert SCRIPT not in dom.stdout and "alert(1)" in "".join(parsed.text)
