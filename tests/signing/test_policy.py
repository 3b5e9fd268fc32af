"""The site's signing policy: roles given to principals, and which key signs for a person."""

from __future__ import annotations

import pytest

from orchestrator.errors import Refused
from orchestrator.signing import KEY_ENV, ROLES, Signer, SigningPolicy, signer_for
from orchestrator.signing.allowed import Stamp, matches, parse_line


def test_a_role_given_to_others_is_refused_naming_the_role_and_who_holds_it():
    policy = SigningPolicy(roles={"accept-release": ("bob",), "force-rollback": ()})
    policy.authorize("accept-release", "bob")
    policy.authorize("approve-plan", "eve")  # not listed: anyone's
    with pytest.raises(Refused) as caught:
        policy.authorize("accept-release", "ann")
    assert str(caught.value) == "ann may not accept-release on this site (signing.roles.accept-release: bob)"
    with pytest.raises(Refused, match=r"\(signing.roles.force-rollback: nobody\)"):
        policy.authorize("force-rollback", "bob")
    with pytest.raises(ValueError, match="not a role"):
        policy.authorize("approve", "bob")
    assert not policy.enabled() and len(ROLES) == 8


def test_the_signing_key_is_the_option_then_the_environment_then_the_labs_key(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    (tmp_path / "ann").write_text("key")
    lab = SigningPolicy(keys=tmp_path)
    assert signer_for(lab, tmp_path / "mine", "ann") == Signer(tmp_path / "mine")
    assert signer_for(lab, None, "ann") == Signer(tmp_path / "ann")
    assert signer_for(lab, None, "bob") is None and signer_for(lab, None, None) is None
    assert signer_for(lab, None, "../ann") is None and signer_for(SigningPolicy(), None, "ann") is None
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "env"))
    assert signer_for(lab, None, "ann") == Signer(tmp_path / "env")


def test_allowed_signers_lines_are_read_as_ssh_keygen_reads_them():
    entry = parse_line('"ann,ann@logius.example" namespaces="logius-migrate,x-*",'
                       'valid-before="202611301200Z" ssh-ed25519 AAAAC3 ann@laptop', 4)
    assert entry.principals == ("ann", "ann@logius.example") and entry.public_key == "ssh-ed25519 AAAAC3"
    assert entry.allows("logius-migrate") and entry.allows("x-y") and not entry.allows("file")
    assert entry.valid_before == Stamp("202611301200Z", 1796040000.0)
    assert entry.valid_before.shown() == "2026-11-30 12:00 UTC"
    assert parse_line("bob ssh-ed25519 AAAA").namespaces is None
    assert matches(("*", "!eve"), "ann") and not matches(("*", "!eve"), "eve")
    for line, why in (('ann valid-before=20261130 ssh-ed25519 AAAA', "in double quotes"),
                      ('ann valid-before="2026113" ssh-ed25519 AAAA', "a time is YYYYMMDD"),
                      ('ann valid-before="20261331" ssh-ed25519 AAAA', "no such date"),
                      ('ann restrict ssh-ed25519 AAAA', "unknown option restrict"),
                      ('ann ssh-ed25519', r"principals \[options\] key-type"),
                      ('ann namespaces="x ssh-ed25519 AAAA', "not closed")):
        with pytest.raises(ValueError, match=why):
            parse_line(line)
