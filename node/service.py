"""The running node: its identity and store, composed from small parts with one job each; no HTTP here.

    writer.py      publish our own events, ingest peers' (redactions applied)     -> Writer
    watch.py       notice what another process stored in the same store            -> ExternalWrites
    own_head.py    may we sign our next event (a peer confirmed our head)?       -> OwnHead
    readmodels.py  keep the read models current (deferred refresh, digest cache)   -> ReadModels
    reads.py       read verbs that need the store too (groups, one group, events)  -> Reads
    settings.py    the settings: peers added, credentials reloaded on change       -> SettingsKeeper
    status.py      what `solnet status` and GET /api/v1/node show                 -> NodeStatus

NodeService wires them together and tells listeners about stored events (the "notifications" section below);
handlers call its verbs, one per thing they do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from events import Event, ForkProof, Identity, Mode
from events.ingest import IngestResult
from events.kinds import build_value
from events.readmodel.joins import graph_edges
from events.readmodel.view import ViewReader
from events.sealed import PRIVATE_KINDS, SEALED_KIND, seal

from . import discussion, private_events
from .datadir import DataDir, Settings
from .notices import Listener, Source, Stored
from .own_head import OwnHead
from .paging import FIRST_PAGE, Page, PageRequest
from .private_keys import EncryptionKeys
from .readmodels import ReadModels
from .reads import Reads
from .references import ReferenceError, reference_errors
from .settings import SettingsKeeper
from .status import VERSION, NodeStatus, StatusProvider
from .store import AsyncStore, EventStore, PreparedIngest
from .store.async_store import DEFAULT_READ_TIMEOUT_S
from .store.listing_sql import MAX_HIDDEN
from .watch import ExternalWrites
from .writer import Writer

__all__ = ["VERSION", "Listener", "NodeService", "now_ms"]

T = TypeVar("T")
PROFILE_KIND = "group.profile"


def blocked_groups(view: ViewReader, *, own: bytes) -> frozenset[bytes]:
    """Return the groups whose documents this node's pages leave out: those it blocked (the first MAX_HIDDEN by id)."""
    return frozenset(sorted(graph_edges(view, own, "block"))[:MAX_HIDDEN])


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
        own_head: OwnHead | None = None,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT_S,
    ):
        self.store = store
        self.astore = AsyncStore(store, read_timeout=read_timeout)
        self.identity = identity
        self.data_dir = data_dir
        self.settings_keeper = SettingsKeeper(settings, data_dir)
        self.encryption_keys = EncryptionKeys(data_dir)
        self.read_models = ReadModels(store, self.astore, self.encryption_keys.pairs)
        self.read_models.hiding = partial(blocked_groups, own=identity.public_key)
        self.watcher = ExternalWrites(self.astore)
        # Unconfirmed unless the caller says otherwise: a data dir may be a restored backup (node/own_head.py).
        self.own_head = own_head or OwnHead()
        self.writer = Writer(
            self.astore, identity, clock, watcher=self.watcher, read_models=self.read_models, own_head=self.own_head
        )
        self.reads = Reads(self.astore, self.read_models)
        self.node_status = NodeStatus(self.astore, identity, self.settings_keeper, self.read_models)
        self.node_status.providers.append(self._own_head_status)
        self.listeners: list[Listener] = []  # told by the "notifications" section below

    @property
    def group_id(self) -> str:
        """Return the node's own group id (`sn_…`)."""
        return self.identity.group_id

    # --- settings ------------------------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """Return the node's current settings (read-only: peers are added with `add_peer`)."""
        return self.settings_keeper.current

    def add_peer(self, url: str, *, persist: bool = True) -> Settings:
        """Record a peer URL (saved in the data dir if `persist`); return the settings. See SettingsKeeper.add_peer."""
        return self.settings_keeper.add_peer(url, persist=persist)

    def update_settings(self, **changes: Any) -> Settings:
        """Change the time zone or the shared login (saved in the data dir); return the settings. See SettingsKeeper.update."""
        return self.settings_keeper.update(**changes)

    def credentials(self) -> Settings:
        """Return the settings to check an API token or web password against, read again if the file changed."""
        return self.settings_keeper.credentials()

    # --- notifications: listeners are told about every stored event once ----------------------------------------

    async def publish(self, kind: str, fields: Mapping[str, Any]) -> Event:
        """Validate friendly input for `kind`, sign and store our next event, update read models, tell listeners."""
        return await _finished(self._publish(kind, fields))

    async def _publish(self, kind: str, fields: Mapping[str, Any]) -> Event:
        if kind in PRIVATE_KINDS:  # an answer to a private document is private to its recipients, always
            value = build_value(kind, fields)
            to = await self.read_models.check_private(
                lambda private, public: private_events.answered_recipients(private, kind, value)
            )
            if to is not None:
                return await self._publish_private(kind, fields, to)
        if kind in discussion.CHECKED:
            fields = await self.query(discussion.prepare, kind, fields, self.identity.public_key, self.now())
        event = await self.writer.publish(kind, fields)
        if kind == PROFILE_KIND:  # the node is called what its group's newest profile says, never anything else
            payload = event.payload_value()
            if isinstance(payload, dict) and isinstance(payload.get("name"), str):
                self.settings_keeper.update(name=payload["name"])
        await self._notify([event], Source.PUBLISHED)
        return event

    async def publish_private(self, kind: str, fields: Mapping[str, Any], to: Sequence[bytes] | str) -> Event:
        """Publish `kind` privately to the groups `to` (ids, or "followed") and ours (docs/KINDS.md, "Private events")."""
        own = self.identity.public_key
        value = build_value(kind, fields)
        answered = await self.read_models.check_private(
            lambda private, public: private_events.answered_recipients(private, kind, value)
        )
        chosen = answered or await self.read_models.check_private(
            lambda private, public: private_events.chosen_recipients(public, own, to)
        )
        return await _finished(self._publish_private(kind, fields, chosen))

    async def _publish_private(self, kind: str, fields: Mapping[str, Any], to: Sequence[bytes]) -> Event:
        # the checks of a public publish, against the private read models, on the SYNC lane (as Writer.publish's)
        own, now = self.identity.public_key, self.now()
        if kind in discussion.CHECKED:  # a reply to a private comment gets its thread's root
            fields = await self.read_models.check_private(
                lambda private, public: discussion.prepare(private, kind, fields, own, now)
            )
        value = build_value(kind, fields)
        errors = await self.read_models.check_private(lambda private, public: reference_errors(private, own, kind, value))
        if errors:
            raise ReferenceError(errors)
        others = [g for g in to if g != own]  # our own key is the ring's: known here before it is published
        keys = await self.read_models.check_private(lambda private, public: private_events.encryption_keys_of(public, others))
        keys.append(self.encryption_keys.current.public)
        await self.ensure_encryption_key()  # only once nothing can refuse the publish: a refusal stores nothing
        event = await self.writer.publish(SEALED_KIND, seal(kind, value, to, keys, self.identity.public_key), by_node=True)
        await self._notify([event], Source.PUBLISHED)
        return event

    async def ensure_encryption_key(self) -> Event | None:
        """Publish our current encryption key (`key.encryption`) unless our log's newest one is it; return the event."""
        key = self.encryption_keys.current.public
        if await self.read_models.check_private(
            lambda private, public: private_events.own_key_published(public, self.identity.public_key, key)
        ):
            return None
        event = await self.writer.publish(private_events.ENCRYPTION_KEY_KIND, {"key": key}, by_node=True)
        await self._notify([event], Source.PUBLISHED)
        return event

    async def rotate_encryption_key(self) -> Event:
        """Make a new encryption key (older ones still open older events) and publish it; return the `key.encryption`."""
        self.encryption_keys.rotate()
        event = await self.ensure_encryption_key()
        assert event is not None  # a new key is never the published one
        return event

    async def private_query(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(private_views, public_views, *args)` off the event loop (node/private_events.py's readers)."""
        return await self.read_models.query_private(fn, *args)

    async def commit_next_key(self, commitment: bytes) -> Event:
        """Sign the log's first event, the commitment to the next key (at `init`), and tell listeners."""
        event = await self.writer.commit_next_key(commitment)
        await self._notify([event], Source.PUBLISHED)
        return event

    async def rotate_key(self, signer: Identity, commitment: bytes, after: int | None = None) -> Event:
        """Rotate the group's log to `signer`'s key, committing to `commitment` next (Writer.rotate); from now on
        this node signs with it. Tells listeners (peers get the rotation like any event of ours)."""
        event = await _finished(self.writer.rotate(signer, commitment, after))
        self.identity = self.writer.identity
        self.node_status.identity = self.identity
        await self._notify([event], Source.PUBLISHED)
        return event

    async def ingest(
        self, events: Iterable[Event], mode: Mode = Mode.HEAD, *, refresh: bool = True, source: Source = Source.INGESTED
    ) -> IngestResult:
        """Store peers' valid events, update read models and tell listeners what was new, as from `source`.

        `source` is Source.PEER when the sync agent ingests (it relays those itself), else an import's INGESTED.

        With `refresh=False` the read models may lag (a bulk sync projects once at its end, through
        `refresh_if_stale`, instead of after every batch), but never by more than MAX_REFRESH_LAG_S.
        """
        return await _finished(self._notified(self.writer.ingest(list(events), mode, refresh=refresh), source))

    async def decide_ingest(
        self, events: list[Event], mode: Mode, after: PreparedIngest | None = None, *, payloads_checked: bool = False
    ) -> PreparedIngest:
        """Return the ingest decision for `events`, as it will be once `after` (a decision being written) is stored;
        `ingest_decided` writes it. Lets an import decide one batch while the one before it is written.
        `payloads_checked`: see events.ingest.decide."""
        return await self.writer.decide(events, mode, after, payloads_checked=payloads_checked)

    async def ingest_decided(
        self, events: list[Event], decided: PreparedIngest, mode: Mode, *, refresh: bool = True, source: Source = Source.INGESTED
    ) -> IngestResult:
        """Like `ingest`, writing `decide_ingest`'s decision for `events` (decided again if it went stale)."""
        return await _finished(self._notified(self.writer.ingest_decided(events, decided, mode, refresh=refresh), source))

    async def _notified(self, ingest: Awaitable[IngestResult], source: Source) -> IngestResult:
        result = await ingest
        if result.stored:
            await self._notify(result.stored, source)
        return result

    async def poll_external(self, limit: int = 1000) -> list[Event]:
        """Pick up events stored by another process on the same store (e.g. `solnet publish` while serving)."""
        events = await self.watcher.poll(limit)
        if not events:
            return []
        await self.read_models.refresh()
        await self._notify(events, Source.EXTERNAL)
        return events

    async def _notify(self, events: Iterable[Event], source: Source) -> None:
        notice = Stored(tuple(events), source)
        own = self.identity.public_key
        if any(e.header.author == own and e.header.kind in ("graph.block", "graph.unblock") for e in notice.events):
            self.read_models.forget_hidden()  # pages show or hide a group at once (node/store/hiding.py)
        for listener in list(self.listeners):
            await listener(notice)

    # --- fork proofs, watching, read models, reads, status -------------------------------------------------------

    async def add_fork_proof(self, proof: ForkProof, *, refresh: bool = True) -> bool:
        """Store a verified fork proof; True iff it was new. See Writer.add_fork_proof."""
        return await _finished(self.writer.add_fork_proof(proof, refresh=refresh))

    async def start_watching(self) -> None:
        """Remember the newest notification, so `poll_external` reports only what arrives after start."""
        await self.watcher.start()

    @property
    def stale(self) -> bool:
        """True iff an ingest with `refresh=False` stored events that the read models do not show yet."""
        return self.read_models.stale

    async def refresh_if_stale(self) -> int:
        """Project what deferred ingests stored (nothing to do if none); return how many events were projected."""
        return await self.read_models.refresh_if_stale()

    async def refresh(self) -> int:
        """Bring the read models up to the newest stored event; return how many events were projected."""
        return await self.read_models.refresh()

    async def rebuild(self) -> int:
        """Rebuild the read models from the log; return how many events were projected."""
        return await self.read_models.rebuild()

    def now(self) -> int:
        """Return the node's time in ms since the epoch (the clock its events are stamped with)."""
        return self.writer.clock()

    async def query(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read-model query `fn(views, *args, **kwargs)` off the event loop and return its result."""
        return await self.read_models.query(fn, *args, **kwargs)

    async def digest(self) -> str:
        """Return the state digest of the read models, version 2 (docs/KINDS.md, "State digest")."""
        return await self.read_models.digest()

    async def group_digests(self, after: bytes | None, limit: int) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
        """Return up to `limit` (author, group digest) pairs after author `after`, and the next page's `after` (or None)."""
        return await self.read_models.group_digests(after, limit)

    async def groups(self, request: PageRequest = FIRST_PAGE) -> Page:
        """Return a page of known groups with event counts and fork flags (GET /api/v1/groups, /groups, `solnet list`)."""
        return await self.reads.groups(request)

    async def group(self, group_id: str) -> dict[str, Any]:
        """Return one group's profile, count, fork flag and publications; raise RequestError or NotFoundError."""
        return await self.reads.group(group_id)

    async def relation(self, group_id: str) -> dict[str, bool]:
        """Return {"follow": bool, "block": bool}: whether this node's group follows and blocks the group `group_id`."""
        return await self.reads.relation(self.identity.public_key, group_id)

    async def event(self, event_id: bytes) -> Event | None:
        """Return the stored event with id `event_id`, or None."""
        return await self.reads.event(event_id)

    async def over_log(self, fn: Callable[[Iterator[Event], list[ForkProof]], T]) -> T:
        """Return `fn(events, fork_proofs)` run off the event loop over the whole log (`solnet export`)."""
        return await self.reads.over_log(fn)

    @property
    def status_providers(self) -> list[StatusProvider]:
        """Return the list of coroutines whose dicts `info` adds (federation appends its own)."""
        return self.node_status.providers

    async def _own_head_status(self) -> dict[str, Any]:
        return self.own_head.status()

    async def info(self) -> dict[str, Any]:
        """Return what `solnet status` and GET /api/v1/node show."""
        return await self.node_status.info()

    async def close(self) -> None:
        """Close the store (and its threads); the service is not used afterwards."""
        await self.astore.close()


async def _finished(write: Coroutine[Any, Any, T]) -> T:
    """Await a write that must finish once begun: if the caller is cancelled (its HTTP client went away, and the
    node cancels handlers on disconnect), the write still completes, read models and listeners included."""
    task = asyncio.ensure_future(write)
    task.add_done_callback(_retrieved)
    return await asyncio.shield(task)


def _retrieved(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()  # the caller, if still there, has it; this only keeps asyncio from reporting it as lost
