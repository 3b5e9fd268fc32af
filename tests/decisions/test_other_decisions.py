"""The decisions besides a plan's, signed with real keys: a dry-run made and approved, a release
accepted, a blocker waived; each believed when it checks, and refused in one line when its row
was written or changed around the tool."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from orchestrator.errors import Refused
from orchestrator.journal.blockers import add_blocker, change, get_blocker, untrusted
from orchestrator.journal.dry_runs import approve_dry_run, check_dry_run_approved, get_dry_run, record_dry_run
from orchestrator.journal.releases import check_decision, decide, decisions, record_validation
from tests.decisions.conftest import by, one_line, policy


def document(maker: str) -> dict:
    return {"wave": 1, "by": maker, "status": "complete", "tasks": [], "stacks": [],
            "digests": {"catalog": "a" * 64, "site": "b" * 64, "inventory": "c" * 64}}


def test_a_dry_run_made_by_ann_and_approved_by_bob(journal, keys, tmp_path):
    site = policy(tmp_path, keys)
    made = record_dry_run(journal, document("ann"), site, by(keys, "ann"))
    with pytest.raises(Refused) as refused:
        approve_dry_run(journal, made.id, "ann", "mine", False, site, by(keys, "ann"))
    assert "dry-run 1 was rehearsed by ann" in one_line(refused.value)
    approved = approve_dry_run(journal, made.id, "bob", "the diffs are expected", False, site,
                               by(keys, "bob"))
    assert check_dry_run_approved(journal, approved, site) == "bob"
    with journal.engine.begin() as connection:
        connection.execute(text("update dry_runs set approval_reason = 'anything goes' where id = 1"))
    with pytest.raises(Refused) as refused:
        check_dry_run_approved(journal, get_dry_run(journal, made.id), site)
    assert "its statement says reason 'the diffs are expected', the journal 'anything goes'" in \
        one_line(refused.value)


def test_a_release_accepted_with_bob_s_key_and_one_inserted_with_sql(journal, keys, tmp_path):
    site = policy(tmp_path, keys)
    doc = {"release": "r1", "manifest_sha256": "0" * 64, "outcome": "PASS", "site": "test-site",
           "results": []}
    validation = record_validation(journal, doc, {}, "ann")
    who = decide(journal, "r1", "0" * 64, "accepted", validation, "bob", "board", site, by(keys, "bob"))
    assert who == "bob"
    [accepted] = decisions(journal)
    assert check_decision(journal, site, accepted) == "bob"
    with journal.engine.begin() as connection:
        connection.execute(text("insert into release_decisions (release_id, manifest_sha256, decision, "
                                "validation_id, by, reason, at) values ('r2', :sha, 'accepted', 1, 'eve', "
                                "'trust me', 1.0e9)"), {"sha": "0" * 64})
    forged = decisions(journal)[-1]
    with pytest.raises(Refused) as refused:
        check_decision(journal, site, forged)
    assert one_line(refused.value) == ("release decision 2 (r2 accepted by eve) is no decision in the "
                                       "journal (a row written around the tool); not acted on")


def test_a_waiver_signed_by_bob_is_believed_and_one_set_with_sql_is_not(journal, keys, tmp_path):
    site = policy(tmp_path, keys)
    first = add_blocker(journal, "platform", "blocking", "firewall", "network", "ann")
    waived = change(journal, first.id, "waive", "bob", "workaround", ("cio", dt.date(2099, 1, 1)), site,
                    by(keys, "bob"))
    assert waived.status == "waived" and untrusted(journal, site, waived) is None
    with pytest.raises(Refused) as refused:
        change(journal, first.id, "resolve", "eve", "fixed", None, site, by(keys, "eve"))
    assert "is not in the allowed signers" in one_line(refused.value)
    second = add_blocker(journal, "platform", "blocking", "storage", "ops", "ann")
    with journal.engine.begin() as connection:
        connection.execute(text("update blockers set status = 'waived', waiver_owner = 'eve', "
                                "waiver_expires = '2099-01-01' where id = :i"), {"i": second.id})
        connection.execute(text("update blockers set waiver_expires = '2100-01-01' where id = :i"),
                           {"i": first.id})
    assert untrusted(journal, site, get_blocker(journal, second.id)) == (
        "BLK-0002 is waived, but no blocker-waived decision made it so (a row written around the tool); "
        "not acted on")
    assert "its statement says waiver-expires '2099-01-01', the journal '2100-01-01'" in \
        (untrusted(journal, site, get_blocker(journal, first.id)) or "")
