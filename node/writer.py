"""Writing through the store: our own events signed and appended, peers' events ingested, redactions applied.

Every write is marked as this process's (node/watch.py) and brings the read models along (node/readmodels.py);
telling listeners is the caller's (NodeService's) business.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from events import Event, ForkProof, Identity, Mode, create_event
from events.canonical import pack
from events.errors import PayloadError
from events.ingest import IngestResult
from events.kinds import build_payload, build_value

from . import redactions
from .errors import InvalidEventError, StaleDecisionError
from .own_head import OwnHead
from .readmodels import ReadModels
from .references import ReferenceError, reference_errors
from .store import AsyncStore, PreparedIngest, StoreIngest
from .watch import ExternalWrites

UNPUBLISHABLE_KINDS = frozenset({"key.commit", "key.rotate"})
"""Kinds no one publishes by hand: `key.commit` is written once, at creation (`commit_next_key`); `key.rotate` only
by `rotate`, with the recovery kit's key (docs/PROTOCOL.md §11, node/rotation.py)."""
NODE_KINDS = frozenset({"key.encryption", "sealed"})
"""Kinds the node writes for its users, never taken as they are: an encryption key (`NodeService.ensure_encryption_key`)
and a private event, sealed here (`NodeService.publish_private`, docs/KINDS.md "Private events")."""


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

    async def publish(self, kind: str, fields: Mapping[str, Any], *, by_node: bool = False) -> Event:
        """Validate friendly input for `kind`, sign and store our next event, update the read models; return it.

        `by_node`: the node itself writes one of NODE_KINDS."""
        if kind in UNPUBLISHABLE_KINDS or (kind in NODE_KINDS and not by_node):
            raise PayloadError(f"{kind} is written by the node itself, never published by hand", field="kind")
        value = build_value(kind, fields)
        # On the SYNC lane, like the other checks of a publish: writes go on while every query thread is busy.
        errors = await self.astore.read_sync(reference_errors, self.read_models.views, self.identity.public_key, kind, value)
        if errors:
            raise ReferenceError(errors)
        payload = pack(value)
        if kind == redactions.REDACT_KIND:
            await redactions.check_target(self.astore, self.identity.public_key, payload)
        head = await self.astore.head(self.identity.public_key)
        self.own_head.check(head.seq + 1 if head is not None else 1)  # never fork our own log (node/own_head.py)
        await self._check_signing_key()
        return await self._append(kind, payload)

    async def _check_signing_key(self) -> None:
        """Refuse to sign unless this node's key is the one in force for its log (a rotation may have moved it)."""
        me = self.identity.public_key
        keyed = (await self.astore.read_sync(self.astore.store.key_heads, [me])).get(me)
        if (keyed[0].state.key if keyed else me) != self.identity.signing_key:
            raise InvalidEventError(
                "this node's key is not the one in force for its log (the log was rotated to another key): its events "
                "would be rejected everywhere. Rotate with the recovery kit (solnet key recover KIT)",
                field="key",
            )

    async def rotate(self, signer: Identity, commitment: bytes, after: int | None = None) -> Event:
        """Sign and store a `key.rotate` to `signer`'s key (the committed one), committing to `commitment` next.

        It goes after our head, or (`after`) right after our event at that seq: then it supersedes what the store
        holds above it (docs/PROTOCOL.md §11.1). It is stored through the ingest decision, which verifies it like
        any peer's; a refused rotation raises InvalidEventError and changes nothing. Return the rotation.
        """
        me = self.identity.public_key
        head = await self.astore.head(me)
        if head is None:
            raise InvalidEventError("this node holds none of its group's log: nothing to rotate", field="seq")
        at = head.seq if after is None else after
        if not 1 <= at <= head.seq:
            raise InvalidEventError(f"--after must be a seq of the stored log, 1 to {head.seq}", field="after")
        if after is None or not self.own_head.confirmed:  # with `after`, peers may hold the seqs it supersedes
            self.own_head.check(at + 1)
        [previous] = await self.astore.read_log(me, at, 1)
        payload = build_payload("key.rotate", {"key": signer.signing_key, "next": commitment})
        event = create_event(signer.rotated(me), kind="key.rotate", payload=payload, timestamp=self.clock(), previous=previous)
        result = await self.ingest([event], Mode.FULL)
        if event.id not in {e.id for e in result.stored}:
            why = "; ".join(f"{r.code}: {r.message}" for r in (*result.rejected, *result.forked)) or "not stored"
            raise InvalidEventError(f"the rotation was refused: {why}", field="key")
        self.identity = signer.rotated(me)
        return event

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
        events = list(events)
        return await self._written(lambda: self.astore.ingest(events, mode), refresh)

    async def decide(
        self, events: list[Event], mode: Mode, after: PreparedIngest | None = None, *, payloads_checked: bool = False
    ) -> PreparedIngest:
        """Return the ingest decision for `events` (see EventStore.decide_ingest; `after`: the decision being written
        now), made beside the writer thread; `ingest_decided` writes it."""
        return await self.astore.decide_ingest(events, mode, after, payloads_checked=payloads_checked)

    async def ingest_decided(
        self, events: list[Event], decided: PreparedIngest, mode: Mode, *, refresh: bool = True
    ) -> IngestResult:
        """Like `ingest`, writing `decided` (`decide`'s decision for `events`); if another writer took one of its log
        positions first, or it was decided after a decision that was not written, `events` are decided again."""

        async def write() -> StoreIngest:
            try:
                return await self.astore.write_decided(decided)
            except StaleDecisionError:
                return await self.astore.ingest(events, mode)

        return await self._written(write, refresh)

    async def _written(self, write: Callable[[], Awaitable[StoreIngest]], refresh: bool) -> IngestResult:
        """Run an ingest's `write` as this process's, apply its redactions and bring the read models along."""
        async with self.watcher.own_write():
            ingested = await write()
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
