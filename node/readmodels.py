"""Keeping the node's read models current: projecting what the store holds, deferred refreshes, the digest cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from events.readmodel.digest import state_digest
from events.readmodel.projection import project

from .errors import TrackingError
from .store import AsyncStore, EventStore, Projector
from .store.async_store import Lane

T = TypeVar("T")
REFRESH_ATTEMPTS = 5
MAX_REFRESH_LAG_S = 30.0  # a deferred refresh still happens at least this often during a long catch-up


class ReadModels:
    """The read models over one store: refreshed after writes (or deferred, and then known to be stale)."""

    def __init__(self, store: EventStore, astore: AsyncStore):
        self.store = store
        self.astore = astore
        self.views = store.view_store()
        self.projector = Projector(store, self.views, project, stop=lambda: astore.closing)
        self._digest_cache: tuple[tuple[int, int], str] | None = None
        self._digest_task: asyncio.Future[str] | None = None
        self._stored_gen = 0  # deferred ingests that stored something, counted; read models cover _projected_gen of them
        self._projected_gen = 0
        self._stale_since: float | None = None

    async def stored(self, *, defer: bool = False) -> None:
        """Note that a write stored something: refresh now, or (`defer`) later, but never more than MAX_REFRESH_LAG_S late."""
        if not defer:
            await self.refresh()
            return
        self._stored_gen += 1
        if self._stale_since is None:
            self._stale_since = time.monotonic()
        elif time.monotonic() - self._stale_since > MAX_REFRESH_LAG_S:
            await self.refresh()

    @property
    def stale(self) -> bool:
        """True iff a deferred write stored events that the read models do not show yet."""
        return self._stored_gen > self._projected_gen

    async def refresh_if_stale(self) -> int:
        """Project what deferred writes stored (nothing to do if none); return how many events were projected."""
        return await self.refresh() if self.stale else 0

    async def refresh(self) -> int:
        """Bring the read models up to the newest stored event; return how many events were projected."""
        covers = self._stored_gen  # the writer thread runs in order: this refresh sees every ingest queued before it
        for _ in range(REFRESH_ATTEMPTS):
            try:
                projected = await self.astore.write(self.projector.catch_up)
                break
            except TrackingError:
                continue  # another process (the CLI while serving, or the server) projected first: go on from there
        else:
            projected = await self.astore.write(self.projector.catch_up)
        self._projected_gen = max(self._projected_gen, covers)
        if not self.stale:
            self._stale_since = None
        return projected

    async def catch_up(self, limit: int) -> int:
        """Project at most `limit` of the events the read models do not show yet (a long refresh in reportable steps);
        return how many were projected. `refresh` afterwards still settles what deferred writes left stale."""
        try:
            return await self.astore.write(self.projector.catch_up, limit)
        except TrackingError:
            return 0  # another process projected first; the next step goes on from there

    async def rebuild(self) -> int:
        """Rebuild the read models from the log; return how many events were projected."""
        return await self.astore.write(self.projector.rebuild)

    async def query(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read-model query `fn(views, *args, **kwargs)` off the event loop and return its result."""
        return await self.astore.read(fn, self.views, *args, **kwargs)

    def digest_sync(self) -> str:
        """Return the state digest, recomputed only when the read models or the forked set have changed."""
        forked = self.store.forked_authors()
        # Read models only change by projecting further (the tracked position moves) and the forked set only
        # grows, so the pair names the state; hashing every document on each status request would not scale.
        key = (self.views.position(), len(forked))
        cached = self._digest_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        value = state_digest(self.views, forked)
        self._digest_cache = (key, value)
        return value

    async def digest(self) -> str:
        """Return the state digest of the read models (docs/KINDS.md, "State digest")."""
        # On the SYNC lane, so that page queries never hold it up. One computation at a time, shared by every caller
        # and shielded from their cancellation (a status request whose client gave up): a digest cut short would
        # be lost (the cache keeps only whole ones) and every retry would start it again and never finish. No
        # deadline for the same reason; it still stops at shutdown, as every read does.
        task = self._digest_task
        if task is None or task.done():
            task = self._digest_task = asyncio.ensure_future(self.astore.run_read(Lane.SYNC, None, self.digest_sync))
            task.add_done_callback(_retrieved)
        return await asyncio.shield(task)


def _retrieved(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()  # whoever awaited it has it; this only keeps asyncio from reporting it as never retrieved
