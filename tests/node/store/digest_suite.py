"""The store suite's tests of the group digests (state digest version 2), run against every backend through StoreSuite."""

from __future__ import annotations

import random
from pathlib import Path

from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.readmodel.digest import group_digests, state_digest_v2
from events.readmodel.memory import MemoryView, replay
from events.readmodel.projection import project
from events.readmodel.view import Put
from node.store import EventStore, Overlay, Projector
from tests.events.readmodel.test_projection import build_world, interleave


class GroupDigestSuite:
    """Mixed into StoreSuite, which provides the `store` fixture of each backend."""

    # -- group digests (state digest version 2) -------------------------------------------------------------

    def test_group_digests_follow_every_write_and_rebuild(self, store: EventStore):
        events = world()
        store.ingest(events)
        views = store.view_store()
        projector = Projector(store, views, project, batch=2)
        for n, _ in enumerate(events, 1):  # one event per catch-up: each write settles its own group
            assert projector.catch_up(limit=1) == 1
            expected = replay([event for _, event in store.notifications(0, n)])
            assert views.state_digest_v2() == state_digest_v2(expected)
            assert views.digest_state()[1] == group_digests(expected)
        forked = {events[0].author}
        assert views.state_digest_v2(forked) == state_digest_v2(replay(events), forked) != views.state_digest_v2()
        pages, after = [], None
        while True:
            page, after = views.group_digests(after, limit=2)
            pages += page
            if after is None:
                break
        assert pages == group_digests(replay(events)) and len(pages) == 3
        before = views.state_digest_v2()
        assert Projector(store, views, project, batch=4).rebuild() == len(events)
        assert views.state_digest_v2() == before and views.settle() == 0

    def test_unsettled_groups_are_computed_by_readers_and_settled_later(self, store: EventStore):
        views = store.view_store("dirty_views")
        a, b = b"a" * 32, b"b" * 32
        views.write({("callouts", b"1" * 32): Put("callouts", b"1" * 32, a, None, {"v": 1})}, Tracking("dirty_views", 1))
        views.write(
            {("callouts", b"1" * 32): None, ("groups", b): Put("groups", b, b, None, {"name": "b"})},
            Tracking("dirty_views", 2),
            settle=False,
        )
        memory = MemoryView()
        memory.apply([Put("groups", b, b, None, {"name": "b"})])
        assert views.digest_state() == (2, group_digests(memory))  # a: dirty and empty; b: dirty
        assert views.settle() == 2 and views.settle() == 0
        assert views.digest_state() == (2, group_digests(memory))

    def test_a_store_from_before_group_digests_gets_them_when_opened(self, store: EventStore, tmp_path: Path):
        events = world()
        store.ingest(events)
        views = store.view_store()
        Projector(store, views, project).catch_up()
        expected = views.digest_state()
        recorder = views.recorder
        with recorder.datastore.transaction(commit=True) as c:
            c.execute(f"DROP TABLE {recorder._entries_name}")
            c.execute(f"DROP TABLE {recorder._groups_name}")
        assert store.view_store().digest_state() == expected == (store.max_notification_id(), group_digests(replay(events)))

    # one method run by each backend's subclass (differing executors), on a fresh view per example
    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(data=st.data(), seed=st.integers(0, 2**32))
    def test_group_digests_do_not_depend_on_arrival_order(self, store: EventStore, data, seed):
        logs, redacted = build_world(data)
        rnd = random.Random(seed)
        order = interleave(logs, rnd, redacted)
        views = store.view_store(f"p{seed}")
        for position, event in enumerate(order, 1):
            overlay = Overlay(views)
            overlay.add(project(event, overlay))
            views.write(overlay.pending, Tracking(views.name, position), settle=rnd.random() < 0.5)
        other_order = replay(interleave(logs, random.Random(seed + 1)))  # payloads kept: redaction gives the same state
        assert views.state_digest_v2() == state_digest_v2(other_order) == state_digest_v2(replay(order))
        views.clear()


def world():
    from .suite import _world  # the suite's small world of real events (imported late: suite.py imports this module)

    return _world()
