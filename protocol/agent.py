"""A node's protocol engine: serves peer requests and runs sync, push and relay through a Transport.

`SyncAgent` ties the plain decision objects (PullSession, Gossip, PeerBook, ReplicationPolicy) to a
Replica and a Transport: it sends through a PeerClient, relays through a Relay and answers wants as
protocol/serving.py chooses. It has no timers: the node's scheduler decides when to call `sync_with`,
`exchange_peers` and `publish`; relays that follow a received push or pull run as background tasks,
which `idle()` waits for. The agent relays what it ingested itself, by its own rules (never back to the
sender), so whoever tells it about local events tells it only about those.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from events import Event, ForkProof

from .client import PeerClient
from .errors import MessageError, ProtocolError, UnexpectedMessageError
from .gossip import Gossip
from .messages import (
    PROTOCOL_VERSION,
    Ack,
    ErrorReply,
    EventBatch,
    ForkProofs,
    Frontier,
    FrontierEntry,
    Hello,
    Message,
    PeerList,
    Push,
    Want,
    WantForks,
    decode_message,
    encode_message,
)
from .peers import FORGED_POINTS, MALFORMED_POINTS, REPLAY_POINTS, UNREQUESTED_POINTS, PeerBook
from .policy import ReplicationPolicy
from .pull import run_pull
from .relay import Relay
from .replica import IngestResult, Replica
from .serving import Reader, serve_want, want_records
from .sync import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_EVENTS, PullSession, frontier_of
from .transport import Origin, Transport

_ACKED_MEMORY = 4096
Decoder = Callable[[bytes, Any], Awaitable[Message]]


@dataclass(frozen=True, slots=True)
class SyncReport:
    """The outcome of one sync with a peer."""

    peer: str
    complete: bool
    stored: int = 0
    duplicates: int = 0
    forks: int = 0
    rejected: int = 0
    violations: tuple[str, ...] = ()
    error: str = ""


class SyncAgent:
    """Serves one node's side of the protocol and drives its pulls, pushes and relays."""

    def __init__(
        self,
        transport: Transport,
        replica: Replica,
        group: bytes,
        *,
        policy: ReplicationPolicy | None = None,
        book: PeerBook | None = None,
        gossip: Gossip | None = None,
        clock: Callable[[], float] = time.monotonic,
        announce: bool = True,
        max_batch_events: int = DEFAULT_BATCH_EVENTS,
        max_batch_bytes: int = DEFAULT_BATCH_BYTES,
        on_error: Callable[[BaseException], None] | None = None,
    ):
        self.transport = transport
        self.replica = replica
        self.group = group
        self.policy = policy or ReplicationPolicy.everyone(own=group)
        self.book = book or PeerBook(own_url=transport.address)
        self.gossip = gossip or Gossip()
        self.clock = clock
        self.client = PeerClient(transport, self.book, clock)
        self.max_batch_events = max_batch_events
        self.max_batch_bytes = max_batch_bytes
        self.on_error = on_error
        self._tasks: set[asyncio.Task[Any]] = set()
        self._storing = 0  # pulls and pushes under way; the last to finish flushes the replica
        self._acked: dict[str, OrderedDict[bytes, None]] = {}
        self._pulling: dict[bytes, int] = {}
        self._relay = Relay(self.client, self.gossip, lambda: self.policy, announce=announce)
        transport.serve(self.handle_bytes)

    @property
    def announce(self) -> bool:
        """True iff peers that get no push of new events get an announcement of their heads."""
        return self._relay.announce

    @announce.setter
    def announce(self, value: bool) -> None:
        self._relay.announce = value

    # --- serving -------------------------------------------------------------------------------------------------

    def is_banned(self, origin: Origin, now: float) -> bool:
        """True iff the sender's transport key, or its confirmed URL, is banned."""
        return self.book.is_banned(origin.key, now) or (origin.url is not None and self.book.is_banned(origin.url, now))

    def penalise_oversized(self, key: str) -> None:
        """Charge a request refused for its size before it was read: it is malformed, whoever sent it."""
        self.book.penalise(key, MALFORMED_POINTS, "sent an oversized request", self.clock())

    async def handle_bytes(
        self, sender: str | Origin, data: bytes, expected: type | tuple[type, ...] | None = None, *, decode: Decoder | None = None
    ) -> bytes:
        """Decode a request (of `expected` type when given), answer it, encode the reply; bad ones get ErrorReply + penalty.

        `decode` replaces `decode_message` (the node passes one that decodes a large body off its event loop).
        """
        origin = sender if isinstance(sender, Origin) else Origin.authentic(sender)
        now = self.clock()
        if self.is_banned(origin, now):
            return encode_message(ErrorReply("banned", "this node does not talk to you for now"))
        try:
            message = await decode(data, expected) if decode is not None else decode_message(data, expected)
        except (MessageError, UnexpectedMessageError) as exc:
            self.book.penalise(origin.key, MALFORMED_POINTS, f"malformed request: {exc}", now)
            return encode_message(ErrorReply(exc.code, str(exc)[:512]))
        try:
            reply = await self.handle(origin, message)
        except UnexpectedMessageError as exc:
            self.book.penalise(origin.key, MALFORMED_POINTS, str(exc), now)
            reply = ErrorReply(exc.code, str(exc)[:512])
        return encode_message(reply)

    async def handle(self, sender: str | Origin, message: Message) -> Message:
        """Return the reply to a decoded request (raise UnexpectedMessageError for a reply-only message).

        Penalties go to the origin's transport key; what the sender holds is learnt only under a confirmed URL.
        """
        origin = sender if isinstance(sender, Origin) else Origin.authentic(sender)
        if isinstance(message, Hello):
            if message.version != PROTOCOL_VERSION:
                return ErrorReply("unsupported_protocol", f"this node speaks protocol {PROTOCOL_VERSION} only")
            return self.hello_message()
        if isinstance(message, Frontier):
            if origin.url is not None:
                self.gossip.learn_frontier(origin.url, message)
            return await self.frontier()
        if isinstance(message, Want):
            return await serve_want(
                self.replica, message, self.policy, max_events=self.max_batch_events, max_bytes=self.max_batch_bytes
            )
        if isinstance(message, Push):
            return await self._on_push(origin, message)
        if isinstance(message, ForkProofs):
            return await self._on_fork_proofs(origin.url, message.proofs)
        if isinstance(message, WantForks):
            return ForkProofs(tuple(await self.replica.fork_proofs(message.authors)))
        if isinstance(message, PeerList):
            self.book.merge(message)
            return self.book.peer_list()
        raise UnexpectedMessageError(f"{type(message).__name__} is a reply, not a request", field="tag")

    async def want_records(self, want: Want, read_records: Reader[bytes]) -> list[bytes]:
        """Return the stored records that answer `want`, chosen as `handle` chooses a Want's events (policy, bounds)."""
        return await want_records(
            read_records, want, self.policy, max_events=self.max_batch_events, max_bytes=self.max_batch_bytes
        )

    def hello_message(self) -> Hello:
        """Return this node's Hello."""
        return Hello(PROTOCOL_VERSION, self.group, max_batch_events=self.max_batch_events, max_batch_bytes=self.max_batch_bytes)

    async def frontier(self) -> Frontier:
        """Return this node's current Frontier (authors the policy excludes left out)."""
        forked = [p.author for p in await self.replica.fork_proofs()]
        return frontier_of(await self.replica.heads(), forked, self.policy)

    async def _on_push(self, origin: Origin, push: Push) -> Ack:
        now = self.clock()
        sender = origin.url
        acked = self._acked.setdefault(origin.url or origin.key, OrderedDict())
        if push.events and all(e.id in acked for e in push.events):
            self.book.penalise(origin.key, REPLAY_POINTS, "replayed a push this node already acknowledged", now)
            return Ack(0, len(push.events), 0, 0)
        if sender is not None:
            self.gossip.learn_events(sender, push.events)
            self.gossip.learn_heads(sender, push.heads)
        wanted = [e for e in push.events if self.policy.replicates(e.author)]
        self._storing += 1
        try:
            result = await self.replica.ingest(wanted) if wanted else IngestResult()
        finally:
            self._storing -= 1
        if wanted:
            await self._flush_when_idle()
        forged = [r for r in result.misbehaviour if r.code != "seq_gap"]
        if forged:
            self.book.penalise(origin.key, FORGED_POINTS, f"pushed invalid events ({forged[0].code})", now)
        for event in result.stored:
            acked[event.id] = None
        while len(acked) > _ACKED_MEMORY:
            acked.popitem(last=False)
        self._after_ingest(result, origin=sender)
        heads = await self.replica.heads()
        behind = {
            e.author: e
            for e in push.heads
            if self.policy.replicates(e.author) and (e.author not in heads or heads[e.author].seq < e.seq)
        }
        for r in result.rejected:
            if r.code in ("seq_gap", "broken_link") and r.author not in behind:
                behind[r.author] = FrontierEntry(r.author, r.seq, r.event_id)
        fresh = [e for e in behind.values() if self._pulling.get(e.author, 0) < e.seq]
        if fresh and sender is not None:  # a sender with no confirmed URL cannot be pulled from
            # Marked before the pull starts: announcements handled meanwhile must not start a second pull.
            for entry in fresh:
                self._pulling[entry.author] = entry.seq
            self._spawn(self._pull_announced(sender, fresh))
        return Ack(len(result.stored), result.duplicates, len(result.forks), len(result.rejected))

    async def _on_fork_proofs(self, sender: str | None, proofs: Sequence[ForkProof]) -> Ack:
        new = []
        for proof in proofs:
            if sender is not None:
                self._relay.peer_holds_proofs(sender, [proof.author])
            if await self.replica.add_fork_proof(proof):
                new.append(proof)
        if new:
            self._spawn(self._relay.proofs(new))
        return Ack(stored=len(new), duplicates=len(proofs) - len(new))

    # --- driving -------------------------------------------------------------------------------------------------

    async def request(self, peer: str, message: Message, expected: type | tuple[type, ...]) -> Any:
        """Send a request, check the reply's type, and keep the peer's health record; raise ProtocolError on failure."""
        return await self.client.request(peer, message, expected)

    async def hello(self, peer: str) -> Hello:
        """Exchange Hello with a peer and remember its group key; raise ProtocolError on failure."""
        reply = await self.request(peer, self.hello_message(), Hello)
        self.book.add(peer, reply.group)
        return reply

    async def sync_with(self, peer: str, *, greet: bool = False) -> SyncReport:
        """Exchange frontiers with `peer`, pull what it has and we lack, trade fork proofs; never raises ProtocolError.

        With `greet`, a peer whose group key is not known yet gets a Hello first (a failure is the sync's to report).
        """
        if greet and self.book.health(peer).group is None:
            with contextlib.suppress(ProtocolError):
                await self.hello(peer)
        try:
            ours = await self.frontier()
            theirs = await self.request(peer, ours, Frontier)
            self.gossip.learn_frontier(peer, theirs)
            report = await self._pull(peer, theirs)
            if not report.complete:
                return report
            fetch = [a for a in theirs.forked if a not in set(ours.forked) and self.policy.replicates(a)]
            if fetch:
                got = await self.request(peer, WantForks(tuple(fetch)), ForkProofs)
                await self._on_fork_proofs(peer, got.proofs)
            send = [a for a in ours.forked if a not in set(theirs.forked)]
            if send:
                await self.request(peer, ForkProofs(tuple(await self.replica.fork_proofs(send))), Ack)
                self._relay.peer_holds_proofs(peer, send)
            return report
        except ProtocolError as exc:
            return SyncReport(peer, False, error=str(exc))

    async def _pull(self, peer: str, theirs: Frontier) -> SyncReport:
        forked = [p.author for p in await self.replica.fork_proofs()]
        session = PullSession(
            await self.replica.heads(),
            theirs,
            policy=self.policy,
            max_events=self.max_batch_events,
            max_bytes=self.max_batch_bytes,
            forked=forked,
        )
        for entry in session.checks:
            mine = await self.replica.read_log(entry.author, entry.seq, 1)
            session.check(entry, mine[0].id if mine else None)
        self._storing += 1
        try:
            error = await run_pull(
                session,
                self.replica,
                lambda want: self.request(peer, want, EventBatch),
                keep=lambda e: self.policy.replicates(e.author),
                on_batch=lambda batch: self.gossip.learn_events(peer, batch.events),
                on_result=lambda result: self._after_ingest(result, origin=peer),
                flush=False,
            )
        finally:
            self._storing -= 1
            await self._flush_when_idle()
        rejected = session.finish(complete=not error)
        now = self.clock()
        if session.unvouched_at_end:
            self.book.penalise(peer, FORGED_POINTS, f"served {session.unvouched_at_end} events no signature vouched for", now)
        elif session.violations:
            self.book.penalise(peer, UNREQUESTED_POINTS, session.violations[0], now)
        return SyncReport(
            peer,
            not error,
            session.stored,
            session.duplicates,
            session.forks,
            len(rejected),
            tuple(session.violations),
            error,
        )

    async def _flush_when_idle(self) -> None:
        # A flush (read models, for the node) while another pull is still storing would be redone at its end:
        # during a catch-up, a push or a second pull ending first would otherwise project mid-way, every time.
        if self._storing == 0:
            await self.replica.flush()

    async def _pull_announced(self, peer: str, heads: list[FrontierEntry]) -> None:
        # One pull per author at a time (the caller marked them in _pulling): a second would fetch a second copy.
        try:
            await self._pull(peer, Frontier(tuple(heads)))
        finally:
            for entry in heads:
                if self._pulling.get(entry.author) == entry.seq:
                    del self._pulling[entry.author]

    async def publish(self, events: Sequence[Event]) -> None:
        """Push new local events (already in the replica) to `fanout` peers and announce them to the rest."""
        await self._relay.events(list(events), origin=None)

    async def exchange_peers(self, peer: str) -> int:
        """Trade peer lists with `peer`; return how many new peers were learnt (0 on failure)."""
        try:
            reply = await self.request(peer, self.book.peer_list(), PeerList)
        except ProtocolError:
            return 0
        return self.book.merge(reply)

    @property
    def busy(self) -> bool:
        """True while a relay, an announced pull or a fork-proof spread that this agent started is under way."""
        return any(not t.done() for t in self._tasks)

    async def cancel(self) -> None:
        """Cancel this agent's background tasks and wait for them to end."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until the background relays this agent started have finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- background tasks ----------------------------------------------------------------------------------------

    def _after_ingest(self, result: IngestResult, origin: str | None) -> None:
        if result.stored:
            self._spawn(self._relay.events(list(result.stored), origin))
        if result.forks:
            self._spawn(self._relay.proofs(list(result.forks)))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        if self.on_error is not None:
            self.on_error(task.exception())
        else:  # pragma: no cover - the node installs on_error
            asyncio.get_running_loop().call_exception_handler(
                {"message": "sync agent task failed", "exception": task.exception()}
            )
