"""The state digest: its entries and its hash are the byte stream docs/KINDS.md specifies, however they are fed."""

from __future__ import annotations

import hashlib

import msgpack

from events.readmodel.digest import DIGEST_PREFIX, digest_entry, digest_of, state_digest
from events.readmodel.memory import MemoryView
from events.readmodel.projection import COLLECTIONS
from events.readmodel.view import Put

PUTS = [
    Put("groups", b"\x01" * 32, b"\x01" * 32, None, {"name": "a", "since": 3}),
    Put("callouts", b"\x02" * 32, b"\x01" * 32, b"\x03" * 32, {"title": "t", "needs": ["people"], "open": True}),
    Put("positions", b"\x04" * 64, b"\x01" * 32, b"\x05" * 32, {"position": "for"}),
    Put("reports", b"\x00" * 32, b"\x06" * 32, b"\x07" * 5, {"b": 1, "a": -2}),
]


def spec_entry(put: Put) -> bytes:
    """The canonical msgpack of [collection, key, author, ref, doc], written from the spec (map keys in bytewise order)."""
    doc = dict(sorted(put.doc.items(), key=lambda kv: kv[0].encode()))
    return msgpack.packb([put.collection, put.key, put.author, put.ref, doc], use_bin_type=True)


def test_an_entry_is_the_canonical_array_of_the_document() -> None:
    for put in PUTS:
        assert digest_entry(put) == spec_entry(put)


def test_the_digest_is_the_spec_stream_whatever_the_pieces() -> None:
    view = MemoryView()
    view.apply(PUTS)
    forked = [b"\x09" * 32, b"\x08" * 32, b"\x09" * 32]
    ordered = [p for c in COLLECTIONS for p in sorted((p for p in PUTS if p.collection == c), key=lambda p: p.key)]
    stream = DIGEST_PREFIX + b"".join(spec_entry(p) for p in ordered)
    stream += msgpack.packb(["forked", [b"\x08" * 32, b"\x09" * 32]], use_bin_type=True)
    expected = hashlib.sha256(stream).hexdigest()
    assert state_digest(view, forked) == expected
    body = b"".join(digest_entry(p) for p in ordered)
    assert digest_of([body[i : i + 7] for i in range(0, len(body), 7)], forked) == expected
