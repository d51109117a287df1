"""The gossip scheduler: pushes local events at once, runs anti-entropy rounds and peer exchange, writes peer health.

Timers and I/O wiring live here and nowhere in protocol/: the SyncAgent decides what to say, `Claims` whose
claimed URL counts, `SyncStats` what is reported; this decides when, runs their background tasks, and holds
the aiohttp session and the health file. Every `interval` seconds (jittered) a round syncs with `sync_peers`
random available peers (the PeerBook's backoff and circuit breaker decide who is available), at most
`concurrency` syncs, peer exchanges and claim call-backs at once; every `exchange_every` rounds it also
trades peer lists. A cut sync simply ends: the next round starts from the store's new heads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiohttp

from events import group_id_text
from protocol import (
    OLDEST_PROTOCOL_VERSION,
    Admission,
    Claims,
    Counters,
    Gossip,
    Origin,
    PeerBook,
    Quarantine,
    SyncAgent,
    SyncReport,
    SyncStats,
)

from ..errors import NotFoundError
from ..notices import Source, Stored
from ..service import NodeService
from .config import FederationConfig
from .policy import policy_from_views
from .replica import NodeReplica
from .subscriptions import Subscriptions
from .transport import HttpTransport

log = logging.getLogger("solnet.federation")
HEALTH_FILE = "peer-health.json"


NEW_PEER_RETRIES = (1.0, 3.0, 9.0)  # seconds before each retry of a new operator-chosen peer's first sync


class Federation:
    """One node's gossip: the SyncAgent over HTTP, the anti-entropy loop, the local-events listener, peer health."""

    def __init__(self, service: NodeService, config: FederationConfig):
        self.service = service
        self.config = config
        rng = random.Random(config.seed)
        self._rng = rng
        self.transport = HttpTransport(None, config.own_url, timeout=config.timeout)  # type: ignore[arg-type]
        self.replica = NodeReplica(service, config.mode)
        self.book = PeerBook(own_url=self.transport.address, rng=random.Random(rng.random()))
        self.agent = SyncAgent(
            self.transport,
            self.replica,
            service.identity.public_key,
            book=self.book,
            gossip=Gossip(fanout=config.fanout, relay_fanout=config.relay_fanout, rng=random.Random(rng.random())),
            on_error=self._task_failed,
            max_batch_events=config.batch_events,
            max_batch_bytes=config.batch_bytes,
            peer_exchange=config.peer_exchange,
            allow_private=config.allow_private_peers,
            admission=Admission(mode=config.replication, per_hour=config.new_authors_per_hour, chosen=self.book.is_chosen),
            protocol_version=config.protocol_version,
        )
        self.stats = SyncStats()
        self.transport.reachable = config.reachable
        self.subscriptions = Subscriptions(
            identity=service.identity,
            transport=self.transport,
            book=self.book,
            agent=self.agent,
            signing_keys=self.replica.signing_keys,
            sync=self.sync_with,
            spawn=self._spawn,
            on_error=self._task_failed,
            max_subscribers=config.max_subscribers,
            heartbeat=config.heartbeat,
            timeout=config.timeout,
            rng=random.Random(rng.random()),
        )
        self._limit = asyncio.Semaphore(config.concurrency)
        # A call-back hello is version 1, which every node answers (one before v2 refuses a hello of version 2).
        self.claims = Claims(
            self.transport,
            self.book,
            lambda: self.agent.hello_message(OLDEST_PROTOCOL_VERSION),
            concurrency=config.callback_concurrency,
            timeout=config.callback_timeout,
            per_key=config.callbacks_per_minute,
            allow_private=config.allow_private_peers,
            clock=self.agent.clock,
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._round_running = False
        self._started_wall = time.time()

    # --- lifecycle -----------------------------------------------------------------------------------------------

    async def start(self, session: aiohttp.ClientSession, learnt_session: aiohttp.ClientSession | None = None) -> None:
        """Start gossiping over `session`: add the configured peers, listen for local events, start the loop.

        Peers nobody chose (learnt from greetings or peer lists) are contacted through `learnt_session`,
        whose resolver keeps only public addresses (node/federation/guard.py); without one, `session` is
        used for them too, and only their syntax and literal addresses are checked.
        """
        transport = self.transport
        transport.session = session
        transport.learnt_session = learnt_session or session
        transport.trusted = self.book.is_chosen
        transport.allow_private = self.config.allow_private_peers
        for url in (*self.config.peers, *self.config.subscribe):
            self.book.add(url.rstrip("/"), chosen=True)
        self.subscriptions.start(session, self.config.subscribe)
        await self.refresh_policy()
        self.service.listeners.append(self._on_local_events)
        self.service.status_providers.append(self.status)
        self.service.own_head.add_holders(self.own_seq_holder)
        self._loop_task = asyncio.create_task(self._loop(), name="gossip-anti-entropy")

    async def stop(self) -> None:
        """Stop the loop and the pushes in flight (idempotent); the session is the caller's to close."""
        if self._on_local_events in self.service.listeners:
            self.service.listeners.remove(self._on_local_events)
        if self.status in self.service.status_providers:
            self.service.status_providers.remove(self.status)
        self.service.own_head.remove_holders(self.own_seq_holder)
        await self.subscriptions.stop()
        tasks = [t for t in (self._loop_task, *self._tasks) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.agent.cancel()
        self._loop_task = None

    @property
    def counters(self) -> Counters:
        """Return the node's federation totals (rounds, events received, pushes, errors)."""
        return self.stats.counters

    @property
    def busy(self) -> bool:
        """True while a round, a push or a relay is under way (tests wait for all nodes to be not busy)."""
        return self._round_running or any(not t.done() for t in self._tasks) or self.agent.busy

    # --- the loop ------------------------------------------------------------------------------------------------

    async def _loop(self) -> None:
        first = True
        while True:
            try:
                await self.sync_round(all_peers=first)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a store outage must not stop gossip for good; the next round retries
                self._task_failed(exc)
            first = False
            delay = self.config.interval * (0.5 + self._rng.random())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    def wake(self) -> None:
        """Run the next anti-entropy round now."""
        self._wake.set()

    async def sync_round(self, *, all_peers: bool = False) -> list[SyncReport]:
        """Sync with `sync_peers` random available peers (every available one if `all_peers`); trade peer lists sometimes."""
        self._round_running = True
        try:
            await self.refresh_policy()
            available = self.book.available(self.agent.clock())
            chosen = available if all_peers else self._rng.sample(available, min(self.config.sync_peers, len(available)))
            reports = list(await asyncio.gather(*(self.sync_with(p) for p in chosen)))
            self.counters.rounds += 1
            if self.config.peer_exchange and available and (all_peers or self.counters.rounds % self.config.exchange_every == 0):
                await self.exchange_peers(self._rng.choice(available))
            await self._write_health()
            return reports
        finally:
            self._round_running = False

    async def sync_with(self, peer: str) -> SyncReport:
        """Run one anti-entropy sync with `peer` (bounded by the concurrency semaphore) and record its outcome."""
        async with self._limit:
            report = await self.agent.sync_with(peer, greet=True)
        self.stats.record_sync(report, time.time())
        await self._own_head_after(peer, report.complete)
        return report

    async def _own_head_after(self, peer: str, complete: bool) -> None:
        # A complete sync pulled the peer's copy of our own log: publishing may go on from our head (node/own_head.py).
        if not complete:
            self.service.own_head.failed(peer)
            return
        own = self.service.identity.public_key
        head = await self.service.astore.head(own)
        if self.agent.gossip.has(peer, own, (head.seq if head else 0) + 1):
            # It claimed more of our log than it served: an unbacked claim must not block publishing for good.
            log.warning("%s claims events of this group's log that it did not serve; its claims are dropped", peer)
            self.agent.gossip.forget(peer)
        self.service.own_head.answered(peer)

    def own_seq_holder(self, seq: int) -> str | None:
        """Return a peer known to hold our own event at `seq` (the OwnHead check asks), or None."""
        return self.agent.gossip.holder(self.service.identity.public_key, seq)

    async def exchange_peers(self, peer: str) -> int:
        """Trade peer lists with `peer`; return how many peers were new."""
        async with self._limit:
            return await self.agent.exchange_peers(peer)

    async def refresh_policy(self) -> None:
        """Recompute the replication policy from our own follow/block events."""
        own = self.service.identity.public_key
        self.agent.policy = await self.service.query(
            policy_from_views, own, follow_only=self.config.follow_only, follow_depth=self.config.follow_depth
        )

    # --- hooks ---------------------------------------------------------------------------------------------------

    async def _on_local_events(self, notice: Stored) -> None:
        if notice.source is Source.PEER or not notice.events:
            return  # the agent relays what it ingested itself, never back to its sender
        own = self.service.identity.public_key
        if any(e.author == own and e.kind.startswith("graph.") for e in notice.events):
            await self.refresh_policy()
        self.counters.pushes_sent += 1
        self._spawn(self.agent.publish(notice.events))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._task_failed(task.exception())  # type: ignore[arg-type]

    def _task_failed(self, exc: BaseException) -> None:
        log.error("gossip task failed: %r", exc, exc_info=exc)
        self.stats.record_error(exc)

    def count_oversized(self, sender: str) -> None:
        """An oversized request is malformed: count it and penalise its sender."""
        self.counters.oversized_requests += 1
        self.agent.penalise_oversized(sender)

    # --- who sent it ----------------------------------------------------------------------------------------------

    def origin(self, key: str, claimed: str | None, greeting_group: bytes | None = None) -> Origin:
        """Return the Origin of a request from remote `key` claiming URL `claimed` (protocol.Claims decides).

        A call-back that the claim needs runs as a background task; until it confirmed the claim, the URL is ignored.
        """
        origin, callback = self.claims.origin(key, claimed, greeting_group)
        if callback is not None:
            self._spawn(self.claims.confirm(callback))
        return origin

    # --- peers and health ----------------------------------------------------------------------------------------

    async def add_peer(self, url: str) -> dict[str, Any]:
        """Add a peer (from the API), sync with it soon, and return its health."""
        url = url.rstrip("/")
        self.book.add(url, chosen=True)  # the operator's: evicts a learnt peer if the book is full
        # a sync with it now, not when a round happens to draw it from a book of (maybe unreachable) learnt peers
        self._spawn(self._sync_new_peer(url))
        return self.peer_json(url)

    async def _sync_new_peer(self, url: str) -> None:
        # A peer the operator just added is tried again soon if the first sync fails (it may still be starting),
        # rather than waiting for a round to draw it from a book that may be full of learnt peers.
        for delay in (*NEW_PEER_RETRIES, None):
            report = await self.sync_with(url)
            await self._write_health()
            if report.complete or delay is None or not self.book.is_chosen(url):
                return
            await asyncio.sleep(delay)

    def quarantine_json(self, offset: int, limit: int) -> dict[str, Any]:
        """Return a page of the quarantine: per origin, the new groups it offered that were not taken."""
        admission = self.agent.admission
        origins = list(admission.quarantine.items())[offset : offset + limit]
        return {
            "mode": admission.mode,
            "origins": len(admission.quarantine),
            "quarantine": [
                {
                    "origin": origin,
                    "dropped": box.dropped,
                    "groups": [
                        {"group_id": group_id_text(h.author), "seq": h.seq, "events_held": len(h.events)}
                        for h in box.authors.values()
                    ],
                }
                for origin, box in origins
            ],
        }

    async def accept_offers(self, origin: str, groups: list[bytes] | None) -> dict[str, Any]:
        """Accept what `origin` offered (only `groups` if given): store the held events, pull the rest soon."""
        if origin not in self.agent.admission.quarantine:
            raise NotFoundError(f"nothing is held from {origin!r:.80}", field="origin")
        before = set(self.agent.admission.quarantine[origin].authors)
        events = self.agent.admission.accept(origin, groups)
        accepted = before - set(self.agent.admission.quarantine.get(origin, Quarantine()).authors)
        stored: list[Any] = []
        if events:
            result = await self.replica.ingest(events)
            await self.replica.flush()
            stored = list(result.stored)
            if stored:
                self._spawn(self.agent.publish(stored))  # relayed as if new here: they are, to our peers
        self.wake()  # the next round pulls the rest of their logs from any peer that has them
        return {"origin": origin, "accepted": len(accepted), "stored": len(stored)}

    def peer_json(self, url: str) -> dict[str, Any]:
        """Return one peer's health as JSON: state, failures, points, when it last answered, its last sync."""
        return self.stats.peer_json(self.book, url, self.agent.clock(), time.time())

    async def peers_json(self) -> list[dict[str, Any]]:
        """Return every known peer's health."""
        return self.stats.peers_json(self.book, self.agent.clock(), time.time())

    async def status(self) -> dict[str, Any]:
        """Return the federation part of the node's info (GET /api/v1/node, `solnet status`)."""
        transport = self.transport
        admission = self.agent.admission
        status = self.stats.status_json(
            self.book,
            self.agent.policy,
            own_url=transport.address,
            sent=transport.bytes_sent,
            received=transport.bytes_received,
            now=self.agent.clock(),
            wall=time.time(),
        )
        status["replication"].update(
            mode=admission.mode, new_authors_per_hour=admission.per_hour, quarantined_origins=len(admission.quarantine)
        )
        status["subscriptions"] = self.subscriptions.status()
        return status

    async def _write_health(self) -> None:
        if self.config.health_file is None:
            return
        snapshot = {"written_at": time.time(), **(await self.status())}
        await asyncio.to_thread(_write_json, self.config.health_file, snapshot)


def _write_json(path: Path, value: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=1))
    tmp.replace(path)


def peers_from(urls: Iterable[str]) -> tuple[str, ...]:
    """Return peer URLs without trailing slashes or duplicates, in order."""
    return tuple(dict.fromkeys(u.rstrip("/") for u in urls))
