"""Keeping the node's read models current: projecting what the store holds, deferred refreshes, the digest cache."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from events.readmodel.digest import combine_groups
from events.readmodel.private import private_projector
from events.readmodel.projection import project
from events.sealed import EncryptionKeyPair

from .errors import TrackingError
from .store import AsyncStore, EventStore, Projector
from .store.hiding import HidingView

T = TypeVar("T")
REFRESH_ATTEMPTS = 5
PRIVATE_VIEWS = "private"
MAX_REFRESH_LAG_S = 30.0  # a deferred refresh still happens at least this often during a long catch-up


class ReadModels:
    """The read models over one store: refreshed after writes (or deferred, and then known to be stale)."""

    def __init__(self, store: EventStore, astore: AsyncStore, keys: Callable[[], Iterable[EncryptionKeyPair]] = tuple):
        self.store = store
        self.astore = astore
        self.views = store.view_store()
        self.projector = Projector(store, self.views, project, stop=lambda: astore.closing)
        # The documents of the sealed events `keys` open, in a set of their own (events/readmodel/private.py).
        self.private_views = store.view_store(PRIVATE_VIEWS)
        self.private_projector = Projector(store, self.private_views, private_projector(keys), stop=lambda: astore.closing)
        self._digest_cache: tuple[tuple[int, int], str] | None = None
        self._stored_gen = 0  # deferred ingests that stored something, counted; read models cover _projected_gen of them
        self._projected_gen = 0
        self._stale_since: float | None = None
        self._holding = 0  # > 0: deferred writes wait for the caller's own refresh, however long (see `holding`)
        # The authors whose documents queries leave out (the groups this node blocked), read by `hiding` when needed.
        self.hiding: Callable[[Any], frozenset[bytes]] | None = None
        self._hidden: frozenset[bytes] | None = None
        self._hidden_gen = 0

    async def stored(self, *, defer: bool = False) -> None:
        """Note that a write stored something: refresh now, or (`defer`) later, but never more than MAX_REFRESH_LAG_S late."""
        if not defer:
            await self.refresh()
            return
        self._stored_gen += 1
        if self._stale_since is None:
            self._stale_since = time.monotonic()
        elif not self._holding and time.monotonic() - self._stale_since > MAX_REFRESH_LAG_S:
            await self.refresh()

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Within this block deferred writes never refresh by themselves (MAX_REFRESH_LAG_S does not apply): for an
        import, which projects once at its end (in bulk when far behind) instead of every 30 s while it stores."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1

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
        await self.refresh_private()
        self._projected_gen = max(self._projected_gen, covers)
        if not self.stale:
            self._stale_since = None
        return projected

    async def refresh_private(self) -> int:
        """Bring the private read models up to the newest stored event; return how many events were looked at."""
        for _ in range(REFRESH_ATTEMPTS):
            try:
                return await self.astore.write(self.private_projector.catch_up)
            except TrackingError:
                continue
        return await self.astore.write(self.private_projector.catch_up)

    async def catch_up(self, limit: int) -> int:
        """Project at most `limit` of the events the read models do not show yet (a long refresh in reportable steps);
        return how many were projected. `refresh` afterwards still settles what deferred writes left stale."""
        try:
            return await self.astore.write(self.projector.catch_up, limit)
        except TrackingError:
            return 0  # another process projected first; the next step goes on from there

    @asynccontextmanager
    async def bulk(self) -> AsyncIterator[bool]:
        """Bracket a stepped catch-up (`catch_up` with limits): in bulk if far behind (node/store/projector.py);
        yields whether it is."""
        on = await self.astore.write(self.projector.begin_bulk)
        try:
            yield on
        finally:
            if on:
                await self.astore.write(self.projector.end_bulk)

    async def rebuild(self) -> int:
        """Rebuild the read models from the log; return how many events were projected."""
        projected = await self.astore.write(self.projector.rebuild)
        await self.astore.write(self.private_projector.rebuild)
        return projected

    async def query(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read-model query `fn(views, *args, **kwargs)` off the event loop and return its result; `views` leave
        out the documents of hidden (blocked) authors (node/store/hiding.py)."""
        return await self.astore.read(self._hiding_query, fn, args, kwargs)

    async def query_private(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(private_views, public_views, *args)` off the event loop: a query of the private read models."""
        return await self.astore.read(self._private_query, fn, args)

    def _private_query(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.views.pinned_reads():  # (see _hiding_query)
            return fn(self.private_views, self.shown_views(), *args)

    async def check_private(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(private_views, views, *args)` on the SYNC lane: a publish's checks, which go on while every query
        thread is busy (as Writer.publish's own)."""
        return await self.astore.read_sync(fn, self.private_views, self.views, *args)

    def _hiding_query(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        # A page's queries (often a dozen: its list, names, counts, first items per parent) share one read
        # transaction: one snapshot for the whole page, and on PostgreSQL no pooled connection, BEGIN, SET of the
        # deadline and ROLLBACK per query (~0.3 ms each). The deadline and a stop still end it (node/store/pinned.py).
        with self.views.pinned_reads():
            return fn(self.shown_views(), *args, **kwargs)

    def shown_views(self) -> Any:
        """Return the read models as pages see them: without hidden authors' documents; blocking: a reader thread."""
        hidden = self.hidden_sync()
        return HidingView(self.views, hidden) if hidden else self.views

    def hidden_sync(self) -> frozenset[bytes]:
        """Return the authors queries leave out (read again after `forget_hidden`); blocking: a reader thread."""
        hidden, gen = self._hidden, self._hidden_gen
        if hidden is None:
            hidden = self.hiding(self.views) if self.hiding is not None else frozenset()
            if gen == self._hidden_gen:  # not forgotten meanwhile: a newer block would be missing from this one
                self._hidden = hidden
        return hidden

    def forget_hidden(self) -> None:
        """Note that the node's blocks may have changed: the next query reads them again."""
        self._hidden_gen += 1
        self._hidden = None

    def digest_sync(self) -> str:
        """Return the state digest (version 2) from the stored group digests, recombined only when something changed."""
        forked = self.store.forked_authors()
        # Read models only change by projecting further (the tracked position moves) and the forked set only
        # grows, so the pair names the state. The group digests are kept current by the store (one row per
        # group to combine); the cache spares even that on repeated status requests.
        key = (self.views.position(), len(forked))
        cached = self._digest_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        position, groups = self.views.digest_state()
        value = combine_groups(groups, forked)
        self._digest_cache = ((position, len(forked)), value)
        return value

    async def digest(self) -> str:
        """Return the state digest of the read models, version 2 (docs/KINDS.md, "State digest")."""
        return await self.astore.read_sync(self.digest_sync)  # SYNC lane: never behind page queries

    async def group_digests(self, after: bytes | None, limit: int) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
        """Return up to `limit` (author, group digest) pairs after author `after`, and the next page's `after` (or None)."""
        return await self.astore.read_sync(self.views.group_digests, after, limit)
