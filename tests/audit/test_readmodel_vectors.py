"""docs/vectors/readmodels.json: a replay gives the listed documents and digests, and so does the auditor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit import audit
from events import decode_record
from events.bundle import BundleHead, write_bundle
from events.readmodel import COLLECTIONS, state_digest, state_digest_v2
from events.readmodel.memory import replay
from tests.events.test_vectors import untag

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors"
CASES = json.loads((VECTORS / "readmodels.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_replay_and_audit_give_the_vector_documents_and_digest(case: dict, tmp_path) -> None:
    events = [decode_record(bytes.fromhex(r)) for r in case["records"]]
    view = replay(events)
    got = [(p.collection, p.key.hex(), p.author.hex(), p.ref, p.doc) for c in COLLECTIONS for p in view.scan(c)]
    want = [(d["collection"], d["key"], d["author"], untag(d["ref"]), untag(d["doc"])) for d in case["documents"]]
    assert got == want
    assert state_digest(view) == case["state_digest_v1"] and state_digest_v2(view) == case["state_digest_v2"]
    path = tmp_path / "b"
    path.write_bytes(b"".join(write_bundle(BundleHead("vectors", 0), events[::-1])))  # item order does not matter
    report = audit(str(path), workers=1, digest_v1=True)
    assert report.digest == case["state_digest_v2"] and report.digest_v1 == case["state_digest_v1"]
