"""Writing through the store: our own events signed and appended, peers' events ingested, redactions applied.

Every write is marked as this process's (node/watch.py) and brings the read models along (node/readmodels.py);
telling listeners is the caller's (NodeService's) business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from events import Event, ForkProof, Identity, Mode
from events.errors import PayloadError
from events.ingest import IngestResult
from events.kinds import build_payload

from . import redactions
from .errors import InvalidEventError
from .own_head import OwnHead
from .readmodels import ReadModels
from .store import AsyncStore
from .watch import ExternalWrites

UNPUBLISHABLE_KINDS = frozenset({"key.commit", "key.rotate"})
"""Kinds no one publishes by hand: `key.commit` is written once, at creation (`commit_next_key`); nodes do not
apply `key.rotate` yet (docs/PROTOCOL.md §11)."""


class Writer:
    """Publishes the node's own events and ingests peers' events, each in one store write."""

    def __init__(
        self,
        astore: AsyncStore,
        identity: Identity,
        clock: Callable[[], int],
        *,
        watcher: ExternalWrites,
        read_models: ReadModels,
        own_head: OwnHead,
    ):
        self.astore = astore
        self.identity = identity
        self.clock = clock
        self.watcher = watcher
        self.read_models = read_models
        self.own_head = own_head

    async def publish(self, kind: str, fields: Mapping[str, Any]) -> Event:
        """Validate friendly input for `kind`, sign and store our next event, update the read models; return it."""
        if kind in UNPUBLISHABLE_KINDS:
            raise PayloadError(f"{kind} is written by the node itself, never published by hand", field="kind")
        payload = build_payload(kind, fields)
        if kind == redactions.REDACT_KIND:
            await redactions.check_target(self.astore, self.identity.public_key, payload)
        head = await self.astore.head(self.identity.public_key)
        self.own_head.check(head.seq + 1 if head is not None else 1)  # never fork our own log (node/own_head.py)
        return await self._append(kind, payload)

    async def commit_next_key(self, commitment: bytes) -> Event:
        """Sign the log's first event: the `key.commit` to the next key (docs/PROTOCOL.md §11; at creation only)."""
        head = await self.astore.head(self.identity.public_key)
        if head is not None:
            raise InvalidEventError(
                f"the commitment to the next key is a log's first event, and this log has {head.seq} already; "
                "only a key rotation can set a new one",
                field="kind",
            )
        self.own_head.check(1)
        return await self._append("key.commit", build_payload("key.commit", {"next": commitment}))

    async def _append(self, kind: str, payload: bytes) -> Event:
        async with self.watcher.own_write():
            event, notification_id = await self.astore.append_own_noted(self.identity, kind, payload, self.clock())
            self.watcher.told_own([notification_id])
            await redactions.apply(self.astore, [event])
            await self.read_models.refresh()
        return event

    async def ingest(self, events: Iterable[Event], mode: Mode = Mode.HEAD, *, refresh: bool = True) -> IngestResult:
        """Store peers' valid events and update the read models (without `refresh` they may lag); return the decision."""
        async with self.watcher.own_write():
            ingested = await self.astore.ingest(events, mode)
            result = ingested.result
            if result.stored:
                self.watcher.told_own(ingested.notification_ids)
                await redactions.apply(self.astore, result.stored)
        if result.superseded:  # events the read models show were dropped: project the log again (rare)
            await self.read_models.rebuild()
        elif result.stored or result.forks:
            await self.read_models.stored(defer=not refresh)
        return result

    async def add_fork_proof(self, proof: ForkProof, *, refresh: bool = True) -> bool:
        """Verify and store a fork proof; True iff it was new (then the read models follow, unless not `refresh`)."""
        stored = await self.astore.add_fork_proof(proof)
        if stored and refresh:
            await self.read_models.refresh()
        return stored
