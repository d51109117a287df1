"""docs/vectors/reconcile.json (written by tools/make_vectors.py): item hashes, fingerprints, ranges, message bytes,
rejected messages and a whole session, checked against protocol/ranges.py, recon_messages.py and reconcile.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from events import ChainHead
from protocol import MessageError, decode_message, encode_message
from protocol.ranges import KeyRange, SortedHeads, fingerprint_of, forked_digest, item_hash, item_id
from protocol.recon_messages import Reconcile, ReconcileReply
from protocol.reconcile import Reconciliation, answer_reconcile

DOC = json.loads((Path(__file__).resolve().parents[2] / "docs" / "vectors" / "reconcile.json").read_text())


def head(e: dict) -> ChainHead:
    return ChainHead(bytes.fromhex(e["author"]), e["seq"], bytes.fromhex(e["head"]), 0)


@pytest.mark.parametrize("case", DOC["item_hashes"], ids=lambda c: c["hash"][:12])
def test_item_hash_and_id(case):
    h = head(case)
    assert item_hash(h.author, h.seq, h.id).to_bytes(32, "big").hex() == case["hash"]
    assert item_id(h).hex() == case["id"] == case["hash"][:16]


@pytest.mark.parametrize("case", DOC["fingerprints"], ids=lambda c: str(c["count"]))
def test_fingerprint(case):
    fp = fingerprint_of([head(e) for e in case["entries"]])
    assert (fp.count, fp.total.to_bytes(32, "big").hex(), fp.digest.hex()) == (case["count"], case["sum"], case["digest"])


def test_forked_digests():
    for case in DOC["forked_digests"]:
        assert forked_digest([bytes.fromhex(a) for a in case["authors"]]).hex() == case["digest"]


@pytest.mark.parametrize("case", DOC["ranges"], ids=lambda c: str(c["bits"]))
def test_ranges(case):
    r = KeyRange(case["bits"], bytes.fromhex(case["prefix"]))
    assert r.lo.hex() == case["lo"] and (None if r.hi is None else r.hi.hex()) == case["hi"]
    assert [c.prefix.hex() for c in r.children()] == case["children"]


@pytest.mark.parametrize("name", sorted(DOC["messages"]))
def test_messages_round_trip(name):
    data = bytes.fromhex(DOC["messages"][name])
    message = decode_message(data, (Reconcile, ReconcileReply))
    assert encode_message(message) == data


@pytest.mark.parametrize("case", DOC["invalid"], ids=lambda c: c["name"])
def test_invalid_messages(case):
    with pytest.raises(MessageError) as exc:
        decode_message(bytes.fromhex(case["hex"]))
    assert (type(exc.value).__name__, exc.value.code, exc.value.field) == (case["error"], case["code"], case["field"])


async def test_the_session_replays_byte_for_byte():
    s = DOC["session"]
    ours, theirs = SortedHeads(map(head, s["initiator"])), SortedHeads(map(head, s["responder"]))
    forked_theirs = [bytes.fromhex(a) for a in s["responder_forked"]]
    steps = iter(s["steps"])

    async def send(request: Reconcile) -> ReconcileReply:
        step = next(steps)
        assert encode_message(request).hex() == step["request"]
        # The responder's answer is a function of the request bytes and its set: check it from the recorded request.
        reply = await answer_reconcile(theirs, decode_message(bytes.fromhex(step["request"]), Reconcile), forked_theirs)
        assert encode_message(reply).hex() == step["reply"]
        return decode_message(bytes.fromhex(step["reply"]), ReconcileReply)

    outcome = await Reconciliation(ours, [bytes.fromhex(a) for a in s["initiator_forked"]], lacks=True).run(send)
    assert next(steps, None) is None and outcome.complete
    assert [{"author": e.author.hex(), "seq": e.seq, "head": e.head.hex()} for e in outcome.theirs] == s["theirs"]
    assert sorted(h.author.hex() for h in outcome.peer_lacks) == sorted(e["author"] for e in s["peer_lacks"])
    assert [a.hex() for a in outcome.forked or ()] == s["forked"]
