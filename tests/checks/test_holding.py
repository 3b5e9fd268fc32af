"""Which members of a wave wait for a held service: its hard dependants (and a retired service
whose dependant is held), transitively; soft dependants and strangers go on."""

from __future__ import annotations

from types import SimpleNamespace

from orchestrator.catalog import catalog_from_data
from orchestrator.engine.gates import dependants
from tests.conftest import service


def test_hard_dependants_wait_transitively_soft_ones_do_not():
    catalog = catalog_from_data({"services": [
        service("db"), service("app", dependencies=[{"service": "db"}]),
        service("web", dependencies=[{"service": "app"}]),
        service("report", dependencies=[{"service": "db", "kind": "soft"}]),
        service("old", disposition="retire"), service("user", dependencies=[{"service": "old"}]),
        service("other")]})
    ctx = SimpleNamespace(catalog=catalog)
    members = ["db", "app", "web", "report", "old", "user", "other"]
    assert dependants(ctx, members, {"db"}) == {"app": "db", "web": "db"}
    assert dependants(ctx, members, {"user"}) == {"old": "user"}  # decommissioned after it moves
    assert dependants(ctx, ["db", "web"], {"db"}) == {}  # app is not in this wave
