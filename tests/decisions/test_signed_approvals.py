"""Signed decisions with real ssh-keygen keys and a real SQLite journal: who may approve a plan,
and which approvals `wave run` believes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from orchestrator.errors import Refused
from orchestrator.journal import schema
from orchestrator.journal.decisions import for_subject, verify_all
from orchestrator.journal.plans import approve_plan, check_approved, get_plan
from tests.decisions.conftest import by, one_line, policy, save


def decided(journal) -> int:
    with journal.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(schema.decisions)).scalar_one()


def test_a_plan_saved_by_ann_and_approved_by_bob_with_their_keys_runs(journal, keys, tmp_path):
    site = policy(tmp_path, keys)
    plan = save(journal, "ann", site, by(keys, "ann"))
    approved = approve_plan(journal, plan.id, "bob", "CAB 12", False, site, by(keys, "bob"))
    assert (approved.saved_by, approved.approved_by, approved.approval_reason) == ("ann", "bob", "CAB 12")
    [saving] = for_subject(journal, "plan-saved", "plan 1")
    [approval] = for_subject(journal, "plan-approval", "plan 1")
    assert (saving.principal, approval.principal) == ("ann", "bob")
    assert approval.statement.startswith("logius-migrate decision v1\n") and "-----BEGIN SSH SIGNATURE" \
        in (approval.signature or "")
    assert check_approved(journal, approved, site, allow_self_approval=False) == "bob"
    assert verify_all(journal, site) == []


def test_without_a_typed_name_the_principal_decides(journal, keys, tmp_path):
    site = policy(tmp_path, keys)
    plan = save(journal, "ann", site, by(keys, "ann"))
    approved = approve_plan(journal, plan.id, "root", "CAB 12", False, site, by(keys, "bob"), typed=False)
    assert approved.approved_by == "bob"


@pytest.mark.parametrize(("signer", "options", "why"), [
    ("eve", {}, "is not in the allowed signers"),
    ("bob", {"bob": 'namespaces="something-else"'}, "may not sign in namespace 'logius-migrate'"),
    ("bob", {"bob": 'namespaces="logius-migrate",valid-before="20200101"'}, "expired 2020-01-01"),
    ("ann", {}, "plan 1 was saved by ann: a plan is approved by someone else"),
], ids=["key-not-allowed", "wrong-namespace", "expired", "self-approval"])
def test_an_approval_that_does_not_verify_is_refused_in_one_line(journal, keys, tmp_path, signer, options,
                                                                 why):
    plan = save(journal, "ann", policy(tmp_path / "saved", keys), by(keys, "ann"))
    site = policy(tmp_path / "now", keys, **options)
    with pytest.raises(Refused) as refused:
        approve_plan(journal, plan.id, signer, "CAB 12", False, site, by(keys, signer))
    assert why in one_line(refused.value)
    assert decided(journal) == 1 and not get_plan(journal, plan.id).approved, "nothing was recorded"


def test_a_name_typed_for_another_key_is_refused(journal, keys, tmp_path):
    site = policy(tmp_path, keys)
    plan = save(journal, "ann", site, by(keys, "ann"))
    with pytest.raises(Refused) as refused:
        approve_plan(journal, plan.id, "carol", "CAB 12", False, site, by(keys, "bob"))
    assert "--by carol, but the key" in one_line(refused.value) and "is bob's" in str(refused.value)


def test_an_unsigned_decision_is_refused_where_the_site_requires_signatures(journal, keys, tmp_path):
    site = policy(tmp_path, keys)
    with pytest.raises(Refused) as refused:
        save(journal, "ann", site)
    assert one_line(refused.value).startswith("plan-saved plan 1: unsigned, and the site requires signatures")
    plan = save(journal, "ann", site, by(keys, "ann"))
    with pytest.raises(Refused) as refused:
        approve_plan(journal, plan.id, "bob", "CAB 12", False, site)
    assert "plan-approval plan 1: unsigned" in one_line(refused.value)


@pytest.mark.parametrize("approver", ["Alice", "alice ", " ALICE"])
def test_unsigned_names_are_one_person_whatever_their_case_and_spaces(journal, approver):
    plan = save(journal, "alice")
    with pytest.raises(Refused) as refused:
        approve_plan(journal, plan.id, approver, "CAB 12", False)
    assert "plan 1 was saved by" in one_line(refused.value)
    assert approve_plan(journal, plan.id, "bob", "CAB 12", False).approved_by == "bob"


def test_a_role_the_site_gives_to_others_is_refused(journal, keys, tmp_path):
    from dataclasses import replace

    site = replace(policy(tmp_path, keys), roles={"approve-plan": ("carol",)})
    plan = save(journal, "ann", site, by(keys, "ann"))
    with pytest.raises(Refused) as refused:
        approve_plan(journal, plan.id, "bob", "CAB 12", False, site, by(keys, "bob"))
    assert "bob may not approve-plan on this site" in one_line(refused.value)


FORGE = "update plans set approved_by = :who, approved_at = :at, approval_reason = 'board' where id = 1"


def test_an_approval_forged_with_sql_is_refused_before_the_wave_runs(journal):
    plan = save(journal, "eve")
    with journal.engine.begin() as connection:
        connection.execute(text(FORGE), {"who": "mallory", "at": 1.0e9})
    with pytest.raises(Refused) as refused:
        check_approved(journal, get_plan(journal, plan.id), None, allow_self_approval=False)
    assert one_line(refused.value).startswith("plan 1: its approval by mallory is no decision in the journal")


def test_an_approver_changed_with_sql_does_not_match_the_signed_statement(journal, keys, tmp_path):
    site = policy(tmp_path, keys)
    plan = save(journal, "ann", site, by(keys, "ann"))
    approved = approve_plan(journal, plan.id, "bob", "CAB 12", False, site, by(keys, "bob"))
    with journal.engine.begin() as connection:
        connection.execute(text(FORGE), {"who": "ann", "at": approved.approved_at})
    with pytest.raises(Refused) as refused:
        check_approved(journal, get_plan(journal, plan.id), site, allow_self_approval=False)
    assert one_line(refused.value) == ("decision 2 (plan-approval plan 1): its statement says by 'bob', the "
                                       "journal 'ann'; not acted on")


def test_a_plan_changed_after_its_approval_is_refused(journal):
    plan = save(journal, "ann")
    approve_plan(journal, plan.id, "bob", "CAB 12", False)
    with journal.engine.begin() as connection:
        connection.execute(text("update plans set waves = '[]' where id = 1"))
    with pytest.raises(Refused) as refused:
        check_approved(journal, get_plan(journal, plan.id), None, allow_self_approval=False)
    assert "decision 1 (plan-saved plan 1): its statement says plan" in one_line(refused.value)


def test_journal_verify_names_the_decisions_a_revoked_key_signed(journal, keys, tmp_path):
    from dataclasses import replace

    site = policy(tmp_path, keys)
    plan = save(journal, "ann", site, by(keys, "ann"))
    approve_plan(journal, plan.id, "bob", "CAB 12", False, site, by(keys, "bob"))
    revoked = tmp_path / "revoked_keys"
    revoked.write_text(keys["bob"].with_suffix(".pub").read_text())
    findings = verify_all(journal, replace(site, revoked=revoked))
    assert [f.record for f in findings] == ["decision 2 (plan-approval plan 1)"]
    assert "revoked" in findings[0].problem


def test_an_unsigned_approval_rewritten_with_its_statement_is_caught_by_the_chain(journal):
    from orchestrator.signing.statements import parse, statement

    plan = save(journal, "ann")
    approve_plan(journal, plan.id, "bob", "CAB 12", False)
    [approval] = for_subject(journal, "plan-approval", "plan 1")
    said = parse(approval.statement)
    rewritten = statement(said.kind, said.subject, "carol", said.at, said.reason, said.digests)
    with journal.engine.begin() as connection:  # every trace made to agree, but around the tool
        connection.execute(text("update plans set approved_by = 'carol' where id = 1"))
        connection.execute(text("update decisions set by = 'carol', statement = :s where id = :i"),
                           {"s": rewritten, "i": approval.id})
    with pytest.raises(Refused) as refused:
        check_approved(journal, get_plan(journal, plan.id), None, allow_self_approval=False)
    assert one_line(refused.value).startswith("decision 2 (plan-approval plan 1): decisions 2 was changed "
                                              "outside this tool")


def test_an_approval_from_before_the_upgrade_stands_until_its_row_changes(tmp_path):
    from sqlalchemy import create_engine

    from orchestrator.journal import Journal, resolve_url
    from tests.journal.test_dry_runs import journal_at

    url = resolve_url(tmp_path / "old.db", None)
    journal_at(url, 7)
    engine = create_engine(url)
    with engine.begin() as connection:  # a plan saved and approved by the tool of schema 7
        connection.execute(text(
            "insert into plans (saved_by, saved_at, options, catalog_hash, catalog_files, site_name, "
            "site_hash, waves, approved_by, approved_at, approval_reason) values ('ann', 1.0e9, '{}', 'c', "
            "'{}', 'test-site', 's', '[]', 'bob', 1.1e9, 'CAB')"))
    engine.dispose()
    with Journal(url) as journal:
        plan = get_plan(journal, 1)
        assert check_approved(journal, plan, None, allow_self_approval=False) == "bob"
        with journal.engine.begin() as connection:
            connection.execute(text("update plans set approved_by = 'carol' where id = 1"))
        with pytest.raises(Refused) as refused:
            check_approved(journal, get_plan(journal, 1), None, allow_self_approval=False)
        assert "its approval by carol is no decision in the journal" in one_line(refused.value)
