"""FrontierIndex: the node's bucket fingerprints equal a direct computation after every kind of write."""

from __future__ import annotations

import asyncio

import pytest

from events import Identity, Mode, create_event_from_value
from node.federation import frontier_index
from node.federation.frontier_index import FrontierIndex
from node.store import open_store
from protocol.ranges import KeyRange, SortedHeads


def groups(first: int, count: int, length: int = 1) -> list:
    events = []
    for n in range(first, first + count):
        author, previous = Identity.from_seed(n.to_bytes(4, "big") * 8), None
        for seq in range(1, length + 1):
            previous = create_event_from_value(author, kind="note.test", value={"n": seq}, timestamp=seq, previous=previous)
            events.append(previous)
    return events


RANGES = [KeyRange.root(), *KeyRange.root().children(), *[KeyRange(12, (i << 4).to_bytes(2, "big")) for i in range(0, 4096, 37)]]


def check(store, index: FrontierIndex) -> None:
    """Compare with a direct computation: shallow ranges (bucket sums) and deeper ones in occupied buckets (cut
    from one read of the bucket), in one call as a reply's splits ask for them."""
    heads = store.heads()
    expected = SortedHeads(heads.values())
    deep = []
    for author in sorted(heads)[::7]:
        bucket = KeyRange(12, author[:1] + bytes([author[1] & 0xF0]))
        deep += [*bucket.children(), KeyRange(24, author[:3]), KeyRange(256, author)]
    ranges = RANGES + sorted(set(deep), key=lambda r: (r.lo, r.bits))
    assert index.fingerprints(ranges) == asyncio.run(expected.fingerprints(ranges))


@pytest.fixture
def store(tmp_path):
    made = open_store(tmp_path / "data")
    try:
        yield made
    finally:
        made.close()


def test_buckets_follow_new_authors_newer_heads_and_rescan_after_a_flood(store, tmp_path, monkeypatch):
    monkeypatch.setattr(frontier_index, "MIN_FOLLOW", 20)
    store.ingest(groups(0, 60), Mode.HEAD)
    index = FrontierIndex(store)
    check(store, index)
    assert index.rebuilds == 1
    store.ingest(groups(60, 5) + groups(0, 2, length=3)[1:3], Mode.HEAD)  # new authors, and author 0 moves to seq 3
    check(store, index)
    assert index.rebuilds == 1  # followed event by event
    store.ingest(groups(100, 90), Mode.HEAD)  # more new events than authors held: one rescan instead
    check(store, index)
    assert index.rebuilds == 2
    writer = open_store(tmp_path / "data")  # another writer (the CLI): its events reach the index through the log
    writer.ingest(groups(300, 3), Mode.HEAD)
    writer.close()
    check(store, index)
    assert index.rebuilds == 2


def test_a_rotation_that_supersedes_the_newest_events_moves_the_index(store):
    """A rotation drops the superseded branch's rows and stores the rotated one in the same transaction. When the
    dropped rows were the newest, SQLite could give the new rows the same rowids (notification ids) again, which an
    index that follows the notification log by id had already read: it kept the old head, its fingerprint equalled
    a node still on the old branch, and that node never pulled the rotation (tests/e2e/test_stolen_key.py)."""
    from tests.events.rotation_helpers import stolen_log

    _k1, _k2, thief, group = stolen_log()
    store.ingest(thief, Mode.HEAD)
    index = FrontierIndex(store)
    check(store, index)
    store.ingest(group[2:], Mode.HEAD)
    assert [e.id for e in store.read_log(group[0].author, 1, 10)] == [e.id for e in group]
    check(store, index)
