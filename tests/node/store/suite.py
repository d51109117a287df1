"""One test suite for every store backend; each backend's module subclasses it and overrides `open_store`.

Modelled on eventsourcing's own persistence tests: the abstract case holds every test, a backend subclass
supplies only how to open a fresh store (and how another process opens the same one).
"""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from events import Event, Identity, Mode, create_event, encode_record, group_id_text, pack, verify_chain
from events.fork import decode_fork_proof, encode_fork_proof
from events.kinds import build_payload
from events.readmodel.memory import replay
from events.readmodel.projection import CALLOUTS, COLLECTIONS, PLEDGES, READ_MODEL_VERSION, REPORTS, project
from events.readmodel.view import Delete, Put
from node.errors import InvalidEventError, StaleDecisionError, TrackingError
from node.store import EventStore, Overlay, Projector, open_store
from node.store.listing_sql import Where

from .digest_suite import GroupDigestSuite
from .key_state_suite import KeyStateSuite

T0 = 1_700_000_000_000


def chain(identity: Identity, n: int, *, start: Event | None = None, size: int = 16, kind: str = "note.test") -> list[Event]:
    """Return n signed events of `identity`'s log following `start`."""
    out: list[Event] = []
    prev = start
    for _ in range(n):
        seq = 1 if prev is None else prev.seq + 1
        payload = pack(bytes([seq % 251]) * size)
        prev = create_event(identity, kind=kind, payload=payload, timestamp=T0 + seq, previous=prev)
        out.append(prev)
    return out


def forge(event: Event) -> Event:
    """Return `event` with its signature broken."""
    sig = bytes([event.signature[0] ^ 1]) + event.signature[1:]
    return replace(event, signature=sig)


def _append_many(spec: dict[str, Any], pem: bytes, n: int) -> int:
    """Child process: open the same store and publish n events as the same group."""
    store = open_store(spec["data_dir"], spec.get("url"), schema=spec.get("schema", "public"))
    identity = Identity.from_pem(pem)
    try:
        for i in range(n):
            store.append_own(identity, "note.test", bytes([0xC4, 1, i % 256]), T0 + i)
    finally:
        store.close()
    return n


