#!/usr/bin/env python3
"""Check a logius-migrate audit bundle offline: Python's standard library and OpenSSH only.

    python3 verify.py [BUNDLE]        (BUNDLE: the folder holding this file, by default)

It recomputes the hash chain from records.jsonl, checks each row's content against its newest
record's digest, each checkpoint's root against the chain (and its SSH signature with `ssh-keygen
-Y verify` against allowed_signers), and each decision's signature over its statement. Exit 0 when
everything holds, 1 when anything does not (each problem one line), 2 when the bundle is unreadable.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

GENESIS = "0" * 64
CHECKPOINT_NAMESPACE = "logius-migrate-checkpoint"
DECISION_NAMESPACE = "logius-migrate"
ORIGIN = "logius-migrate/"


def canonical(row):
    """The row's canonical JSON: columns sorted, null columns left out, no spaces."""
    kept = {name: value for name, value in row.items() if value is not None}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))


def digest(row):
    text = "null" if row is None else canonical(row)
    return hashlib.sha256(text.encode()).hexdigest()


def link(prev, seq, tbl, row_key, op, row_digest):
    return hashlib.sha256(f"{prev} {seq} {tbl} {op} {row_digest} {row_key}".encode()).hexdigest()


def check_chain(path, problems):
    """Every record's link and hash; each row's content against its digest. Returns (size, the
    hash at each seq)."""
    prev, expected, hashes, newest = GENESIS, 1, {}, {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            seq = record["seq"]
            fields = (record["tbl"], record["row_key"], record["op"], record["digest"])
            if seq != expected:
                problems.append(f"records.jsonl line {number}: record {expected} is missing (next is {seq})")
            elif record["prev"] != prev:
                problems.append(f"record {seq} ({fields[0]} {fields[1]}): does not link to record {seq - 1}")
            elif link(record["prev"], seq, *fields) != record["hash"]:
                problems.append(f"record {seq} ({fields[0]} {fields[1]}): its hash does not match it")
            if "row" in record and digest(record["row"]) != record["digest"]:
                problems.append(f"record {seq}: the row {fields[0]} {fields[1]} differs from its digest")
            newest[fields[:2]] = record
            prev, expected, hashes[seq] = record["hash"], seq + 1, record["hash"]
    for (tbl, key), record in sorted(newest.items()):
        if record["op"] != "delete" and "row" not in record:
            problems.append(f"record {record['seq']}: the row {tbl} {key} is not in the bundle")
    return expected - 1, hashes


def keygen_verify(text, signature, principal, namespace, allowed, at):
    """Whether `ssh-keygen -Y verify` accepts ``signature`` of ``text`` by ``principal``."""
    folder = tempfile.mkdtemp()
    try:
        sig = os.path.join(folder, "sig")
        with open(sig, "w") as out:
            out.write(signature)
        stamp = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(int(at)))
        done = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", allowed, "-I", principal, "-n", namespace,
                               "-s", sig, f"-Overify-time={stamp}"], input=text.encode(),
                              capture_output=True)
        return done.returncode == 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_checkpoints(points, size, hashes, allowed, problems):
    for point in points:
        name = f"checkpoint {point['id']} (size {point['size']})"
        lines = point["note"].split("\n")
        root64 = base64.b64encode(bytes.fromhex(point["root"])).decode()
        said = lines[1:3] == [str(point["size"]), root64] and lines[0].startswith(ORIGIN)
        if len(lines) < 4 or not said:
            problems.append(f"{name}: its note does not say its size and root")
        elif point["size"] > size:
            problems.append(f"{name}: covers {point['size']} records but the bundle has {size}: the last "
                            f"{point['size'] - size} record(s) were removed")
        elif point["size"] and hashes.get(point["size"]) != point["root"]:
            problems.append(f"{name}: the chain's hash at record {point['size']} is not its root")
        if point.get("signature"):
            body = point["note"].split("\n\n", 1)[0] + "\n"
            check_signature(name, body, point, CHECKPOINT_NAMESPACE, allowed, problems)


def check_signature(name, text, item, namespace, allowed, problems):
    if allowed is None:
        problems.append(f"{name} is signed but the bundle has no allowed_signers to verify it with")
    elif not item.get("principal"):
        problems.append(f"{name} is signed but names no principal")
    elif not keygen_verify(text, item["signature"], item["principal"], namespace, allowed, item["at"]):
        problems.append(f"{name}: the signature of {item['principal']} does not verify "
                        f"(ssh-keygen -Y verify)")


def main(argv):
    bundle = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    problems = []
    try:
        with open(os.path.join(bundle, "manifest.json"), encoding="utf-8") as handle:
            manifest = json.load(handle)
        with open(os.path.join(bundle, "checkpoints.json"), encoding="utf-8") as handle:
            points = json.load(handle)
        with open(os.path.join(bundle, "decisions.json"), encoding="utf-8") as handle:
            decisions = json.load(handle)
        size, hashes = check_chain(os.path.join(bundle, "records.jsonl"), problems)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {bundle}: not a readable audit bundle: {exc}", file=sys.stderr)
        return 2
    allowed = os.path.join(bundle, "allowed_signers")
    allowed = allowed if os.path.isfile(allowed) else None
    check_checkpoints(points, size, hashes, allowed, problems)
    for decision in decisions:
        if decision.get("signature"):
            check_signature(f"decision {decision['id']} ({decision['kind']} {decision['subject']})",
                            decision["statement"], decision, DECISION_NAMESPACE, allowed, problems)
    if size != manifest.get("records") or hashes.get(size, GENESIS) != manifest.get("head"):
        problems.append(f"manifest.json says {manifest.get('records')} records, head {manifest.get('head')}; "
                        f"the bundle has {size}")
    for problem in problems:
        print(f"NOT VERIFIED: {problem}")
    signed = sum(1 for p in points if p.get("signature"))
    print(f"{manifest.get('site')}: {size} records, {len(points)} checkpoint(s) ({signed} signed), "
          f"{len(decisions)} decision(s): " + ("NOT intact" if problems else "intact"))
    if manifest.get("chained_since"):
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(manifest["chained_since"]))
        print(f"note: history before {when} was chained at the upgrade; changes before then cannot "
              f"be detected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
