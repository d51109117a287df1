"""Deferred refreshes: a long catch-up still refreshes every MAX_REFRESH_LAG_S, except while an import holds them."""

from __future__ import annotations

from node import readmodels

from .conftest import make_service
from .test_service_watch import _peer_events


async def test_deferred_writes_refresh_by_themselves_once_the_lag_is_too_long(tmp_path, monkeypatch):
    monkeypatch.setattr(readmodels, "MAX_REFRESH_LAG_S", 0.0)
    service, _token = make_service(tmp_path / "node")
    try:
        events = _peer_events(4)
        await service.ingest(events[:2], refresh=False)
        assert service.read_models.stale
        await service.ingest(events[2:], refresh=False)  # the first deferred write is older than the (zero) lag
        assert not service.read_models.stale
        assert service.read_models.views.get("reports", events[3].id) is not None
    finally:
        await service.close()


async def test_while_holding_deferred_writes_wait_for_the_callers_refresh(tmp_path, monkeypatch):
    monkeypatch.setattr(readmodels, "MAX_REFRESH_LAG_S", 0.0)
    service, _token = make_service(tmp_path / "node")
    try:
        events = _peer_events(6)
        with service.read_models.holding():
            for n in range(0, 6, 2):
                await service.ingest(events[n : n + 2], refresh=False)
            assert service.read_models.stale
            assert service.read_models.views.get("reports", events[0].id) is None
        assert await service.refresh() == 6
        assert not service.read_models.stale
    finally:
        await service.close()
