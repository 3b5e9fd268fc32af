"""`logius-migrate report`: the three files, byte for byte the same for the same journal and
--now; a folder that is a file refused in one line; an empty journal still reported; the forecast
drawn when one is given; and the page as headless Chromium sees it."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from orchestrator.dashboard import gather_status
from orchestrator.journal import Journal
from orchestrator.reports.dashboard import FILES, render_html, render_markdown, write_reports
from tests.conftest import SEEDS
from tests.dashboard.programme import NOW, WAVES, empty_journal
from tests.dashboard.test_status import FORECAST

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: What Chromium asks for itself whatever the page (time, updates, sign-in), never the page's.
BROWSER_OWN = {"clients2.google.com", "update.googleapis.com", "accounts.google.com",
               "clientservices.googleapis.com", "safebrowsingohttpgateway.googleapis.com",
               "optimizationguide-pa.googleapis.com", "content-autofill.googleapis.com"}


def report(run_cli, db: Path, out: Path, *extra: str):
    return run_cli("report", "--db", str(db), "--catalog", str(SEEDS), "--out", str(out),
                   "--now", "2027-01-20T09:00", *extra)


def test_the_same_journal_and_now_give_the_same_bytes(run_cli, built, tmp_path):
    db, _ = built
    first, second = report(run_cli, db, tmp_path / "a"), report(run_cli, db, tmp_path / "b")
    assert first.exit_code == second.exit_code == 0, first.stderr
    assert first.stdout == ("2 of 20 done; 3 blocker(s) not resolved, 1 overdue; reports in "
                            f"{tmp_path / 'a'}: dashboard.html, dashboard.md, status.json\n")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    run_cli("report", "--db", str(db), "--catalog", str(SEEDS), "--out", str(tmp_path / "c"),
                    "--now", "2027-01-21T09:00")
    assert (tmp_path / "c" / "status.json").read_bytes() != (tmp_path / "a" / "status.json").read_bytes()


def test_format_json_prints_the_status_document_the_folder_holds(run_cli, built, tmp_path):
    db, _ = built
    shown = report(run_cli, db, tmp_path / "out", "--format", "json")
    assert json.loads(shown.stdout) == json.loads((tmp_path / "out" / "status.json").read_text())


def test_an_out_that_is_a_file_is_refused_in_one_line_and_nothing_is_written(run_cli, built, tmp_path):
    db, _ = built
    (tmp_path / "here").mkdir()
    taken = tmp_path / "here" / "taken.txt"
    taken.write_text("mine")
    refused = report(run_cli, db, taken)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr == (f"error: report --out {taken}: is a file, not a folder; give a folder (made "
                              f"if missing)\n")
    assert taken.read_text() == "mine" and sorted(p.name for p in taken.parent.iterdir()) == ["taken.txt"]
    bad = report(run_cli, db, tmp_path / "here" / "x", "--now", "next tuesday")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: report --now 'next tuesday': not an ISO 8601")


def test_a_journal_where_nothing_ran_is_reported_as_such(run_cli, tmp_path):
    empty_journal(tmp_path / "empty.db").close()
    done = report(run_cli, tmp_path / "empty.db", tmp_path / "out")
    assert done.exit_code == 0, done.stderr
    page = (tmp_path / "out" / "dashboard.html").read_text()
    assert "Nothing ran yet." in page and "No approved plan." in page and 'class="planned' not in page
    assert "No forecast: no approved plan." in page
    assert "Nothing ran yet." in (tmp_path / "out" / "dashboard.md").read_text()


def test_a_forecast_is_drawn_as_lines_on_the_timeline_and_a_histogram(built):
    db, catalog = built
    with Journal(f"sqlite:///{db}", read_only=True) as journal:
        page = render_html(gather_status(catalog, journal, now=NOW, forecast=FORECAST))
        without = render_html(gather_status(catalog, journal, now=NOW))
    assert page.count('class="bin"') == 3 and 'class="mark mark-p50"' in page and 'mark-p90' in page
    assert 'id="histogram"' not in without and "No forecast was given for this report" in without
    assert 'class="mark mark-p50"' not in without and 'class="mark mark-today"' in without


def test_the_markdown_has_the_same_parts_as_the_page(built):
    db, catalog = built
    with Journal(f"sqlite:///{db}", read_only=True) as journal:
        text = render_markdown(gather_status(catalog, journal, now=NOW, forecast=FORECAST))
    assert re.findall(r"^## (.*)$", text, re.MULTILINE) == [
        "Timeline", "Progress", "Blockers", "Supplier releases", "Availability budget", "Cost of delay",
        "Next waves' rehearsals", "Azure test track", "Forecast"]
    assert "| BLK-0001 | blocking | netops | 2027-01-10 (overdue 10 d) |" in text
    assert "| lpc-1.0 | rejected by cio: Kubernetes 1.22 is out of support |" in text


class _Proxy(http.server.BaseHTTPRequestHandler):
    """Every request the browser makes goes here (it is its proxy) and is answered 502."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the handler's protocol
        self.seen.append(re.sub(r"^https?://", "", self.path).split("/")[0].split(":")[0])
        self.send_response(502)
        self.end_headers()

    do_CONNECT = do_POST = do_GET  # noqa: N815

    def log_message(self, *_args: object) -> None:
        pass


def chromium(page: Path, profile: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Chromium on ``page`` (file://) with a proxy that records every request; the hosts asked."""
    _Proxy.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
             f"--proxy-server=http://127.0.0.1:{server.server_address[1]}", "--proxy-bypass-list=<-loopback>"]
    try:
        done = subprocess.run([CHROMIUM or "chromium", *flags, *args, page.as_uri()], capture_output=True,
                              text=True, timeout=90)
    finally:
        server.shutdown()
        server.server_close()
    return done, [host for host in _Proxy.seen if host not in BROWSER_OWN]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_headless_chromium_shows_every_service_and_one_bar_per_wave_with_no_error_or_request(built, tmp_path):
    """From file://: no console error, no request of the page's own, every service in its state,
    one planned bar per wave; a screenshot and a PDF are kept in the test's folder."""
    db, catalog = built
    with Journal(f"sqlite:///{db}", read_only=True) as journal:
        document = gather_status(catalog, journal, now=NOW, forecast=FORECAST)
    page = next(p for p in write_reports(document, tmp_path / "out") if p.suffix == ".html")
    assert not re.search(r"(src|href)=|url\(|@import|<script", page.read_text())
    dom, requested = chromium(page, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line] == []
    assert requested == []
    for service in catalog.services:
        state = next(s["state"] for s in document["progress"]["services"] if s["service"] == service.id)
        row = re.search(rf'<tr id="service-{service.id}" class="state-{state}">(.*?)</tr>', dom.stdout, re.S)
        assert row and f'<td class="state">{state}</td>' in row.group(1), service.id
    svg = re.search(r'<svg[^>]*id="gantt".*?</svg>', dom.stdout, re.S)
    assert svg and svg.group(0).count('class="planned wave-bar"') == len(WAVES)
    shot, _ = chromium(page, tmp_path / "profile", "--window-size=1100,1500",
                       f"--screenshot={tmp_path / 'dashboard.png'}")
    pdf, _ = chromium(page, tmp_path / "profile", f"--print-to-pdf={tmp_path / 'dashboard.pdf'}",
                      "--no-pdf-header-footer")
    assert (tmp_path / "dashboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot.stderr[-1000:]
    assert (tmp_path / "dashboard.pdf").read_bytes()[:5] == b"%PDF-", pdf.stderr[-1000:]
