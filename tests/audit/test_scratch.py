"""The audit's scratch store: remembered ids across stored blocks, gets, scans and digest entries."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from audit.engine import merge_ranges
from audit.scratch import BLOCK, ScratchView
from audit.scratch import digest_entry as scratch_entry
from audit.spill import merged_entries, spill_group_digests
from events.readmodel.digest import digest_entry, digest_of, group_digests, state_digest
from events.readmodel.memory import MemoryView
from events.readmodel.projection import COLLECTIONS
from events.readmodel.view import Delete, Put


def _groups(spills) -> list[tuple[bytes, bytes]]:
    """The group digests of every spill (each holding its own authors), ascending by author."""
    return sorted(pair for spill in spills for pair in spill_group_digests(spill))


def _id(author: bytes, seq: int) -> bytes:
    return hashlib.sha256(author + seq.to_bytes(8, "big")).digest()


def test_stored_ids_are_found_by_author_and_seq(tmp_path):
    view = ScratchView(tmp_path / "s.sqlite")
    authors = [bytes([n]) * 32 for n in range(3)]
    for block in range(3):
        for author in authors:
            view.store_ids(author, block, b"".join(_id(author, seq) for seq in range(block * BLOCK + 1, (block + 1) * BLOCK + 1)))
    for author in authors:
        for seq in (1, BLOCK, BLOCK + 1, 2 * BLOCK, 2 * BLOCK + 1, 3 * BLOCK):
            assert view.stored_id(author, seq) == _id(author, seq)
        assert view.stored_id(author, 3 * BLOCK + 1) is None
        assert view.stored_id(author, 0) is None
    assert view.stored_id(b"\x09" * 32, 1) is None
    view.commit()
    view.close()


def test_gets_scans_and_the_merged_digest_match_an_in_memory_view(tmp_path):
    memory = MemoryView()
    views = [ScratchView(tmp_path / f"w{n}.sqlite", spill_bytes=50_000) for n in range(2)]
    changes = []
    for n in range(3000):
        author = bytes([n % 7]) * 32
        collection = COLLECTIONS[n % len(COLLECTIONS)]
        key = hashlib.sha256(n.to_bytes(4, "big")).digest()
        ref = key[:4] if n % 3 == 0 else None
        changes.append((n % 7, Put(collection, key, author, ref, {"n": n, "b": [key], "m": {"z": 1, "a": None}})))
        if n % 13 == 0:  # (coprime to the number of collections, so every collection keeps documents)
            changes.append((n % 7, Delete(collection, key)))
    for owner, change in changes:
        memory.apply([change])
        views[owner % 2].apply([change])
    for owner, some in changes[:40]:
        assert views[owner % 2].get(some.collection, some.key) == memory.get(some.collection, some.key)
    for collection in ("reports", "groups"):
        author = bytes([3]) * 32
        expected = list(memory.scan(collection, author=author))
        assert expected and list(views[1].scan(collection, author=author)) == expected
        ref = expected[0].ref
        if ref is not None:
            assert list(views[1].scan(collection, ref=ref)) == list(memory.scan(collection, ref=ref))
    spills = []
    for view in views:
        spills.append(view.seal())
        view.commit()
        view.close()
    merged = merge_ranges(spills, 2, 256, tmp_path)
    assert digest_of(merged_entries(merged), {b"\x01" * 32}) == state_digest(memory, {b"\x01" * 32})
    assert _groups(spills) == group_digests(memory)


def _mixed_puts(count: int, authors: int) -> list[Put]:
    puts = []
    for n in range(count):
        author = bytes([n % authors]) * 32
        collection = ("reports", "decisions", "callouts", "positions")[n % 4]
        key = _id(author, n) * (2 if collection == "positions" else 1)
        puts.append(Put(collection, key, author, None, {"n": n, "text": "x" * (n % 300)}))
    return puts


def test_sealed_documents_go_to_the_spill_and_sort_by_key_range(tmp_path):
    # small spills: each bucket gets several chunks; 3 ranges of 16 buckets over 2 workers' spills
    memory = MemoryView()
    views = [ScratchView(tmp_path / f"w{n}.sqlite", buckets=16, spill_bytes=20_000) for n in range(2)]
    for put in _mixed_puts(4000, 5):
        memory.apply([put])
        views[put.author[0] % 2].apply([put])
    spills = []
    for view in views:
        spills.append(view.seal())
        view.commit()
        view.close()
    for spill in spills:  # the index of a spill's chunks is in its worker's scratch file, not in memory
        with closing(sqlite3.connect(spill.index)) as db:
            assert db.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM chunks GROUP BY coll, bucket)").fetchone()[0] > 3
    merged = merge_ranges(spills, 3, 16, tmp_path)
    assert digest_of(merged_entries(merged), set()) == state_digest(memory)
    assert _groups(spills) == group_digests(memory)


def test_documents_are_found_by_key_and_author_replaced_and_deleted_after_a_flush(tmp_path):
    memory, view = MemoryView(), ScratchView(tmp_path / "s.sqlite")
    puts = _mixed_puts(5000, 3)  # flushed to the file every few thousand changes
    for put in puts:
        memory.apply([put])
        view.apply([put])
    for change in [Delete("reports", puts[4].key), Delete("decisions", puts[601].key), Delete("reports", b"\0" * 32)]:
        memory.apply([change])
        view.apply([change])
    for some in (puts[4], puts[5], puts[601], puts[4999]):
        assert view.get(some.collection, some.key) == memory.get(some.collection, some.key)
    author = puts[0].author
    assert list(view.scan("reports", author=author)) == list(memory.scan("reports", author=author))
    plan = " ".join(
        str(r) for r in view._db.execute("EXPLAIN QUERY PLAN SELECT entry FROM docs WHERE coll = ? AND key = ?", (4, b""))
    )
    assert "docs_key" in plan  # a lookup is an index search, not a scan of every document
    spill = view.seal()
    view.commit()
    view.close()
    merged = merge_ranges([spill], 1, 256, tmp_path)
    assert digest_of(merged_entries(merged), set()) == state_digest(memory)
    assert _groups([spill]) == group_digests(memory)


def test_a_collection_stays_in_the_spill_until_its_first_lookup_then_lives_in_the_sqlite_file(tmp_path):
    # small spills: some of the documents are already in the spill file when their collection moves
    memory, view = MemoryView(), ScratchView(tmp_path / "s.sqlite", buckets=16, spill_bytes=20_000)

    def count(collection: str) -> int:
        return view._db.execute("SELECT count(*) FROM docs WHERE coll = ?", (COLLECTIONS.index(collection),)).fetchone()[0]

    puts = _mixed_puts(4000, 3)
    for put in puts[:2000]:
        memory.apply([put])
        view.apply([put])
    assert all(count(c) == 0 for c in ("reports", "decisions", "callouts", "positions"))
    # a lookup in one collection moves it (and only it), with what the spill file and the buffer held
    assert view.get("reports", puts[4].key) == memory.get("reports", puts[4].key)
    assert count("reports") == 500 and count("decisions") == 0
    author = puts[1].author
    assert list(view.scan("callouts", author=author)) == list(memory.scan("callouts", author=author))
    assert count("callouts") == 500 and count("positions") == 0
    changed = Put("reports", puts[8].key, puts[8].author, None, {"n": -1})
    for change in [changed, Delete("decisions", puts[5].key), Delete("positions", b"\0" * 64), *puts[2000:]]:
        memory.apply([change])
        view.apply([change])
    assert view.get("reports", puts[8].key) == changed and view.get("decisions", puts[5].key) is None
    assert count("decisions") >= 499 and count("positions") > 0  # moved (later changes may still be in the cache)
    spill = view.seal()
    view.commit()
    view.close()
    merged = merge_ranges([spill], 2, 16, tmp_path)
    assert digest_of(merged_entries(merged), set()) == state_digest(memory)
    assert _groups([spill]) == group_digests(memory)


def test_every_vector_document_packs_as_the_canonical_encoder_does():
    from tests.events.test_vectors import untag

    vectors = Path(__file__).resolve().parents[2] / "docs" / "vectors" / "readmodels.json"
    docs = [d for case in json.loads(vectors.read_text())["cases"] for d in case["documents"]]
    assert len(docs) > 20
    for d in docs:
        put = Put(d["collection"], bytes.fromhex(d["key"]), bytes.fromhex(d["author"]), untag(d["ref"]), untag(d["doc"]))
        assert scratch_entry(put) == digest_entry(put)


def test_bucket_counts_grow_with_the_source():
    from audit.spill import BUCKET_BYTES, MAX_BUCKETS, MIN_BUCKETS, bucket_of, buckets_for

    assert buckets_for(None) == buckets_for(0) == MIN_BUCKETS
    assert buckets_for(MIN_BUCKETS * BUCKET_BYTES + 1) == 2 * MIN_BUCKETS
    assert buckets_for(1 << 50) == MAX_BUCKETS
    keys = sorted(hashlib.sha256(bytes([n])).digest() for n in range(200))
    assert [bucket_of(k, 256) for k in keys] == sorted(bucket_of(k, 256) for k in keys)
    assert bucket_of(b"\xff\xff" + bytes(30), 256) == 255 and bucket_of(bytes(32), 256) == 0


def test_the_head_only_checkpoint_shrinks_as_more_groups_hold_a_run():
    from audit.engine import HEAD_CHECKPOINT, HEAD_CHECKPOINT_MIN, HELD_BUDGET, checkpoint_for

    assert checkpoint_for(0) == HEAD_CHECKPOINT
    assert checkpoint_for(HELD_BUDGET // HEAD_CHECKPOINT - 1) == HEAD_CHECKPOINT
    assert checkpoint_for(1000) == HELD_BUDGET // 1001
    assert checkpoint_for(10**6) == HEAD_CHECKPOINT_MIN
