"""How a node federates (`FederationConfig`): its own URL, its peers and subscriptions, and the gossip timings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from events import Mode
from protocol import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, PROTOCOL_VERSION, TRUSTED

PUBLIC_URL_ENV = "SOLNET_PUBLIC_URL"


@dataclass(frozen=True, slots=True)
class FederationConfig:
    """How a node federates: its own URL, its peers, and the gossip timings (tests use short intervals)."""

    own_url: str
    peers: tuple[str, ...] = ()
    follow_only: bool = False
    follow_depth: int = 0
    interval: float = 5.0
    sync_peers: int = 2
    exchange_every: int = 6
    peer_exchange: bool = True
    concurrency: int = 4
    timeout: float = 10.0
    fanout: int = 3
    relay_fanout: int = 0  # relays announce heads only; a receiver pulls what it lacks (fewer copies per node)
    mode: Mode = Mode.HEAD
    batch_events: int = MAX_BATCH_EVENTS  # per want, asked and served: fewer round trips and commits in a catch-up
    batch_bytes: int = MAX_BATCH_BYTES
    health_file: Path | None = None
    seed: int | None = None
    allow_private_peers: bool = False  # learnt peer URLs may name loopback/private addresses (tests on loopback)
    callback_concurrency: int = 2  # claim call-backs at once (apart from the sync slots)
    callback_timeout: float = 3.0
    callbacks_per_minute: int = 4  # per remote address
    replication: str = TRUSTED  # or OPEN: an open relay takes new groups from anyone (docs/OPERATIONS.md)
    new_authors_per_hour: int = 1000  # per chosen peer (per origin in an open relay)
    protocol_version: int = PROTOCOL_VERSION  # 1 makes the node speak as nodes before reconciliation (tests)
    subscribe: tuple[str, ...] = ()  # peers to keep a subscription open to (docs/PROTOCOL.md §16): for a node behind NAT
    reachable: bool = True  # False: own_url reaches nobody, so it is never claimed to peers (no Solnet-Peer header)
    max_subscribers: int = 32  # subscriptions served at once
    heartbeat: float = 20.0  # seconds between WebSocket pings on a subscription
