"""Fetching a running node's log through a protocol Transport into a local bundle file, and its advertised digest.

The log is pulled the way a peer pulls it (frontier, then `want` batches per author, then fork proofs),
one batch in memory at a time, and written as a bundle that the workers then read like any other.
The transport and the digest come from the caller (`NodeUrl.connect`, given by `solnet audit`): the
node's HTTP transport bounds every reply by its message type, so a node cannot make the auditor buffer
more than that. The digest is asked before and after; if the node changed in between, the report says so.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

from events.bundle import BundleHead, BundleWriter
from protocol import EventBatch, ForkProofs, Frontier, Want, WantForks
from protocol.errors import ProtocolError
from protocol.messages import Message, WantItem

from .errors import SourceError
from .sources import NodeLink, NodeUrl

BATCH = 500


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
        frontier = await _request(link, url, Frontier(()), Frontier)
        writer = BundleWriter(BundleHead(url, 0))
        count = 0
        with open(path, "wb") as out:
            out.write(writer.head())
            for entry in frontier.entries:
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
            if frontier.forked:
                proofs = await _request(link, url, WantForks(tuple(frontier.forked)), ForkProofs)
                for proof in proofs.proofs:
                    out.write(writer.fork_proof(proof))
            out.write(writer.end())
        after = await link.digest()
    return Fetched(before, after, count)


async def _request(link: NodeLink, url: str, message: Message, expected: type):
    reply = await link.transport.request(url, message)
    if not isinstance(reply, expected):
        raise SourceError(f"{url} answered a {type(message).__name__} request with a {type(reply).__name__} message")
    return reply
