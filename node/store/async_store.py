"""The store for asyncio code: every blocking call runs off the event loop, every write on one writer thread.

One writer thread keeps this process's writes in order (SQLite takes one writer at a time anyway, and our own
log's seq is taken without waiting on ourselves); beside it a decider thread can decide an import's next batch
while the writer writes the one before (`decide_ingest`, `write_decided`). Reads run on two separate reader pools,
so that no kind of read waits behind another and none waits behind a write (SQLite in WAL mode and PostgreSQL both
let reads run while a write commits; the library's pool hands file-based SQLite readers their own connections):
- QUERIES: read-model queries for pages and API lists (`read`), the ones that can be slow (4 threads: SQLite and
  psycopg release the GIL while a statement runs, so reads use both cores while one of them is slow);
- SYNC: the store's own small reads (heads, logs, notifications, one event) that sync, the digest and the
  status use (`read_sync`), so they always find a free thread however many page queries are slow.
Every read runs in a ReadScope (node/store/readscope.py) with a deadline (`read_timeout`): past it the database
stops the read and the caller gets ReadTimeoutError; a read whose awaiting task is cancelled (its HTTP client
went away: the app cancels handlers on disconnect) is stopped too, and `close` stops every read still running
instead of waiting for it. A lane refuses a read (ReadersBusyError) when `queue` reads already wait for its threads.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import threading
import time
from collections.abc import Callable, Container, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from events.chain import ChainHead, Mode
from events.event import Event
from events.fork import ForkProof
from events.identity import Identity

from ..errors import ReadersBusyError, ReadInterruptedError
from .base import EventStore
from .ingest import PreparedIngest, StoreIngest
from .readscope import ReadScope, scoped

T = TypeVar("T")
log = logging.getLogger("solnet.store")

DEFAULT_READ_TIMEOUT_S = 5.0
CLOSE_GRACE_S = 2.0
"""How long `close` waits for interrupted readers to leave the database before it closes the store anyway."""


class Lane(enum.Enum):
    """Which reader pool a read runs on."""

    QUERIES = "queries"
    SYNC = "sync"


class _Pool:
    """One lane's threads, and how many reads it holds (running or waiting) against its bound."""

    def __init__(self, lane: Lane, threads: int, queue: int):
        self.lane = lane
        self.threads = threads
        self.bound = threads + queue
        self.held = 0
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"store-{lane.value}")


