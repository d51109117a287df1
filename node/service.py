"""The running node: its identity, store, read models and the hooks federation uses; no HTTP here."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from events import Event, Identity, Mode, group_id_text
from events.errors import EventError, PayloadError
from events.ingest import IngestResult
from events.kinds import build_payload, decode_payload
from events.readmodel.digest import state_digest
from events.readmodel.projection import project

from .datadir import DataDir, Settings
from .errors import ConfigError, TrackingError
from .store import AsyncStore, EventStore, Projector

T = TypeVar("T")
Listener = Callable[[list[Event]], Awaitable[None]]
VERSION = "0.1.0"
REDACT_KIND = "log.redact"
UNPUBLISHABLE_KINDS = frozenset({"key.commit", "key.rotate"})
"""Kinds a node must not sign yet: verifiers reject key rotation until it is implemented (PROTOCOL.md §11)."""
REFRESH_ATTEMPTS = 5
MAX_REFRESH_LAG_S = 30.0  # a deferred refresh still happens at least this often during a long catch-up


def now_ms() -> int:
    """Return the wall clock in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


class NodeService:
    """One group's node: publishes its own events, ingests peers' events and keeps the read models current."""

    def __init__(
        self,
        *,
        store: EventStore,
        identity: Identity,
        settings: Settings,
        data_dir: DataDir | None = None,
        clock: Callable[[], int] = now_ms,
    ):
        self.store = store
        self.astore = AsyncStore(store)
        self.views = store.view_store()
        self.projector = Projector(store, self.views, project)
        self.identity = identity
        self.settings = settings
        self.data_dir = data_dir
        self.clock = clock
        self.listeners: list[Listener] = []
        # Listeners are told about every stored event once: ours when we store them, another process's (the CLI)
        # when `poll_external` finds them. _seen: every notification up to it was told; _own: ids of our writes
        # after _seen (stored while an older notification, maybe another process's, was not told yet)
        self._seen = 0
        self._own: set[int] = set()
        self._noted = 0  # own writes noted so far
        self._digest_cache: tuple[tuple[int, int], str] | None = None
        self._writing = 0  # writes of this process under way (their notification ids may not be noted yet)
        self._stored_gen = 0  # deferred ingests that stored something, counted; read models cover _projected_gen of them
        self._projected_gen = 0
        self._stale_since: float | None = None
        self.status_providers: list[Callable[[], Awaitable[dict[str, Any]]]] = []
        self._settings_stamp = self._settings_file_stamp()

    def credentials(self) -> Settings:
        """Return the settings to check an API token or web password against.

        The token and password hashes are read again from the data dir when its settings file changed, so
        `solnet passwd` takes effect on a running node at once (a stat per call; the file is replaced atomically).
        """
        stamp = self._settings_file_stamp()
        if stamp is not None and stamp != self._settings_stamp and self.data_dir is not None:
            try:
                fresh = self.data_dir.settings()
            except ConfigError:
                return self.settings  # (keep what was read last; the next call looks again)
            self.settings = replace(self.settings, token_hash=fresh.token_hash, password_hash=fresh.password_hash)
            self._settings_stamp = stamp
        return self.settings

    def _settings_file_stamp(self) -> int | None:
        if self.data_dir is None:
            return None
        try:
            return self.data_dir.settings_file.stat().st_mtime_ns
        except OSError:
            return None

    @property
    def group_id(self) -> str:
        return self.identity.group_id

    async def publish(self, kind: str, fields: Mapping[str, Any]) -> Event:
        """Validate friendly input for `kind`, sign and store our next event, update read models, tell listeners."""
        if kind in UNPUBLISHABLE_KINDS:
            raise PayloadError(f"{kind} cannot be published yet: key rotation is specified, not implemented", field="kind")
        payload = build_payload(kind, fields)
        if kind == REDACT_KIND:
            await self._check_redaction_target(payload)
        async with self._own_write():
            event, notification_id = await self.astore.append_own_noted(self.identity, kind, payload, self.clock())
            self._told_own([notification_id])
            await self._apply_redactions([event])
            await self.refresh()
        await self._notify([event])
        return event

    async def ingest(self, events: Iterable[Event], mode: Mode = Mode.HEAD, *, refresh: bool = True) -> IngestResult:
        """Store peers' valid events, update read models and tell listeners what was new; return the ingest decision.

        With `refresh=False` the read models may lag (a bulk sync projects once at its end, through
        `refresh_if_stale`, instead of after every batch), but never by more than MAX_REFRESH_LAG_S.
        """
        async with self._own_write():
            ingested = await self.astore.ingest(events, mode)
            result = ingested.result
            if result.stored:
                self._told_own(ingested.notification_ids)
                await self._apply_redactions(result.stored)
        if result.stored or result.forks:
            if refresh:
                await self.refresh()
            else:
                self._stored_gen += 1
                if self._stale_since is None:
                    self._stale_since = time.monotonic()
                elif time.monotonic() - self._stale_since > MAX_REFRESH_LAG_S:
                    await self.refresh()
        if result.stored:
            await self._notify(list(result.stored))
        return result

    async def _check_redaction_target(self, payload: bytes) -> None:
        """Refuse a redaction that does not name an event of our own log that still has its payload."""
        target = await self.astore.get(decode_payload(REDACT_KIND, payload).event)
        if target is None or target.author != self.identity.public_key:
            raise PayloadError("a redaction must name an earlier event of this group's own log", field="event")
        if target.payload is None:
            raise PayloadError("that event's payload was already dropped", field="event")

    async def _apply_redactions(self, events: Iterable[Event]) -> None:
        """Drop the payloads that stored `log.redact` events ask for (docs/PROTOCOL.md §12); the headers stay."""
        for event in events:
            if event.kind != REDACT_KIND or event.payload is None:
                continue
            try:
                target_id = decode_payload(REDACT_KIND, event.payload).event
            except EventError:
                continue  # an invalid redaction is stored and relayed like any invalid payload, and does nothing
            target = await self.astore.get(target_id)
            if target is not None and target.author == event.author and target.seq < event.seq and target.payload is not None:
                await self.astore.drop_payload(target_id)

    def _told_own(self, ids: Iterable[int]) -> None:
        """Note the notification ids of events this process stored (and tells listeners about itself)."""
        ids = sorted(ids)
        if not ids:
            return
        self._noted += 1
        if not self._own and ids[0] == self._seen + 1 and ids[-1] - ids[0] + 1 == len(ids):
            self._seen = ids[-1]  # the usual case: nothing stored by anyone else in between
        else:
            self._own.update(ids)  # `poll_external` reads past them to what another process stored

    @contextlib.asynccontextmanager
    async def _own_write(self) -> AsyncIterator[None]:
        """Mark a write of this process as under way, so `poll_external` does not take it for another's."""
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1

    async def start_watching(self) -> None:
        """Remember the newest notification, so `poll_external` reports only what arrives after start."""
        self._seen = await self.astore.max_notification_id()

    async def poll_external(self, limit: int = 1000) -> list[Event]:
        """Pick up events stored by another process on the same store (e.g. `solnet publish` while serving)."""
        if self._writing:
            return []  # our own write may be committed but not yet noted by _told_own: look again next time
        newest = await self.astore.max_notification_id()
        if newest <= self._seen or self._writing:
            return []
        after, noted = self._seen, self._noted
        newest, events = await self.astore.notifications_except(after, limit, frozenset(self._own))
        # a write of ours that finished meanwhile may be in the page without being in the ids skipped: look again
        if self._writing or self._noted != noted or newest <= after:
            return []
        self._seen = newest
        self._own = {n for n in self._own if n > newest}
        if not events:
            return []
        await self.refresh()
        await self._notify(events)
        return events

    @property
    def stale(self) -> bool:
        """True iff an ingest with `refresh=False` stored events that the read models do not show yet."""
        return self._stored_gen > self._projected_gen

    async def refresh_if_stale(self) -> int:
        """Project what deferred ingests stored (nothing to do if none); return how many events were projected."""
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

    async def rebuild(self) -> int:
        """Rebuild the read models from the log."""
        return await self.astore.write(self.projector.rebuild)

    async def query(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read-model query `fn(views, *args, **kwargs)` off the event loop."""
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
        return await self.astore.read(self.digest_sync)

    async def info(self) -> dict[str, Any]:
        """Return what `solnet status` and GET /api/v1/node show."""
        counts = await self.astore.counts()
        forked = await self.astore.forked_authors()
        info: dict[str, Any] = {
            "group_id": self.group_id,
            "name": self.settings.name,
            "version": VERSION,
            "events": sum(counts.values()),
            "own_events": counts.get(self.identity.public_key, 0),
            "groups": len(counts),
            "forked_groups": sorted(group_id_text(a) for a in forked),
            "fork_proofs": len(await self.astore.fork_proofs()),
            "state_digest": await self.digest(),
            "backend": type(self.store).__name__,
        }
        for provider in self.status_providers:
            info.update(await provider())
        return info

    async def _notify(self, events: list[Event]) -> None:
        for listener in list(self.listeners):
            await listener(events)

    async def close(self) -> None:
        await self.astore.close()
