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
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

from events import ChainHead, Event, ForkProof

from .admission import Admission
from .client import PeerClient
from .errors import MessageError, ProtocolError, TooLargeError, UnexpectedMessageError
from .gossip import Gossip
from .messages import (
    FLAG_PEER_EXCHANGE,
    KNOWN_FLAGS,
    MAX_FORK_PROOFS,
    MAX_FRONTIER_ENTRIES,
    OLDEST_PROTOCOL_VERSION,
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
    Reconcile,
    ReconcileReply,
    Want,
    WantForks,
    decode_message,
    encode_message,
)
from .peers import FORGED_POINTS, MALFORMED_POINTS, UNREQUESTED_POINTS, PeerBook
from .policy import ReplicationPolicy
from .pull import run_pull
from .pushes import handle_push
from .reconcile import answer_reconcile, reconcile_frontier
from .relay import Relay
from .replica import IngestResult, Replica
from .serving import Reader, serve_want, want_records
from .sync import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_EVENTS, PullSession, SyncReport, frontier_of
from .transport import Origin, Transport
from .urls import learnt_url_problem

Decoder = Callable[[bytes, Any], Awaitable[Message]]


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
        peer_exchange: bool = True,
        allow_private: bool = False,
        admission: Admission | None = None,
        protocol_version: int = PROTOCOL_VERSION,
    ):
        self.transport = transport
        self.replica = replica
        self.group = group
        self.policy = policy or ReplicationPolicy.everyone(own=group)
        self.admission = admission or Admission.everyone()  # which new authors are taken from whom
        self.book = book or PeerBook(own_url=transport.address)
        self.gossip = gossip or Gossip()
        self.clock = clock
        self.client = PeerClient(transport, self.book, clock)
        self.max_batch_events = max_batch_events
        self.max_batch_bytes = max_batch_bytes
        self.on_error = on_error
        self.peer_exchange = peer_exchange  # off: peer lists are neither merged nor handed out
        self.allow_private = allow_private  # learnt peer URLs may name private addresses (docs/PROTOCOL.md §13)
        self.protocol_version = protocol_version  # 1: speak only the full-frontier protocol, as nodes before v2
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
        try:
            return encode_message(reply)
        except TooLargeError as exc:  # our reply is over the limit: say so; the requester did nothing wrong
            return encode_message(ErrorReply(exc.code, str(exc)[:512]))

    async def handle(self, sender: str | Origin, message: Message) -> Message:
        """Return the reply to a decoded request (raise UnexpectedMessageError for a reply-only message).

        Penalties go to the origin's transport key; what the sender holds is learnt only under a confirmed URL.
        """
        origin = sender if isinstance(sender, Origin) else Origin.authentic(sender)
        version = message.version if isinstance(message, Hello) else 0  # a v1-only node takes 1 only, as nodes before v2
        if version >= OLDEST_PROTOCOL_VERSION and (version == 1 or self.protocol_version > 1):
            return self.hello_message(version)
        if isinstance(message, Hello) or (isinstance(message, Reconcile) and self.protocol_version < 2):
            return ErrorReply("unsupported_protocol", f"this node speaks protocols 1 to {self.protocol_version}")
        if isinstance(message, Reconcile):  # what the policy excludes is not listed, as it is left out of a frontier
            forked = [p.author for p in await self.replica.fork_proofs()]
            return await answer_reconcile(self.replica, message, forked, keep=self.policy.replicates)
        if isinstance(message, Frontier):
            if origin.url is not None:
                self.gossip.learn_frontier(origin.url, message)
            mine = await self.frontier()
            if len(mine.entries) > MAX_FRONTIER_ENTRIES:  # not a fault of the asker's: say so, nobody is penalised
                return ErrorReply("frontier_too_large", f"more than {MAX_FRONTIER_ENTRIES} authors: use protocol 2")
            return mine
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
            # Only a sender whose URL a call-back confirmed may tell us about peers, and only if exchange is on.
            if not self.peer_exchange or origin.url is None:
                return PeerList(())
            self.book.merge(message, self.may_learn)
            return self.book.peer_list()
        raise UnexpectedMessageError(f"{type(message).__name__} is a reply, not a request", field="tag")

    async def want_records(self, want: Want, read_records: Reader[bytes]) -> list[bytes]:
        """Return the stored records that answer `want`, chosen as `handle` chooses a Want's events (policy, bounds)."""
        return await want_records(
            read_records, want, self.policy, max_events=self.max_batch_events, max_bytes=self.max_batch_bytes
        )

    def hello_message(self, version: int | None = None) -> Hello:
        """Return this node's Hello for `version` (at most ours; default ours), without the peer-exchange flag when off."""
        version = self.protocol_version if version is None else min(version, self.protocol_version)
        flags = KNOWN_FLAGS if self.peer_exchange else KNOWN_FLAGS & ~FLAG_PEER_EXCHANGE
        return Hello(version, self.group, flags, self.max_batch_events, self.max_batch_bytes)

    async def frontier(self) -> Frontier:
        """Return this node's current Frontier (authors the policy excludes left out)."""
        forked = [p.author for p in await self.replica.fork_proofs()]
        return frontier_of(await self.replica.heads(), forked, self.policy)

    async def _on_push(self, origin: Origin, push: Push) -> Ack:
        return await handle_push(self, origin, push)

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
        reply = await self.client.greet(peer, self.hello_message)
        self.book.add(peer, reply.group)
        return reply

    async def sync_with(self, peer: str, *, greet: bool = False) -> SyncReport:
        """Reconcile (v2) or trade frontiers (v1) with `peer`, pull what we lack, trade fork proofs; never raises ProtocolError.

        With `greet`, a peer whose group key or version is unknown gets a Hello first (a failure is the sync's to report).
        """
        if greet and (self.book.health(peer).group is None or self.client.version(peer) is None):
            with contextlib.suppress(ProtocolError):
                await self.hello(peer)
        try:
            forked = [p.author for p in await self.replica.fork_proofs()]
            heads = None
            if (self.client.version(peer) or 1) >= 2:
                penalise = lambda exc: self.book.penalise(peer, MALFORMED_POINTS, f"malformed reply: {exc}", self.clock())  # noqa: E731
                ask = lambda request: self.request(peer, request, ReconcileReply)  # noqa: E731
                theirs, heads = await reconcile_frontier(ask, self.replica, forked, penalise)
            elif len((mine := await self.frontier()).entries) > MAX_FRONTIER_ENTRIES:
                return SyncReport(peer, False, error=f"our frontier is too large for protocol 1, which {peer} speaks")
            else:
                theirs = await self.request(peer, mine, Frontier)
            self.gossip.learn_frontier(peer, theirs)
            report = await self._pull(peer, theirs, heads)
            if not report.complete:
                return report
            fetch = [a for a in theirs.forked if a not in set(forked) and self.policy.replicates(a)][:MAX_FORK_PROOFS]
            if fetch:
                got = await self.request(peer, WantForks(tuple(fetch)), ForkProofs)
                await self._on_fork_proofs(peer, got.proofs)
            send = [a for a in forked if a not in set(theirs.forked)][:MAX_FORK_PROOFS]
            if send:
                await self.request(peer, ForkProofs(tuple(await self.replica.fork_proofs(send))), Ack)
                self._relay.peer_holds_proofs(peer, send)
            return report
        except ProtocolError as exc:
            return SyncReport(peer, False, error=str(exc))

    async def _pull(self, peer: str, theirs: Frontier, heads: Mapping[bytes, ChainHead] | None = None) -> SyncReport:
        forked = [p.author for p in await self.replica.fork_proofs()]
        heads = await self.replica.heads() if heads is None else heads
        # New authors on offer are taken only as the admission says (a chosen peer, within its quota).
        theirs = Frontier(tuple(self.admission.take_entries(peer, peer, theirs.entries, self.policy, heads)), theirs.forked)
        session = PullSession(
            heads,
            theirs,
            policy=self.policy,
            max_events=self.max_batch_events,
            max_bytes=self.max_batch_bytes,
            forked=forked,
        )
        session.keys = dict(await self.replica.signing_keys(session.authors()))
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
            await self._pull(peer, Frontier(tuple(heads)), await self.replica.heads_of([e.author for e in heads]))
        finally:
            for entry in heads:
                if self._pulling.get(entry.author) == entry.seq:
                    del self._pulling[entry.author]

    async def publish(self, events: Sequence[Event]) -> None:
        """Push new local events (already in the replica) to `fanout` peers and announce them to the rest."""
        await self._relay.events(list(events), origin=None)

    def may_learn(self, url: str) -> bool:
        """True iff a peer URL learnt from others may enter the peer book (protocol/urls.py)."""
        return learnt_url_problem(url, allow_private=self.allow_private) is None

    async def exchange_peers(self, peer: str) -> int:
        """Trade peer lists with `peer`; return how many new peers were learnt (0 on failure or with exchange off)."""
        if not self.peer_exchange:
            return 0
        try:
            reply = await self.request(peer, self.book.peer_list(), PeerList)
        except ProtocolError:
            return 0
        return self.book.merge(reply, self.may_learn)

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
