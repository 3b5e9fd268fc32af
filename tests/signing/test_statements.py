"""The canonical statement: one text for one decision, read back exactly, anything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import InputError
from orchestrator.signing.statements import HEADER, Statement, parse, statement

DIGESTS = {"plan": "ab" * 32, "catalog": "cd" * 32}


def test_the_statement_is_sorted_fields_under_its_header():
    text = statement("plan-approval", "plan 3", "bob", 1764700000.5, "ok\nsecond line", DIGESTS)
    assert text == (f'{HEADER}\n'
                    'at: 1764700000.5\n'
                    'by: "bob"\n'
                    f'digest.catalog: "{"cd" * 32}"\n'
                    f'digest.plan: "{"ab" * 32}"\n'
                    'kind: plan-approval\n'
                    'reason: "ok\\nsecond line"\n'
                    'subject: "plan 3"\n'
                    'time: 2025-12-02T18:26:40.500000Z\n')
    assert statement("plan-approval", "plan 3", "bob", 1764700000.5, "ok\nsecond line",
                     dict(reversed(DIGESTS.items()))) == text


texts = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(kind=st.from_regex(r"\A[a-z][a-z0-9-]{0,20}\Z"), subject=texts, by=texts, reason=texts,
       at=st.floats(min_value=0, max_value=4e9, allow_nan=False),
       digests=st.dictionaries(st.from_regex(r"\A[a-z0-9][a-z0-9_.-]{0,10}\Z"), texts, max_size=4))
def test_a_statement_reads_back_as_what_it_says_and_is_one_text(kind, subject, by, reason, at, digests):
    text = statement(kind, subject, by, at, reason, digests)
    assert parse(text) == Statement(kind, subject, by, at, reason, digests)
    assert statement(**parse(text).__dict__) == text
    assert text.count("\n") == 7 + len(digests)


@pytest.mark.parametrize("change, why", [
    (lambda t: t.replace(HEADER, "logius-migrate decision v2"), "not a logius-migrate decision"),
    (lambda t: t.rstrip("\n"), "not a logius-migrate decision"),
    (lambda t: t.replace('by: "bob"\n', ""), "missing by"),
    (lambda t: t.replace('by: "bob"\n', 'by: "bob"\nby: "eve"\n'), "again"),
    (lambda t: t.replace('by: "bob"', 'who: "bob"'), "unknown who"),
    (lambda t: t.replace('by: "bob"', "by bob"), "not a field"),
    (lambda t: t.replace('by: "bob"', "by: bob"), "a value is not what its field holds"),
    (lambda t: t.replace('by: "bob"', "by: 7"), "a quoted value is not a string"),
    (lambda t: t.replace("at: 1764700000.5", "at: 1764700000.50"), "not in its canonical form"),
    (lambda t: t.replace("18:26:40", "18:26:41"), "not in its canonical form"),
])
def test_anything_but_a_canonical_statement_is_refused_in_one_line(change, why):
    text = statement("plan-approval", "plan 3", "bob", 1764700000.5, "ok", DIGESTS)
    with pytest.raises(InputError) as caught:
        parse(change(text))
    assert why in str(caught.value) and "\n" not in str(caught.value)


def test_a_statement_of_no_kind_no_digest_name_or_no_moment_is_not_made():
    with pytest.raises(InputError, match="kind 'Plan Approval' is not a kind"):
        statement("Plan Approval", "plan 3", "bob", 1.0, "ok", {})
    with pytest.raises(InputError, match="digest name 'a b' is not a name"):
        statement("plan-approval", "plan 3", "bob", 1.0, "ok", {"a b": "x"})
    with pytest.raises(InputError, match="is not a moment"):
        statement("plan-approval", "plan 3", "bob", float("nan"), "ok", {})
