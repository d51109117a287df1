"""An import's pipeline: a batch decided while the one before is written, and a decision that went stale."""

from __future__ import annotations

from events import Mode
from node.notices import Source

from .conftest import make_service
from .test_service_watch import _peer_events


async def test_a_batch_decided_after_the_one_being_written_is_stored_and_told(tmp_path):
    service, _token = make_service(tmp_path / "node")
    told: list = []

    async def listener(notice):
        told.append(notice)

    service.listeners.append(listener)
    try:
        events = _peer_events(6)
        first = await service.decide_ingest(events[:3], Mode.HEAD)
        writing = service.ingest_decided(events[:3], first, Mode.HEAD, refresh=False)
        second = await service.decide_ingest(events[2:], Mode.HEAD, first)
        assert (await writing).stored == first.result.stored
        result = await service.ingest_decided(events[2:], second, Mode.HEAD)
        assert result is second.result and result.duplicates == 1 and len(result.stored) == 3
        assert [len(n.events) for n in told] == [3, 3] and {n.source for n in told} == {Source.INGESTED}
        assert service.read_models.views.get("reports", events[5].id) is not None
    finally:
        await service.close()


async def test_a_stale_decision_is_decided_again_and_stored(tmp_path):
    service, _token = make_service(tmp_path / "node")
    try:
        events = _peer_events(5)
        decided = await service.decide_ingest(events, Mode.HEAD)
        await service.ingest(events[:2])  # stored by another write after the decision: its positions are taken
        result = await service.ingest_decided(events, decided, Mode.HEAD)
        assert result is not decided.result
        assert result.duplicates == 2 and [e.id for e in result.stored] == [e.id for e in events[2:]]
        assert await service.astore.counts() == {events[0].author: 5}
    finally:
        await service.close()
