"""The golden vectors of reconciliation (docs/PROTOCOL.md §15), written by tools/make_vectors.py to reconcile.json.

Deterministic: authors and head ids are SHA-256 of fixed strings; a cluster of authors shares a 20-bit prefix so
that the sample session splits below the 12-bit bucket level. The session is the reference initiator's
(protocol.reconcile.Reconciliation) against the reference responder (answer_reconcile), message by message.
"""

from __future__ import annotations

import asyncio
import hashlib

from events import ChainHead
from protocol import MessageError, decode_message, encode_message
from protocol.message_types import FrontierEntry
from protocol.ranges import KeyRange, SortedHeads, fingerprint_of, forked_digest, item_hash, item_id
from protocol.recon_messages import ITEMS, SAME, SPLIT, RangeCheck, RangeResult, Reconcile, ReconcileReply
from protocol.reconcile import Reconciliation, answer_reconcile


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def author(n: int) -> bytes:
    """Author n; authors 100.. share the 20-bit prefix ab cd e."""
    key = _h(f"solnet recon vector author {n}")
    return bytes([0xAB, 0xCD, 0xE0 | key[2] & 0x0F]) + key[3:] if n >= 100 else key


def head(n: int, seq: int) -> ChainHead:
    return ChainHead(author(n), seq, _h(f"solnet recon vector head {n} {seq}"), 0)


def entry_json(h: ChainHead) -> dict:
    return {"author": h.author.hex(), "seq": h.seq, "head": h.id.hex()}


def sets() -> tuple[list[ChainHead], list[ChainHead]]:
    """Return (initiator's, responder's) frontiers: shared entries, newer heads on each side, entries on one side only."""
    shared = [head(n, 1) for n in range(30)] + [head(n, 1) for n in range(100, 140)]
    moved = {author(n) for n in (121, 122, 123)}
    ours = [h for h in shared if h.author not in moved] + [head(n, 2) for n in (121, 122, 123)]
    ours += [head(n, 1) for n in range(30, 34)]
    theirs = [h for h in shared if h.author not in {author(5), author(110)}] + [head(5, 3), head(110, 2)]
    theirs += [head(n, 1) for n in range(40, 46)] + [head(n, 1) for n in range(140, 144)]
    return ours, theirs


def session(ours: list[ChainHead], theirs: list[ChainHead], forked_ours: list[bytes], forked_theirs: list[bytes]) -> dict:
    """Run the reference initiator against the reference responder; return the transcript and the outcome."""

    async def run() -> dict:
        mine, peer = SortedHeads(ours), SortedHeads(theirs)
        steps = []

        async def send(request: Reconcile) -> ReconcileReply:
            reply = await answer_reconcile(peer, request, forked_theirs)
            steps.append({"request": encode_message(request).hex(), "reply": encode_message(reply).hex()})
            return reply

        outcome = await Reconciliation(mine, forked_ours, lacks=True).run(send)
        assert outcome.complete
        return {
            "initiator": [entry_json(h) for h in ours],
            "responder": [entry_json(h) for h in theirs],
            "initiator_forked": [a.hex() for a in forked_ours],
            "responder_forked": [a.hex() for a in forked_theirs],
            "steps": steps,
            "theirs": [{"author": e.author.hex(), "seq": e.seq, "head": e.head.hex()} for e in outcome.theirs],
            "peer_lacks": [entry_json(h) for h in outcome.peer_lacks],
            "forked": None if outcome.forked is None else [a.hex() for a in outcome.forked],
        }

    return asyncio.run(run())


def invalid(name: str, value: list, field: str) -> dict:
    from events.canonical import pack

    data = pack(value)
    try:
        decode_message(data)
    except MessageError as exc:
        assert exc.field == field, (name, exc.field, field)
        return {"name": name, "hex": data.hex(), "error": type(exc).__name__, "code": exc.code, "field": field}
    raise AssertionError(f"{name} decoded")


