"""The store for asyncio code: every blocking call runs off the event loop, every write on one writer thread.

One writer thread keeps this process's writes in order (SQLite takes one writer at a time anyway, and our own
log's seq is taken without waiting on ourselves); reads run on a small separate pool so a long ingest does
not hold up a page view.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Container, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from events.chain import ChainHead, Mode
from events.event import Event
from events.fork import ForkProof
from events.identity import Identity

from .base import EventStore
from .ingest import StoreIngest

T = TypeVar("T")


class AsyncStore:
    """Awaitable facade over an EventStore: writes on a single writer thread, reads on a reader pool."""

    def __init__(self, store: EventStore, *, readers: int = 2):
        self.store = store
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="store-reader")

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking write `fn(*args, **kwargs)` on the writer thread and return its result."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, functools.partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking read `fn(*args, **kwargs)` on the reader pool and return its result."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, functools.partial(fn, *args, **kwargs))

    async def append_own(self, identity: Identity, kind: str, payload: bytes, timestamp: int) -> Event:
        """See EventStore.append_own."""
        return await self.write(self.store.append_own, identity, kind, payload, timestamp)

    async def append_own_noted(self, identity: Identity, kind: str, payload: bytes, timestamp: int) -> tuple[Event, int]:
        """See EventStore.append_own_noted."""
        return await self.write(self.store.append_own_noted, identity, kind, payload, timestamp)

    async def ingest(self, events: Iterable[Event], mode: Mode = Mode.HEAD) -> StoreIngest:
        """See EventStore.ingest."""
        return await self.write(self.store.ingest, list(events), mode)

    async def add_fork_proof(self, proof: ForkProof) -> bool:
        """See EventStore.add_fork_proof."""
        return await self.write(self.store.add_fork_proof, proof)

    async def drop_payload(self, event_id: bytes) -> bool:
        """See EventStore.drop_payload."""
        return await self.write(self.store.drop_payload, event_id)

    async def head(self, author: bytes) -> ChainHead | None:
        """See EventStore.head."""
        return await self.read(self.store.head, author)

    async def heads(self) -> dict[bytes, ChainHead]:
        """See EventStore.heads."""
        return await self.read(self.store.heads)

    async def counts(self) -> dict[bytes, int]:
        """See EventStore.counts."""
        return await self.read(self.store.counts)

    async def get(self, event_id: bytes) -> Event | None:
        """See EventStore.get."""
        return await self.read(self.store.get, event_id)

    async def read_log(self, author: bytes, from_seq: int = 1, limit: int = 1000) -> list[Event]:
        """See EventStore.read_log."""
        return await self.read(self.store.read_log, author, from_seq, limit)

    async def notifications(self, after: int = 0, limit: int = 1000) -> list[tuple[int, Event]]:
        """See EventStore.notifications."""
        return await self.read(self.store.notifications, after, limit)

    async def notifications_except(self, after: int, limit: int, skip: Container[int]) -> tuple[int, list[Event]]:
        """See EventStore.notifications_except."""
        return await self.read(self.store.notifications_except, after, limit, skip)

    async def max_notification_id(self) -> int:
        """See EventStore.max_notification_id."""
        return await self.read(self.store.max_notification_id)

    async def fork_proofs(self, author: bytes | None = None) -> list[ForkProof]:
        """See EventStore.fork_proofs."""
        return await self.read(self.store.fork_proofs, author)

    async def forked_authors(self) -> set[bytes]:
        """See EventStore.forked_authors."""
        return await self.read(self.store.forked_authors)

    async def close(self) -> None:
        """Finish queued work, stop the threads and close the store."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._writer.shutdown, True)
        await loop.run_in_executor(None, self._readers.shutdown, True)
        self.store.close()
