"""Fetching a running node's log through a protocol Transport into a local bundle file, and its advertised digest.

The log is pulled the way a peer pulls it (frontier, then `want` batches per author, then fork proofs),
one batch in memory at a time; a node past the frontier limit (`frontier_too_large`) lists its heads by
reconciliation instead, against an empty set, one bounded reply at a time (docs/PROTOCOL.md §15); and it is
written as a bundle that the workers then read like any other.
The transport and the digest come from the caller (`NodeUrl.connect`, given by `solnet audit`): the
node's HTTP transport bounds every reply by its message type, so a node cannot make the auditor buffer
more than that. The digest is asked before and after; if the node changed in between, the report says so.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from events.bundle import BundleHead, BundleWriter
from protocol import EventBatch, ForkProofs, Frontier, FrontierEntry, ReconcileReply, Want, WantForks
from protocol.errors import PeerRejectedError, ProtocolError
from protocol.messages import MAX_FORK_PROOFS, Message, WantItem
from protocol.ranges import SortedHeads
from protocol.reconcile import Reconciliation

from .errors import SourceError
from .sources import NodeLink, NodeUrl

BATCH = 500
MAX_LISTING_ROUNDS = 100_000  # reconcile round trips to list a node's heads (up to 4,096 heads each)


@dataclass(frozen=True, slots=True)
class Fetched:
    """What fetching a node gave: its advertised digest (before and after) and how many events were written."""

    digest_before: str | None
    digest_after: str | None
    events: int


def fetch(node: NodeUrl, path: Path) -> Fetched:
    """Write the log of the running `node` to the bundle file `path`; raise SourceError if it cannot be read."""
    result: list[Fetched | BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(_fetch(node, path)))
        except BaseException as exc:  # handed to the calling thread
            result.append(exc)

    # a thread of its own, so this works whether or not the caller already runs an event loop
    thread = threading.Thread(target=run, name="solnet-audit-fetch")
    thread.start()
    thread.join()
    outcome = result[0]
    if isinstance(outcome, (ProtocolError, OSError)):
        raise SourceError(f"cannot read {node.path}: {outcome or type(outcome).__name__}") from None
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


async def _fetch(node: NodeUrl, path: Path) -> Fetched:
    url = node.path
    async with node.connect(url) as link:
        before = await link.digest()
        forked: list[bytes] = []
        writer = BundleWriter(BundleHead(url, 0))
        count = 0
        with open(path, "wb") as out:
            out.write(writer.head())
            async for entry in _heads(link, url, forked):
                from_seq = 1
                while from_seq <= entry.seq:
                    want = Want((WantItem(entry.author, from_seq, min(BATCH, entry.seq - from_seq + 1)),))
                    batch = await _request(link, url, want, EventBatch)
                    if not batch.events:
                        break
                    for event in batch.events:
                        out.write(writer.event(event))
                        count += 1
                    from_seq = batch.events[-1].seq + 1
            for start in range(0, len(forked), MAX_FORK_PROOFS):
                proofs = await _request(link, url, WantForks(tuple(forked[start : start + MAX_FORK_PROOFS])), ForkProofs)
                for proof in proofs.proofs:
                    out.write(writer.fork_proof(proof))
            out.write(writer.end())
        after = await link.digest()
    return Fetched(before, after, count)


async def _heads(link: NodeLink, url: str, forked: list[bytes]) -> AsyncIterator[FrontierEntry]:
    """Yield every author's head in key order (and fill `forked`): from the node's frontier or, past its limit,
    by reconciling an empty set with it."""
    try:
        frontier = await _request(link, url, Frontier(()), Frontier)
    except PeerRejectedError as exc:
        if exc.peer_code != "frontier_too_large":
            raise
    else:
        forked.extend(frontier.forked)
        for entry in frontier.entries:
            yield entry
        return
    session = Reconciliation(SortedHeads(), max_rounds=MAX_LISTING_ROUNDS)  # we hold nothing: it lists everything
    while (request := await session.next_request()) is not None:
        await session.accept(await _request(link, url, request, ReconcileReply))
        for entry in session.outcome.theirs:
            yield entry
        session.outcome.theirs.clear()  # one reply's entries in memory at a time
    if not session.outcome.complete:
        raise SourceError(f"{url} did not finish listing its heads in {MAX_LISTING_ROUNDS} round trips")
    forked.extend(session.outcome.forked or ())


async def _request(link: NodeLink, url: str, message: Message, expected: type):
    reply = await link.transport.request(url, message)
    if not isinstance(reply, expected):
        raise SourceError(f"{url} answered a {type(message).__name__} request with a {type(reply).__name__} message")
    return reply