def reconcile_vectors() -> dict:
    """Return the content of docs/vectors/reconcile.json."""
    ours, theirs = sets()
    samples = [head(0, 1), head(1, 7), head(100, 1)]
    d16 = bytes(range(16))
    root_fp = fingerprint_of(ours)
    messages = {
        "reconcile_root": Reconcile((RangeCheck(KeyRange.root(), root_fp.count, root_fp.digest),), forked_digest([])),
        "reconcile_ids": Reconcile(
            (
                RangeCheck(KeyRange(4, b"\x10"), 3, d16),
                RangeCheck(KeyRange(12, b"\xab\xc0"), 2, ids=tuple(sorted(item_id(h) for h in samples[:2]))),
            )
        ),
        "reply_same_split_items": ReconcileReply(
            (
                RangeResult(SAME),
                RangeResult(SPLIT, tuple((k, d16) for k in range(16))),
                RangeResult(ITEMS, entries=(FrontierEntry(samples[0].author, 1, samples[0].id),), missing=b"\x02"),
            ),
            forked=(author(7),),
        ),
    }
    for msg in messages.values():
        assert decode_message(encode_message(msg)) == msg
    k = author(1)
    return {
        "item_hashes": [
            {**entry_json(h), "hash": item_hash(h.author, h.seq, h.id).to_bytes(32, "big").hex(), "id": item_id(h).hex()}
            for h in samples
        ],
        "fingerprints": [
            {
                "entries": [entry_json(h) for h in hs],
                "count": fp.count,
                "sum": fp.total.to_bytes(32, "big").hex(),
                "digest": fp.digest.hex(),
            }
            for hs in ([], samples[:1], samples)
            for fp in [fingerprint_of(hs)]
        ],
        "forked_digests": [
            {"authors": [a.hex() for a in authors], "digest": forked_digest(authors).hex()} for authors in ([], [k, author(2)])
        ],
        "ranges": [
            {
                "bits": r.bits,
                "prefix": r.prefix.hex(),
                "lo": r.lo.hex(),
                "hi": None if r.hi is None else r.hi.hex(),
                "children": [c.prefix.hex() for c in r.children()],
            }
            for r in (KeyRange.root(), KeyRange(4, b"\xf0"), KeyRange(12, b"\xab\xc0"), KeyRange(252, b"\x11" * 31 + b"\x20"))
        ],
        "messages": {name: encode_message(msg).hex() for name, msg in messages.items()},
        "invalid": [
            invalid("overlapping ranges", [11, [[4, b"\x10", 0, d16], [8, b"\x1f", 0, d16]], None], "ranges"),
            invalid("prefix with its unused nibble set", [11, [[4, b"\x11", 0, d16]], None], "prefix"),
            invalid("bits not a multiple of 4", [11, [[6, b"\x10", 0, d16]], None], "prefix"),
            invalid("no ranges", [11, [], None], "ranges"),
            invalid("digest of 15 bytes", [11, [[0, b"", 0, d16[:15]]], None], "digest"),
            invalid("ids not ascending", [11, [[0, b"", b"\x02" * 8 + b"\x01" * 8]], None], "ids"),
            invalid("ids not a whole number of ids", [11, [[0, b"", b"\x01" * 9]], None], "ids"),
            invalid("split of 15 children", [12, [[1, [[0, d16]] * 15]], None], "children"),
            invalid("unknown mode", [12, [[3]], None], "mode"),
            invalid("items not ascending", [12, [[2, [[k, 1, k], [author(0), 1, k]], b""]], None], "entries")
            if author(0) < k
            else invalid("items not ascending", [12, [[2, [[author(0), 1, k], [k, 1, k]], b""]], None], "entries"),
            invalid("missing bitmap too long", [12, [[2, [], bytes(9)]], None], "missing"),
            invalid("no results", [12, [], None], "results"),
        ],
        "session": session(ours, theirs, [author(3)], [author(3), author(41)]),
    }
