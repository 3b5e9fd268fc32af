"""After a run killed in the middle of a secret-bearing step, and its resume, the canary secret is
nowhere the tool writes but where it belongs (the lab's secret store and the application's own
configuration on its LPC host): not in the lab, the journal, the log folder, HOME or TMPDIR."""

from __future__ import annotations

import base64
import json

from tests.engine.conftest import cli_process, make_lab, one_service_catalog, wait_for
from tests.engine.test_crash_resume import applying, kill_main, statuses

CANARY = "canary-Secret-41c7e2"


def test_a_killed_run_leaves_no_secret_behind(tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    layout.secrets.write_text(json.dumps({"alpha": {"db_password": CANARY}}))
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = dict(isolated_env, TMPDIR=str(tmpdir), LOGIUS_MIGRATE_LEASE_SECONDS="120")
    drill = layout.host_root("lpc-alpha") / "etc/logius-lab/faults/alpha.prepare-target.sleep"
    drill.write_text("60")
    args = ["--catalog", str(catalog), "--lab", str(layout.root)]
    process = cli_process(["wave", "run", "1", "--approve", *args], env)
    wait_for(lambda: layout.journal.exists() and statuses(layout, "alpha/prepare-target") == ["running"]
             and applying(layout))
    wait_for(lambda: CANARY in (layout.host_root("lpc-alpha") / "etc/alpha/app.conf").read_text()
             if (layout.host_root("lpc-alpha") / "etc/alpha/app.conf").exists() else False)
    kill_main(process)
    drill.unlink()
    resumed = cli_process(["wave", "resume", "1", "--approve", *args], env)
    _, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err

    meant = {layout.secrets, layout.host_root("lpc-alpha") / "etc/alpha/app.conf"}
    places = [layout.root, tmp_path / "home", tmpdir]
    files = [p for place in places for p in place.rglob("*") if p.is_file() and p not in meant]
    names = {p.name for p in files}
    assert {"journal.db", "terraform.tfstate", "app.conf", "alpha"} <= names, "the places that matter"
    encoded = base64.b64encode(CANARY.encode())
    leaks = [str(p) for p in files if CANARY.encode() in p.read_bytes() or encoded in p.read_bytes()]
    assert leaks == []
    # Ansible's own module payloads of the stopped orphan may stay (checked above: no secret).
    assert [p.name for p in tmpdir.iterdir() if p.name.startswith("logius-")] == [], "none of ours is left"
