"""The state digest: its entries and its hash are the byte stream docs/KINDS.md specifies, however they are fed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.canonical import pack
from events.readmodel.digest import (
    DIGEST_PREFIX,
    GroupHasher,
    combine_groups,
    digest_entry,
    digest_of,
    entry_hash,
    group_digests,
    pack_document,
    state_digest,
    state_digest_v2,
)
from events.readmodel.memory import MemoryView
from events.readmodel.projection import COLLECTIONS
from events.readmodel.view import Put
from tests.events.test_vectors import untag

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


# Version 2: group digests per author, combined (docs/KINDS.md, "State digest", version 2)


def spec_v2(puts: list[Put], forked: list[bytes]) -> tuple[dict[bytes, bytes], str]:
    """Group digests and the version-2 digest, written from the spec with hashlib and msgpack only."""
    final = {(p.collection, p.key): p for p in puts}
    groups: dict[bytes, hashlib._Hash] = {}
    for collection in COLLECTIONS:
        for key in sorted(k for c, k in final if c == collection):
            put = final[(collection, key)]
            h = groups.setdefault(put.author, hashlib.sha256(b"solnet/group/v2\x00" + msgpack.packb(put.author)))
            h.update(hashlib.sha256(spec_entry(put)).digest())
    digests = {a: h.digest() for a, h in groups.items()}
    top = hashlib.sha256(b"solnet/state/v2\x00")
    for author in sorted(digests):
        top.update(msgpack.packb(author, use_bin_type=True) + digests[author])
    top.update(msgpack.packb(["forked", sorted(set(forked))], use_bin_type=True))
    return digests, top.hexdigest()


def test_version_2_is_the_spec_stream() -> None:
    view = MemoryView()
    view.apply(PUTS)
    forked = [b"\x09" * 32, b"\x08" * 32, b"\x09" * 32]
    groups, expected = spec_v2(PUTS, forked)
    assert state_digest_v2(view, forked) == expected
    assert dict(group_digests(view)) == groups
    assert combine_groups(sorted(groups.items()), forked) == expected
    assert expected != state_digest(view, forked)


def test_the_vectors_are_the_spec() -> None:
    doc = json.loads((Path(__file__).resolve().parents[3] / "docs" / "vectors" / "digest.json").read_text())
    puts = [
        Put(d["collection"], bytes.fromhex(d["key"]), bytes.fromhex(d["author"]), untag(d["ref"]), untag(d["doc"]))
        for d in doc["documents"]
    ]
    forked = [bytes.fromhex(k) for k in doc["forked"]]
    view = MemoryView()
    view.apply(puts)
    ordered = [p for c in COLLECTIONS for p in view.scan(c)]
    assert [(e["collection"], e["key"]) for e in doc["entries"]] == [(p.collection, p.key.hex()) for p in ordered]
    for e, put in zip(doc["entries"], ordered, strict=True):
        assert e["entry"] == spec_entry(put).hex() == digest_entry(put).hex()
        assert e["hash"] == hashlib.sha256(spec_entry(put)).hexdigest() == entry_hash(digest_entry(put)).hex()
    groups, v2 = spec_v2(puts, forked)
    assert doc["groups"] == [{"author": a.hex(), "digest": groups[a].hex()} for a in sorted(groups)]
    assert doc["groups"] == [{"author": a.hex(), "digest": d.hex()} for a, d in group_digests(view)]
    assert doc["state_digest_v2"] == v2 == state_digest_v2(view, forked)
    assert doc["state_digest_v1"] == state_digest(view, forked)
    assert doc["empty"] == {"state_digest_v1": state_digest(MemoryView()), "state_digest_v2": state_digest_v2(MemoryView())}


def test_groups_must_come_in_ascending_author_order_once() -> None:
    with pytest.raises(ValueError, match="ascending"):
        combine_groups([(b"\x02" * 32, b"\x00" * 32), (b"\x01" * 32, b"\x00" * 32)])
    with pytest.raises(ValueError, match="ascending"):
        combine_groups([(b"\x01" * 32, b"\x00" * 32), (b"\x01" * 32, b"\x00" * 32)])


_keys = st.binary(min_size=32, max_size=32)
_authors = st.sampled_from([bytes([n]) * 32 for n in range(1, 5)])
_puts = st.builds(
    Put,
    st.sampled_from(COLLECTIONS),
    st.sampled_from([bytes([n]) * 32 for n in range(8)]) | _keys,
    _authors,
    st.none() | _keys,
    st.dictionaries(st.sampled_from(["a", "b", "title"]), st.integers(-5, 5) | st.text(max_size=4), max_size=3),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_puts, max_size=20), st.randoms(use_true_random=False))
def test_version_2_depends_on_the_documents_not_on_the_order_they_were_written(puts: list[Put], rnd) -> None:
    # a key belongs to one author (the projection never moves a document to another author)
    owner: dict[tuple[str, bytes], bytes] = {}
    puts = [p for p in puts if owner.setdefault((p.collection, p.key), p.author) == p.author]
    final = {(p.collection, p.key): p for p in puts}
    in_order, shuffled = MemoryView(), MemoryView()
    in_order.apply(final.values())
    mixed = list(final.values())
    rnd.shuffle(mixed)
    shuffled.apply(mixed)
    _, expected = spec_v2(list(final.values()), [])
    assert state_digest_v2(in_order) == state_digest_v2(shuffled) == expected
    hasher = GroupHasher()
    for collection in COLLECTIONS:
        for put in shuffled.scan(collection):
            hasher.add(put.author, entry_hash(digest_entry(put)))
    assert combine_groups(hasher.digests()) == expected


# what a document made by `project` can hold: ints of the 64-bit range, text (any code point but lone surrogates),
# bytes, nil, bools, arrays and maps with text keys
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
    | st.binary(max_size=300)
)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=6), max_leaves=20
)


@settings(max_examples=100, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=10), _VALUES, max_size=10), ref=st.none() | st.binary(min_size=32, max_size=32))
def test_documents_pack_as_the_canonical_encoder_does(doc, ref):
    """pack_document (ormsgpack: stores and the auditor) writes pack's bytes for every value a document can hold."""
    assert pack_document(doc) == pack(doc)
    put = Put("reports", b"k" * 32, b"a" * 32, ref, doc)
    assert digest_entry(put).endswith(pack_document(doc))