class AsyncStore:
    """Awaitable facade over an EventStore: writes on a single writer thread, reads on two bounded reader pools."""

    def __init__(
        self,
        store: EventStore,
        *,
        readers: int = 4,
        sync_readers: int = 2,
        queue: int = 64,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT_S,
    ):
        self.store = store
        self.read_timeout = read_timeout
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        # decides a batch while the writer writes the one before it (decide_ingest: the import's pipeline)
        self._decider = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-decider")
        self._pools = {Lane.QUERIES: _Pool(Lane.QUERIES, readers, queue), Lane.SYNC: _Pool(Lane.SYNC, sync_readers, queue)}
        self._running: set[ReadScope] = set()
        self._closing = False

    @property
    def closing(self) -> bool:
        """True once `close` has begun: long work (a projection catch-up) stops at its next batch."""
        return self._closing

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking write `fn(*args, **kwargs)` on the writer thread and return its result."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, functools.partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking read-model query `fn(*args, **kwargs)` on the QUERIES lane, within the read deadline."""
        return await self.run_read(Lane.QUERIES, self.read_timeout, fn, *args, **kwargs)

    async def read_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store read `fn(*args, **kwargs)` on the SYNC lane, within the read deadline."""
        return await self.run_read(Lane.SYNC, self.read_timeout, fn, *args, **kwargs)

    async def run_read(self, lane: Lane, timeout: float | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` on `lane`'s threads as a read with this deadline (None: none) and return its result.

        Raises ReadTimeoutError past the deadline, ReadersBusyError if the lane is full, ReadInterruptedError once
        the store is closing; if the awaiting task is cancelled, the read is stopped in the database as well.
        """
        if self._closing:
            raise ReadInterruptedError("the node is shutting down; reads are no longer served")
        pool = self._pools[lane]
        if pool.held >= pool.bound:
            raise ReadersBusyError(f"{pool.held} {lane.value} reads are running or waiting; try again shortly", field="lane")
        scope = ReadScope(f"a {lane.value} read ({getattr(fn, '__name__', 'query')})", timeout)
        call = functools.partial(_run_scoped, scope, fn, args, kwargs)
        future = asyncio.get_running_loop().run_in_executor(pool.executor, call)
        pool.held += 1
        self._running.add(scope)
        try:
            if timeout is None:
                return await future
            # asyncio.wait, not wait_for: on Python 3.11 wait_for can swallow the caller's cancellation when the
            # inner future finishes at the same moment, and a task that loops (the external-writes watcher) then
            # never ends, so shutdown waited for it forever.
            done, _ = await asyncio.wait({future}, timeout=timeout)
            if not done:
                _stop(scope)
                future.cancel()  # its thread's late error is not wanted by anyone
                raise scope.error()
            return future.result()
        except asyncio.CancelledError:
            _stop(scope)
            future.cancel()
            raise
        finally:
            pool.held -= 1
            self._running.discard(scope)

    def interrupt_reads(self) -> int:
        """Stop every read running or waiting now (at shutdown); return how many there were."""
        scopes = list(self._running)
        for scope in scopes:
            _stop(scope)
        return len(scopes)

    async def append_own(self, identity: Identity, kind: str, payload: bytes, timestamp: int) -> Event:
        """See EventStore.append_own."""
        return await self.write(self.store.append_own, identity, kind, payload, timestamp)

    async def append_own_noted(self, identity: Identity, kind: str, payload: bytes, timestamp: int) -> tuple[Event, int]:
        """See EventStore.append_own_noted."""
        return await self.write(self.store.append_own_noted, identity, kind, payload, timestamp)

    async def ingest(self, events: Iterable[Event], mode: Mode = Mode.HEAD) -> StoreIngest:
        """See EventStore.ingest."""
        return await self.write(self.store.ingest, list(events), mode)

    async def decide_ingest(
        self, events: list[Event], mode: Mode, after: PreparedIngest | None = None, *, payloads_checked: bool = False
    ) -> PreparedIngest:
        """See EventStore.decide_ingest: on the decider thread, so it runs while the writer thread writes `after`."""
        call = functools.partial(self.store.decide_ingest, events, mode, after, payloads_checked=payloads_checked)
        return await asyncio.get_running_loop().run_in_executor(self._decider, call)

    async def write_decided(self, prepared: PreparedIngest) -> StoreIngest:
        """See EventStore.write_decided."""
        return await self.write(self.store.write_decided, prepared)

    async def add_fork_proof(self, proof: ForkProof) -> bool:
        """See EventStore.add_fork_proof."""
        return await self.write(self.store.add_fork_proof, proof)

    async def drop_payload(self, event_id: bytes) -> bool:
        """See EventStore.drop_payload."""
        return await self.write(self.store.drop_payload, event_id)

    async def head(self, author: bytes) -> ChainHead | None:
        """See EventStore.head."""
        return await self.read_sync(self.store.head, author)

    async def heads(self) -> dict[bytes, ChainHead]:
        """See EventStore.heads."""
        return await self.read_sync(self.store.heads)

    async def counts(self) -> dict[bytes, int]:
        """See EventStore.counts."""
        return await self.read_sync(self.store.counts)

    async def get(self, event_id: bytes) -> Event | None:
        """See EventStore.get."""
        return await self.read_sync(self.store.get, event_id)

    async def ids_starting(self, prefix: str, limit: int) -> list[bytes]:
        """See EventStore.ids_starting."""
        return await self.read_sync(self.store.ids_starting, prefix, limit)

    async def read_log(self, author: bytes, from_seq: int = 1, limit: int = 1000) -> list[Event]:
        """See EventStore.read_log."""
        return await self.read_sync(self.store.read_log, author, from_seq, limit)

    async def notifications(self, after: int = 0, limit: int = 1000) -> list[tuple[int, Event]]:
        """See EventStore.notifications."""
        return await self.read_sync(self.store.notifications, after, limit)

    async def notifications_except(self, after: int, limit: int, skip: Container[int]) -> tuple[int, list[Event]]:
        """See EventStore.notifications_except."""
        return await self.read_sync(self.store.notifications_except, after, limit, skip)

    async def max_notification_id(self) -> int:
        """See EventStore.max_notification_id."""
        return await self.read_sync(self.store.max_notification_id)

    async def fork_proofs(self, author: bytes | None = None) -> list[ForkProof]:
        """See EventStore.fork_proofs."""
        return await self.read_sync(self.store.fork_proofs, author)

    async def forked_authors(self) -> set[bytes]:
        """See EventStore.forked_authors."""
        return await self.read_sync(self.store.forked_authors)

    async def close(self) -> None:
        """Finish queued writes, stop every read (running ones are interrupted, not waited for), close the store."""
        self._closing = True
        self.interrupt_reads()
        loop = asyncio.get_running_loop()
        for pool in self._pools.values():
            pool.executor.shutdown(wait=False, cancel_futures=True)
        await loop.run_in_executor(None, self._decider.shutdown, True)
        await loop.run_in_executor(None, self._writer.shutdown, True)
        readers = [t for pool in self._pools.values() for t in list(pool.executor._threads)]
        await loop.run_in_executor(None, _join_all, readers, CLOSE_GRACE_S)
        if any(t.is_alive() for t in readers):
            log.warning("a reader thread is still inside the database after %.0f s; closing the store anyway", CLOSE_GRACE_S)
        self.store.close()


def _run_scoped(scope: ReadScope, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    """Run on a reader thread: `fn` as `scope`'s read (refused at once if it expired while it waited for a thread)."""
    scope.check()
    with scoped(scope):
        return fn(*args, **kwargs)


def _stop(scope: ReadScope) -> None:
    """Stop a read from the event loop: flag it now, and interrupt its statement off the loop (a PostgreSQL cancel blocks)."""
    scope.stopped = True
    threading.Thread(target=scope.interrupt, name="store-interrupt", daemon=True).start()


def _join_all(threads: list[threading.Thread], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
