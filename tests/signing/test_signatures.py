"""Signatures with OpenSSH itself: a statement signed by an allowed principal verifies and names
them; every other case is refused in one line that says why."""

from __future__ import annotations

import calendar
import time

import pytest

from orchestrator.signing import (
    CHECKPOINT_NAMESPACE,
    SignatureRefused,
    Signer,
    SigningPolicy,
    key_standing,
    sign,
    verify,
)
from orchestrator.signing.statements import statement
from tests.signing.conftest import allowed_signers, policy, public

TEXT = statement("plan-approval", "plan 3", "bob", 1764700000.25, "looks right", {"plan": "ab" * 32})
NOV_30 = float(calendar.timegm((2026, 11, 30, 0, 0, 0)))


def refusal(text, signature, site, **options) -> str:
    with pytest.raises(SignatureRefused) as caught:
        verify(text, signature, site, **options)
    reason = str(caught.value)
    assert "\n" not in reason and caught.value.problems == [reason] and caught.value.exit_code == 2
    return reason


def test_a_statement_signed_by_an_allowed_principal_verifies_and_names_them(tmp_path, keys):
    signature = sign(TEXT, Signer(keys["bob"]))
    assert signature.startswith("-----BEGIN SSH SIGNATURE-----")
    assert verify(TEXT, signature, policy(tmp_path, keys)) == "bob"


def test_a_key_not_in_allowed_signers_is_refused(tmp_path, keys):
    reason = refusal(TEXT, sign(TEXT, Signer(keys["eve"])), policy(tmp_path, keys))
    assert reason.startswith("key SHA256:") and "is not in the allowed signers" in reason
    assert str(tmp_path / "allowed_signers") in reason


def test_a_signature_in_another_namespace_is_refused_naming_both(tmp_path, keys):
    signature = sign(TEXT, Signer(keys["ann"]), CHECKPOINT_NAMESPACE)
    assert refusal(TEXT, signature, policy(tmp_path, keys)) == (
        "signed in namespace 'logius-migrate-checkpoint', not 'logius-migrate': a signature for "
        "something else")


def test_a_key_not_allowed_the_namespace_is_refused_naming_what_it_may(tmp_path, keys):
    site = policy(tmp_path, keys, ann='namespaces="file"')
    signature = sign(TEXT, Signer(keys["ann"]))
    assert refusal(TEXT, signature, site) == (
        f"the key of ann may not sign in namespace 'logius-migrate' ({site.allowed_signers}:2 allows "
        f'namespaces="file")')


def test_a_key_expired_by_valid_before_is_refused_naming_the_date(tmp_path, keys):
    site = policy(tmp_path, keys, bob='namespaces="logius-migrate",valid-before="20261130Z"')
    signature = sign(TEXT, Signer(keys["bob"]))
    reason = refusal(TEXT, signature, site, at=NOV_30 + 86400)
    assert reason == (f"the key of bob expired 2026-11-30 ({site.allowed_signers}:3 valid-before), "
                      f"before 2026-12-01 00:00:00 UTC")
    assert key_standing(site, signature, now=NOV_30 + 86400) == "expired 2026-11-30"
    assert refusal(TEXT, signature, site).startswith("the key of bob expired 2026-11-30 (")  # at now


def test_verified_at_its_own_time_a_signature_of_a_key_expired_since_is_accepted(tmp_path, keys):
    site = policy(tmp_path, keys, bob='namespaces="logius-migrate",valid-before="20261130Z"')
    signature = sign(TEXT, Signer(keys["bob"]))
    assert verify(TEXT, signature, site, at=NOV_30 - 3600) == "bob"
    assert key_standing(site, signature, now=NOV_30 - 3600) is None
    assert key_standing(site, signature, now=time.time()) == "expired 2026-11-30"  # today's `date` is later


def test_a_key_not_yet_valid_is_refused(tmp_path, keys):
    site = policy(tmp_path, keys, ann='valid-after="20261201"')
    signature = sign(TEXT, Signer(keys["ann"]))
    reason = refusal(TEXT, signature, site, at=NOV_30 - 86400)
    assert reason.startswith("the key of ann is not valid until 2026-12-01 (") and "valid-after" in reason


@pytest.mark.parametrize("form", ["public keys", "KRL"])
def test_a_revoked_key_is_refused_and_reported(tmp_path, keys, form):
    import subprocess

    revoked = tmp_path / "revoked_keys"
    if form == "KRL":
        subprocess.run(["ssh-keygen", "-q", "-k", "-f", str(revoked), str(keys["ann"].with_suffix(".pub"))],
                       check=True, capture_output=True)
    else:
        revoked.write_text(f"# gone\n{public(keys['ann'])} ann\n")
    site = SigningPolicy(allowed_signers=allowed_signers(tmp_path, keys), revoked=revoked)
    signature = sign(TEXT, Signer(keys["ann"]))
    assert refusal(TEXT, signature, site).startswith("the key of ann (SHA256:")
    assert refusal(TEXT, signature, site).endswith(f") is revoked ({revoked})")
    assert key_standing(site, signature) == "revoked"
    assert verify(TEXT, sign(TEXT, Signer(keys["bob"])), site) == "bob"  # ssh-keygen -r takes the list


def test_a_statement_changed_after_signing_is_refused(tmp_path, keys):
    signature = sign(TEXT, Signer(keys["bob"]))
    changed = TEXT.replace('"bob"', '"eve"')
    reason = refusal(changed, signature, policy(tmp_path, keys))
    assert reason.startswith("bad signature by bob (key SHA256:") and reason.endswith(
        "the text is not what was signed")


def test_what_is_no_signature_is_refused_and_a_site_without_signers_verifies_none(tmp_path, keys):
    site = policy(tmp_path, keys)
    assert refusal(TEXT, "not a signature", site) == "not an SSH signature: not an armored SSH signature"
    armored = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n"
    assert refusal(TEXT, armored, site) == "not an SSH signature: the SSHSIG is cut short"
    assert "no signing block" in refusal(TEXT, sign(TEXT, Signer(keys["ann"])), SigningPolicy())
    assert key_standing(SigningPolicy(), armored) is None and key_standing(site, armored) == \
        "not an SSH signature"


def test_a_key_dropped_from_allowed_signers_no_longer_stands(tmp_path, keys):
    signature = sign(TEXT, Signer(keys["eve"]))
    assert key_standing(policy(tmp_path, keys), signature) == "not in allowed_signers"


def test_a_public_key_signs_with_its_private_half_in_ssh_agent(tmp_path, keys, monkeypatch):
    import subprocess

    socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if socket.exists():
                break
            time.sleep(0.02)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        subprocess.run(["ssh-add", "-q", str(keys["ann"])], check=True, capture_output=True)
        signature = sign(TEXT, Signer(keys["ann"].with_suffix(".pub")))
    finally:
        agent.terminate()
        agent.wait(10)
    assert verify(TEXT, signature, policy(tmp_path, keys)) == "ann"


def test_no_key_or_one_ssh_keygen_cannot_use_is_named(tmp_path, keys):
    from orchestrator.errors import InputError

    with pytest.raises(InputError, match=r"^.*/nope: no signing key here \(give --sign-with KEY"):
        sign(TEXT, Signer(tmp_path / "nope"))
    junk = tmp_path / "junk"
    junk.write_text("not a key\n")
    junk.chmod(0o600)
    with pytest.raises(InputError, match=r"junk: ssh-keygen could not sign with it: "):
        sign(TEXT, Signer(junk))
