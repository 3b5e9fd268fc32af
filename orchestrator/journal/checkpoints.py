"""Checkpoints of the chain: its size and root (the hash of its last record) at a moment, as a note
in the shape of a C2SP checkpoint, signed with SSH when the site has a signer.

The note is ``logius-migrate/<site name>``, the size, the root in base64, a blank line, then one
signature line ``— <principal> <base64 SSHSIG>`` (the SSH signature, in the namespace
``logius-migrate-checkpoint``, of the three lines above the blank one). An unsigned checkpoint has no
signature line: it still catches records removed from the end of the chain, but not a keeper who
rewrites the checkpoint with them. `journal verify` checks every checkpoint: its root is the
chain's hash at its size, and one larger than the chain says the last records were removed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from orchestrator import clock
from orchestrator.journal import chain, schema
from orchestrator.journal.rows import inserted_id

if TYPE_CHECKING:
    from orchestrator.journal.chain_verify import ChainReport, Finding
    from orchestrator.journal.store import Journal

ORIGIN = "logius-migrate/"
NAMESPACE = "logius-migrate-checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    id: int
    size: int
    root: str
    note: str
    signature: str | None
    principal: str | None
    wave: int | None
    at: float

    @property
    def body(self) -> str:
        """What the signature covers: the note up to its blank line."""
        return self.note.split("\n\n", 1)[0] + "\n"


def body(site_name: str, size: int, root: str) -> str:
    """The note's text before its signatures: origin, size, root (base64 of the 32 bytes)."""
    return f"{ORIGIN}{site_name}\n{size}\n{base64.b64encode(bytes.fromhex(root)).decode()}\n"


def signature_line(principal: str, signature: str) -> str:
    """``— principal BASE64``: the armored SSH signature's base64 on one line."""
    inner = "".join(line.strip() for line in signature.strip().splitlines()[1:-1])
    return f"\u2014 {principal} {inner}\n"


def write(journal: Journal, site_name: str, signer: Any = None, policy: Any = None,
          wave: int | None = None) -> Checkpoint:
    """A checkpoint of the chain as it stands, signed by ``signer`` (and the signature verified
    against ``policy`` when it names allowed signers: its principal is recorded)."""
    with journal.engine.begin() as connection:
        chain.write_lock(connection)
        head = connection.execute(select(schema.chain.c.seq, schema.chain.c.hash).order_by(
            schema.chain.c.seq.desc()).limit(1)).first()
        size, root = (head.seq, head.hash) if head else (0, chain.GENESIS)
        text = body(site_name, size, root)
        signature, principal = _sign(text, signer, policy)
        note = text + "\n" + (signature_line(principal or "unverified", signature) if signature else "")
        result = connection.execute(insert(schema.checkpoints).values(
            size=size, root=root, note=note, signature=signature, principal=principal, wave=wave,
            at=clock.timestamp()))
        number = inserted_id(result)
    return next(point for point in every(journal) if point.id == number)


def _sign(text: str, signer: Any, policy: Any) -> tuple[str | None, str | None]:
    if signer is None:
        return None, None
    from orchestrator import signing

    signature = signing.sign(text, signer, NAMESPACE)
    if policy is not None and policy.enabled():
        return signature, signing.verify(text, signature, policy, namespace=NAMESPACE)
    return signature, None


def every(journal: Journal) -> list[Checkpoint]:
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.checkpoints).order_by(schema.checkpoints.c.id))
        return [Checkpoint(**row._mapping) for row in rows]


def sizes(connection: Any) -> set[int]:
    return set(connection.execute(select(schema.checkpoints.c.size)).scalars())


def check(connection: Any, report: ChainReport) -> None:
    """Add to ``report`` what each checkpoint contradicts: a root that is not the chain's hash at
    its size, a size past the chain's end (the last records removed), a note that is not its row."""
    from orchestrator.journal.chain_verify import Finding

    for row in connection.execute(select(schema.checkpoints).order_by(schema.checkpoints.c.id)):
        point = Checkpoint(**row._mapping)
        report.checkpoints += 1
        problem = _problem(point, report)
        if problem:
            seq = min(point.size, report.size + 1)
            report.findings.append(Finding("checkpoint", seq, "checkpoints", str(point.id), problem))


def _problem(point: Checkpoint, report: ChainReport) -> str | None:
    lines = point.note.split("\n")
    name = f"checkpoint {point.id} (size {point.size}"
    if len(lines) < 4 or lines[1] != str(point.size) or not lines[0].startswith(ORIGIN) or \
            lines[2] != base64.b64encode(bytes.fromhex(point.root)).decode():
        return f"{name}): its note does not say its size and root"
    if point.size > report.size:
        gone = point.size - report.size
        return (f"{name}) covers {point.size} records but the chain has {report.size}: the last "
                f"{gone} record(s) were removed")
    if point.size and report.hashes.get(point.size) != point.root:
        return f"{name}): the chain's hash at record {point.size} is not its root: the chain was rewritten"
    return None


def signature_findings(journal: Journal, policy: Any) -> list[Finding]:
    """Every signed checkpoint's signature verified against ``policy`` (a site that verifies no
    signatures: none checked); each one that does not verify, one line."""
    from orchestrator.journal.chain_verify import Finding

    if policy is None or not policy.enabled():
        return []
    from orchestrator import signing

    found = []
    for point in every(journal):
        if point.signature is None:
            continue
        try:
            principal = signing.verify(point.body, point.signature, policy, at=point.at, namespace=NAMESPACE)
        except signing.SignatureRefused as exc:
            found.append(Finding("checkpoint", point.size, "checkpoints", str(point.id),
                                 f"checkpoint {point.id}: its signature does not verify: {exc}"))
            continue
        if point.principal and principal != point.principal:
            found.append(Finding("checkpoint", point.size, "checkpoints", str(point.id),
                                 f"checkpoint {point.id} names {point.principal} but {principal} signed it"))
    return found
