"""NodeService picks up events another process stored (the CLI's `solnet publish` while the node serves),
exactly once, however they interleave with the node's own writes."""

from __future__ import annotations

from events import Identity, create_event_from_value
from events.kinds import build_payload
from node.notices import Source
from node.store import open_store

from .conftest import make_service


def _peer_events(count: int) -> list:
    peer = Identity.generate()
    events, previous = [], None
    for n in range(count):
        previous = create_event_from_value(
            peer,
            kind="report.published",
            value={"title": f"r{n}", "text": "t"},
            timestamp=1_760_000_000_000 + n,
            previous=previous,
        )
        events.append(previous)
    return events


async def _external_publish(service, title: str):
    """Store an event of the node's own group through a second store on the same data dir, as the CLI does."""
    other = open_store(service.data_dir.path)
    try:
        payload = build_payload("report.published", {"title": title, "text": "from the CLI"})
        return other.append_own(service.identity, "report.published", payload, 1_770_000_000_000)
    finally:
        other.close()


async def test_an_external_write_between_the_nodes_own_writes_is_picked_up_once(tmp_path):
    service, _token = make_service(tmp_path / "node")
    told: list = []

    sources: dict[bytes, Source] = {}

    async def listener(notice):
        told.extend(event.id for event in notice.events)
        sources.update((event.id, notice.source) for event in notice.events)

    service.listeners.append(listener)
    try:
        await service.start_watching()
        assert await service.poll_external() == []
        first = await _external_publish(service, "before any own write")
        peers = _peer_events(6)
        await service.ingest(peers[:3])  # stored after the external event: its notification id is older
        own = await service.publish("report.published", {"title": "own", "text": "published through the node"})
        second = await _external_publish(service, "between own writes")
        await service.ingest(peers[3:], refresh=False)
        picked = await service.poll_external()
        assert [event.id for event in picked] == [first.id, second.id]
        assert await service.poll_external() == []
        expected = [*(e.id for e in peers[:3]), own.id, *(e.id for e in peers[3:]), first.id, second.id]
        assert sorted(told) == sorted(expected) and len(told) == len(expected)  # each event told once
        assert {sources[e.id] for e in peers} == {Source.INGESTED}
        assert sources[own.id] is Source.PUBLISHED
        assert sources[first.id] is sources[second.id] is Source.EXTERNAL
        await service.refresh()
        views = service.read_models.views
        assert views.get("reports", first.id) is not None and views.get("reports", second.id) is not None
    finally:
        await service.close()