class StoreSuite(GroupDigestSuite, KeyStateSuite):
    """Every store test; a subclass overrides `open_store` (and `spec` for other processes)."""

    def open_store(self, tmp_path: Path) -> EventStore:
        raise NotImplementedError

    def spec(self, tmp_path: Path) -> dict[str, Any]:
        """Return what another process needs to open the same store with node.store.open_store."""
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path):
        store = self.open_store(tmp_path)
        yield store
        store.close()

    # -- the stream layout and byte-identical round trip --------------------------------------------------

    def test_own_events_round_trip_byte_identical(self, store: EventStore):
        me = Identity.generate()
        e1 = store.append_own(me, "note.test", b"\xc4\x03abc", T0)
        e2 = store.append_own(me, "note.test", b"\xc4\x01z", T0 - 5)  # clock went back: timestamp kept monotonic
        assert (e1.seq, e2.seq, e2.header.prev, e2.header.timestamp) == (1, 2, e1.id, T0)
        assert store.get(e2.id) == e2
        assert store.get_record(e1.id) == encode_record(e1)
        assert store.read_records(me.public_key) == [encode_record(e1), encode_record(e2)]
        assert verify_chain(store.read_log(me.public_key), me.public_key).ok

    def test_stream_is_group_id_and_seq_with_record_state(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, 3, size=500)
        store.ingest(events)
        stored = store.recorder.select_events(group_id_text(author.public_key))
        assert [s.originator_id for s in stored] == [author.group_id] * 3
        assert [s.originator_version for s in stored] == [1, 2, 3]
        assert [s.state for s in stored] == [encode_record(e) for e in events]

    def test_ids_by_prefix_are_a_bounded_range_read_of_the_id_index(self, store: EventStore):
        events = chain(Identity.generate(), 40)
        store.ingest(events)
        ids = sorted(e.id for e in events)
        target = ids[17].hex()
        assert store.ids_starting(target[:12], 5) == [ids[17]]
        assert store.ids_starting(target, 5) == [ids[17]]
        first = ids[0].hex()[0]
        same = [i for i in ids if i.hex()[0] == first]
        assert store.ids_starting(first, 100) == same  # odd lengths too, ascending
        assert store.ids_starting("", 3) == ids[:3]  # bounded by the limit
        missing = next(p for p in (f"{n:06x}" for n in range(1 << 24)) if not any(i.hex().startswith(p) for i in ids))
        assert store.ids_starting(missing, 5) == []

    # -- ingest --------------------------------------------------------------------------------------------

    def test_ingest_any_author_order_and_heads(self, store: EventStore):
        a, b = Identity.generate(), Identity.generate()
        ea, eb = chain(a, 4), chain(b, 3)
        ingested = store.ingest([eb[2], ea[1], eb[0], ea[0], ea[3], eb[1], ea[2]])
        result = ingested.result
        assert not result.rejected and result.duplicates == 0
        assert {e.id for e in result.stored} == {e.id for e in ea + eb}
        assert len(ingested.notification_ids) == 7
        heads = store.heads()
        assert (heads[a.public_key].seq, heads[a.public_key].id) == (4, ea[3].id)
        assert (heads[b.public_key].seq, heads[b.public_key].id) == (3, eb[2].id)
        assert store.head(a.public_key) == heads[a.public_key]
        assert store.head(Identity.generate().public_key) is None
        assert store.counts() == {a.public_key: 4, b.public_key: 3}
        assert [e.seq for e in store.read_log(a.public_key, 2, 2)] == [2, 3]

    def test_ingest_returns_the_notification_id_of_each_stored_event(self, store: EventStore):
        a, b, me = Identity.generate(), Identity.generate(), Identity.generate()
        store.append_own(me, "note.test", b"\xc4\x01a", T0)
        ea, eb = chain(a, 6), chain(b, 5)
        first = store.ingest([*eb[:3], *ea[:4]])
        store.append_own(me, "note.test", b"\xc4\x01b", T0)  # between two batches: the ids skip its row
        second = store.ingest([*ea[4:], *eb[3:]])
        read = {event.id: n for n, event in store.notifications(0, 100)}
        for ingested in (first, second):
            assert [read[e.id] for e in ingested.result.stored] == list(ingested.notification_ids)
        assert len(read) == 13 and len(first.notification_ids) + len(second.notification_ids) == 11

    def test_a_large_batch_gets_its_notification_ids_and_id_index_in_order(self, store: EventStore):
        """Large writes take the bulk path (PostgreSQL: COPY from COPY_FROM rows; SQLite: multi-row statements)."""
        me = Identity.generate()
        store.append_own(me, "note.test", b"\xc4\x01a", T0)
        authors = [Identity.generate() for _ in range(3)]
        events = [e for author in authors for e in chain(author, 500)]
        ingested = store.ingest(events[::-1])
        assert len(ingested.result.stored) == 1500 and not ingested.result.rejected
        read = {event.id: n for n, event in store.notifications(0, 2000)}
        assert [read[e.id] for e in ingested.result.stored] == list(ingested.notification_ids)
        assert list(ingested.notification_ids) == list(range(2, 1502))
        assert all(store.get(e.id) == e for e in events[::97])
        assert store.known([e.id for e in events]) == {e.id for e in events}
        assert store.counts() == {me.public_key: 1, **{a.public_key: 500 for a in authors}}

    def test_a_stale_decision_is_refused_and_writes_nothing(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, 6)
        decided = store.decide_ingest(events[:4])
        store.ingest(events[:2])  # another writer stores two of its positions first
        before = store.max_notification_id()
        with pytest.raises(StaleDecisionError):
            store.write_decided(decided)
        assert store.max_notification_id() == before and store.counts() == {author.public_key: 2}
        assert [e.seq for e in store.write_decided(store.decide_ingest(events[:4])).result.stored] == [3, 4]

    def test_a_batch_decided_while_the_one_before_is_written_stores_as_if_decided_after(self, store: EventStore):
        author, other = Identity.generate(), Identity.generate()
        events, others = chain(author, 8), chain(other, 3)
        fork = create_event(author, kind="note.test", payload=b"\xc4\x01X", timestamp=T0 + 99, previous=events[1])
        first = store.decide_ingest([*events[:4], *others[:1]])
        second = store.decide_ingest([*events[2:8], fork, *others], after=first)  # copies, new events, a fork
        assert second.result.duplicates == 3 and [e.seq for e in second.result.stored] == [5, 6, 7, 8, 2, 3]
        assert len(second.result.forks) == 1
        store.write_decided(first)
        store.write_decided(second)
        assert store.counts() == {author.public_key: 8, other.public_key: 3} and len(store.fork_proofs()) == 1
        assert verify_chain(store.read_log(author.public_key), author.public_key).ok

    def test_duplicates_are_counted_and_change_nothing(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, 5)
        store.ingest(events[:3])
        before = store.max_notification_id()
        result = store.ingest(events).result
        assert result.duplicates == 3 and [e.seq for e in result.stored] == [4, 5]
        again = store.ingest(events + events[:2]).result
        assert again.stored == () and again.duplicates == 7 and not again.rejected
        assert store.max_notification_id() == before + 2

    def test_fork_at_taken_position_stores_proof_and_keeps_original(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, 4)
        store.ingest(events)
        other = create_event(author, kind="note.test", payload=b"\xc4\x01X", timestamp=T0 + 99, previous=events[1])
        result = store.ingest([other]).result
        assert result.stored == () and len(result.forks) == 1
        proof = result.forks[0]
        assert (proof.author, proof.seq, {proof.id_a, proof.id_b}) == (author.public_key, 3, {events[2].id, other.id})
        assert decode_fork_proof(encode_fork_proof(proof)) == proof
        assert store.fork_proofs() == [proof] and store.fork_proofs(author.public_key) == [proof]
        assert store.forked_authors() == {author.public_key}
        assert store.get(events[2].id) == events[2] and store.get(other.id) is None
        assert store.head(author.public_key).id == events[3].id
        # the library's own uniqueness refuses a second event at the position, whoever asks
        from eventsourcing.persistence import IntegrityError

        from node.store.base import stored_event

        with pytest.raises(IntegrityError):
            store.recorder.insert_events([stored_event(other)])
        assert store.get_record(events[2].id) == encode_record(events[2])

    def test_fork_inside_one_batch(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, 3)
        other = create_event(author, kind="note.test", payload=b"\xc4\x01Y", timestamp=T0 + 50, previous=events[0])
        result = store.ingest([*events, other]).result
        assert [e.seq for e in result.stored] == [1, 2, 3]
        assert len(result.forks) == 1 and store.forked_authors() == {author.public_key}

    def test_gap_broken_link_and_forged_signature_are_rejected_and_nothing_stored(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, 6)
        store.ingest(events[:2])
        before = (store.max_notification_id(), store.heads())
        gap = store.ingest(events[3:]).result
        assert [r.code for r in gap.rejected] == ["seq_gap", "after_break", "after_break"] and gap.stored == ()
        stranger = chain(Identity.generate(), 1)[0]
        broken = create_event(
            author, kind="note.test", payload=b"\xc4\x00", timestamp=T0 + 9, previous=replace(events[1], id=stranger.id)
        )
        assert [r.code for r in store.ingest([broken]).result.rejected] == ["broken_link"]
        forged = store.ingest([forge(events[2])]).result
        assert [r.code for r in forged.rejected] == ["bad_signature"] and forged.stored == ()
        wrong_payload = store.ingest([replace(events[2], payload=b"\xc4\x00")]).result
        assert [r.code for r in wrong_payload.rejected] == ["payload_mismatch"]
        unsigned_fork = create_event(author, kind="note.test", payload=b"\xc4\x00", timestamp=T0, previous=events[0])
        assert [r.code for r in store.ingest([forge(unsigned_fork)]).result.rejected] == ["conflict"]
        assert (store.max_notification_id(), store.heads()) == before
        assert store.fork_proofs() == [] and store.read_log(author.public_key) == events[:2]

    def test_head_mode_and_full_mode_accept_the_same_events(self, store: EventStore):
        a, b = Identity.generate(), Identity.generate()
        ea, eb = chain(a, 5), chain(b, 5)
        ea[2], eb[2] = forge(ea[2]), forge(eb[2])  # vouched for by the later signatures
        head = store.ingest(ea, Mode.HEAD).result
        full = store.ingest(eb, Mode.FULL).result
        assert len(head.stored) == len(full.stored) == 5
        assert [p.seq for p in full.bad_signatures] == [3] and head.bad_signatures == ()
        ea2, eb2 = chain(a, 2, start=ea[4]), chain(b, 2, start=eb[4])
        ea2[1], eb2[1] = forge(ea2[1]), forge(eb2[1])  # the newest signature fails: nothing vouches for it
        assert [r.seq for r in store.ingest(ea2, Mode.HEAD).result.rejected] == [7]
        assert [r.seq for r in store.ingest(eb2, Mode.FULL).result.rejected] == [7]
        assert store.head(a.public_key).seq == store.head(b.public_key).seq == 6

    def test_add_fork_proof_verifies_and_deduplicates(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, 2)
        other = create_event(author, kind="note.test", payload=b"\xc4\x00", timestamp=T0, previous=events[0])
        from events.fork import fork_proof_from_events

        proof = fork_proof_from_events([events[1]], [other])
        assert store.add_fork_proof(proof) is True
        assert store.add_fork_proof(proof) is False
        assert store.forked_authors() == {author.public_key}
        bogus = replace(proof, side_b=replace(proof.side_b, signature=bytes(64)))
        with pytest.raises(InvalidEventError):
            store.add_fork_proof(bogus)
        assert store.fork_proofs() == [proof]

    # -- own log -------------------------------------------------------------------------------------------

    def test_invalid_publish_is_refused_and_nothing_stored(self, store: EventStore):
        me = Identity.generate()
        with pytest.raises(InvalidEventError) as info:
            store.append_own(me, "Not A Kind", b"\xc0", T0)
        assert info.value.field == "kind"
        with pytest.raises(InvalidEventError):
            store.append_own(me, "note.test", b"\x00" * 70_000, T0)
        assert store.max_notification_id() == 0 and store.head(me.public_key) is None

    def test_concurrent_publishers_in_two_processes_never_fork(self, store: EventStore, tmp_path: Path):
        me = Identity.generate()
        n = 25
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(2) as pool:
            done = pool.starmap(_append_many, [(self.spec(tmp_path), me.to_pem(), n)] * 2)
        assert done == [n, n]
        log = store.read_log(me.public_key)
        assert [e.seq for e in log] == list(range(1, 2 * n + 1))
        assert verify_chain(log, me.public_key, Mode.FULL).ok
        assert store.fork_proofs() == [] and store.head(me.public_key).id == log[-1].id

    # -- notifications, redaction ---------------------------------------------------------------------------

    def test_notification_log_is_local_arrival_order(self, store: EventStore):
        a, b, me = Identity.generate(), Identity.generate(), Identity.generate()
        eb = chain(b, 2)
        store.ingest(eb)
        ea = chain(a, 3)
        store.ingest(ea)
        own = store.append_own(me, "note.test", b"\xc0", T0)
        ids = [e.id for _, e in store.notifications(0, 100)]
        assert ids == [e.id for e in [*eb, *ea, own]]
        numbers = [n for n, _ in store.notifications(0, 100)]
        assert numbers == sorted(numbers) and store.max_notification_id() == numbers[-1]
        assert [e.id for _, e in store.notifications(numbers[1], 2)] == [ea[0].id, ea[1].id]
        assert [e.id for _, e in store.iter_notifications(numbers[2], batch=2)] == [ea[1].id, ea[2].id, own.id]
        assert store.notifications(numbers[-1], 10) == []

    def test_drop_payload_keeps_the_header(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, 2, size=100)
        store.ingest(events)
        assert store.drop_payload(events[0].id) is True
        dropped = store.get(events[0].id)
        assert dropped == events[0].without_payload()
        assert store.drop_payload(events[0].id) is False and store.drop_payload(b"\x00" * 32) is False
        assert verify_chain(store.read_log(author.public_key), author.public_key).ok
        assert store.ingest(events).result.duplicates == 2 and store.get(events[0].id).payload is None

    # -- read models ---------------------------------------------------------------------------------------

    def test_views_apply_with_tracking_atomically(self, store: EventStore):
        views = store.view_store("test_views")
        author, ref = b"a" * 32, b"r" * 32
        assert views.position() == 0
        views.apply([Put("things", b"k1", author, ref, {"n": 1}), Put("things", b"k2", author, None, {"n": 2})], 5)
        assert views.position() == 5
        assert views.get("things", b"k1") == Put("things", b"k1", author, ref, {"n": 1})
        with pytest.raises(TrackingError):
            views.apply([Put("things", b"k3", author, None, {"n": 3}), Delete("things", b"k1")], 5)
        assert views.get("things", b"k3") is None and views.get("things", b"k1") is not None
        views.apply([Delete("things", b"k2"), Put("things", b"k0", b"b" * 32, ref, {"n": 0})], 6)
        assert [p.key for p in views.scan("things")] == [b"k0", b"k1"]
        assert [p.key for p in views.scan("things", ref=ref, author=author)] == [b"k1"]
        assert [p.key for p in views.scan("things", author=b"b" * 32)] == [b"k0"]
        assert views.position() == 6 and store.view_store("other_views").position() == 0

    def test_overlay_reads_pending_changes_over_stored(self, store: EventStore):
        views = store.view_store()
        a = b"a" * 32
        views.apply([Put("c", b"1", a, b"x", {"v": 1}), Put("c", b"2", a, b"x", {"v": 2})], 1)
        overlay = Overlay(views)
        overlay.add([Put("c", b"2", a, b"y", {"v": 22}), Put("c", b"0", a, b"x", {"v": 0}), Delete("c", b"1")])
        assert [p.key for p in overlay.scan("c")] == [b"0", b"2"]
        assert [p.key for p in overlay.scan("c", ref=b"x")] == [b"0"]
        assert overlay.get("c", b"1") is None and overlay.get("c", b"2").doc == {"v": 22}

    def test_projector_catch_up_and_rebuild_give_the_same_documents(self, store: EventStore):
        events = _world()
        store.ingest(events)
        views = store.view_store()
        projector = Projector(store, views, project, batch=3)
        assert projector.catch_up(limit=4) == 4 and views.position() == store.notifications(0, 4)[-1][0]
        assert projector.catch_up() == len(events) - 4
        assert projector.catch_up() == 0 and views.position() == store.max_notification_id()
        first = _snapshot(views)
        expected = replay(events)
        assert first == {c: list(expected.scan(c)) for c in COLLECTIONS}
        assert len(first[CALLOUTS]) == 2 and len(first[PLEDGES]) == 2
        assert Projector(store, views, project, batch=1000).rebuild() == len(events)
        assert _snapshot(views) == first

    def test_read_models_of_an_older_version_are_rebuilt_from_the_events_when_opened(self, tmp_path: Path):
        events = _world()
        store = self.open_store(tmp_path)
        try:
            store.ingest(events)
            views = store.view_store()
            Projector(store, views, project).catch_up()
            current = _snapshot(views)
            [report] = current[REPORTS]
            assert report.doc["status"] == "withdrawn" and len(report.doc["log"]) == 2
            # what a release before read-model versions left: no version table, a report written once (no log)
            old = {k: v for k, v in report.doc.items() if k not in ("status", "log", "closed_at", "reason")}
            recorder = views.recorder
            with recorder.datastore.transaction(commit=True) as c:
                c.execute(f"DROP TABLE {recorder._version_name}")
                c.execute(f"UPDATE {recorder._docs_name} SET doc = {recorder._ph} WHERE collection = 'reports'", (pack(old),))
            assert views.get(REPORTS, report.key).doc == old
        finally:
            store.close()
        store = self.open_store(tmp_path)  # the node's next start
        try:
            views = store.view_store()
            assert views.position() == 0 and views.get(REPORTS, report.key) is None  # cleared, to be rebuilt
            assert Projector(store, views, project).catch_up() == len(events)
            assert _snapshot(views) == current
            assert store.view_store().position() == store.max_notification_id()  # opened again: nothing cleared
            with views.recorder.datastore.transaction(commit=True) as c:
                c.execute(f"UPDATE {views.recorder._version_name} SET version = {READ_MODEL_VERSION + 1}")
            with pytest.raises(RuntimeError, match="newer release"):
                store.view_store()
        finally:
            store.close()

    def test_read_models_without_the_lang_column_are_dropped_and_rebuilt_when_opened(self, tmp_path: Path):
        events = _world()
        store = self.open_store(tmp_path)
        try:
            store.ingest(events)
            views = store.view_store()
            Projector(store, views, project).catch_up()
            current = _snapshot(views)
            recorder = views.recorder
            # what read-model version 2 left: the documents table without `lang` (nor its index)
            lang_index = recorder._qualified_index(f"{recorder.documents_table}_lang_order")
            with recorder.datastore.transaction(commit=True) as c:
                c.execute(f"DROP INDEX {lang_index}")
                c.execute(f"ALTER TABLE {recorder._docs_name} DROP COLUMN lang")
                c.execute(f"UPDATE {recorder._version_name} SET version = 2")
        finally:
            store.close()
        store = self.open_store(tmp_path)  # the node's next start
        try:
            views = store.view_store()
            assert views.position() == 0 and not list(views.scan(CALLOUTS))  # dropped, to be rebuilt
            assert Projector(store, views, project).catch_up() == len(events)
            assert _snapshot(views) == current
            [polish] = views.page(CALLOUTS, Where(lang="pl"), None, 10)
            assert polish.doc["lang"] == "pl" and polish.doc["title"] == "Help now"
            assert views.page(CALLOUTS, Where(lang="pt-BR"), None, 10) == []
        finally:
            store.close()


