"""Peer statistics: what a node saw of its syncs, per peer and in total, and how its status reports them.

The PeerBook keeps each peer's health; this keeps the outcomes of syncs and the node's federation counters.
Time is passed in: `now` on the PeerBook's clock (monotonic), `wall` in seconds since the Unix epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from events import group_id_text

from .agent import SyncReport
from .peers import PeerBook
from .policy import ReplicationPolicy

MAX_ERRORS = 20  # task failures kept for the status (the newest)


@dataclass(slots=True)
class PeerStats:
    """What this node saw of one peer's syncs (the PeerBook keeps the health itself)."""

    syncs: int = 0
    events_received: int = 0
    last_sync: float | None = None  # wall clock
    last_error: str = ""


@dataclass(slots=True)
class Counters:
    """The node's federation totals since it started."""

    rounds: int = 0
    events_received: int = 0
    pushes_sent: int = 0
    oversized_requests: int = 0
    errors: list[str] = field(default_factory=list)


class SyncStats:
    """Per-peer sync statistics and the node's counters, recorded as syncs end and tasks fail."""

    def __init__(self) -> None:
        self.peers: dict[str, PeerStats] = {}
        self.counters = Counters()

    def record_sync(self, report: SyncReport, wall: float) -> None:
        """Count one finished sync (complete or not) with its peer, ended at `wall`."""
        stats = self.peers.setdefault(report.peer, PeerStats())
        stats.syncs += 1
        stats.events_received += report.stored
        stats.last_sync = wall
        stats.last_error = report.error
        self.counters.events_received += report.stored

    def record_error(self, exc: BaseException) -> None:
        """Keep a short description of a failed task (the newest MAX_ERRORS are kept)."""
        self.counters.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        del self.counters.errors[:-MAX_ERRORS]

    def peer_json(self, book: PeerBook, url: str, now: float, wall: float) -> dict[str, Any]:
        """Return one peer's health as JSON: state, failures, points, when it last answered, its last sync."""
        health = book.health(url)
        stats = self.peers.get(url, PeerStats())

        def ago(t: float | None) -> float | None:
            return None if t is None else round(max(now - t, 0.0), 1)

        return {
            "url": url,
            "group_id": group_id_text(health.group) if health.group else None,
            "state": health.state,
            "chosen": health.chosen,
            "failures": health.failures,
            "seconds_since_success": ago(health.last_success),
            "seconds_since_failure": ago(health.last_failure),
            "retry_in_seconds": round(max(health.next_attempt - now, 0.0), 1),
            "misbehaviour_points": health.points,
            "last_reason": health.last_reason,
            "syncs": stats.syncs,
            "events_received": stats.events_received,
            "seconds_since_sync": None if stats.last_sync is None else round(wall - stats.last_sync, 1),
            "last_sync_error": stats.last_error,
        }

    def peers_json(self, book: PeerBook, now: float, wall: float) -> list[dict[str, Any]]:
        """Return every known peer's health, by URL."""
        return [self.peer_json(book, url, now, wall) for url in sorted(book.urls())]

    def status_json(
        self, book: PeerBook, policy: ReplicationPolicy, *, own_url: str, sent: int, received: int, now: float, wall: float
    ) -> dict[str, Any]:
        """Return the federation part of a node's status: peers, sync counters (with bytes on the wire), replication."""
        peers = self.peers_json(book, now, wall)
        counters = self.counters
        return {
            "peers": peers,
            "peers_healthy": sum(p["state"] == "healthy" for p in peers),
            "sync": {
                "own_url": own_url,
                "rounds": counters.rounds,
                "events_received": counters.events_received,
                "local_pushes": counters.pushes_sent,
                "oversized_requests": counters.oversized_requests,
                "bytes_sent": sent,
                "bytes_received": received,
                "errors": list(counters.errors[-5:]),
            },
            "replication": {
                "follow_only": policy.follow_only,
                "blocked_groups": sorted(group_id_text(a) for a in policy.blocked),
                "followed_groups": sorted(group_id_text(a) for a in policy.followed),
            },
        }