def _snapshot(views) -> dict[str, list[Put]]:
    return {c: list(views.scan(c)) for c in COLLECTIONS}


def _world() -> list[Event]:
    """A few groups publishing callouts, pledges and updates (real payloads for the real projection)."""
    a, b, c = (Identity.from_seed(bytes([i]) * 32) for i in (7, 8, 9))
    logs: dict[bytes, list[Event]] = {a.public_key: [], b.public_key: [], c.public_key: []}

    def add(who: Identity, kind: str, fields: dict[str, Any]) -> Event:
        log = logs[who.public_key]
        prev = log[-1] if log else None
        ev = create_event(who, kind=kind, payload=build_payload(kind, fields), timestamp=T0 + 1000 * len(log), previous=prev)
        log.append(ev)
        return ev

    add(a, "group.profile", {"name": "Tenants A"})
    add(b, "group.profile", {"name": "Food B"})
    c1 = add(a, "callout.published", {"title": "Help", "text": "Please", "needs": ["people"], "lang": "pl"})
    c2 = add(b, "callout.published", {"title": "Cook", "text": "Soup", "needs": ["money", "people"], "lang": "es"})
    add(c, "pledge.made", {"callout": c1.id, "need": "people", "offer": "we come"})
    add(b, "pledge.made", {"callout": c1.id, "need": "people", "offer": "two of us"})
    add(a, "callout.updated", {"callout": c1.id, "title": "Help now"})
    add(b, "callout.withdrawn", {"callout": c2.id, "reason": "done"})
    add(c, "group.profile", {"name": "C"})
    report = add(c, "report.published", {"title": "Soup kitchen", "text": "Fed 40", "lessons": ["Start early"]})
    add(c, "report.withdrawn", {"report": report.id, "reason": "posted twice"})
    return [e for log in logs.values() for e in log]
