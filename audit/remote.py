"""Fetching a running node's log over its peer API into a local bundle file, and its advertised digest.

The log is pulled the way a peer pulls it (frontier, then `want` batches per author, then fork proofs),
one batch in memory at a time, and written as a bundle that the workers then read like any other.
The digest is asked before and after; if the node changed in between, the report says so.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from events.bundle import BundleHead, BundleWriter
from protocol import ErrorReply, EventBatch, ForkProofs, Frontier, Want, WantForks
from protocol.errors import MessageError
from protocol.messages import WantItem, decode_message, encode_message

from .errors import SourceError

CONTENT_TYPE = "application/x-solnet-msgpack"
BATCH = 500
TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=15)


@dataclass(frozen=True, slots=True)
class Fetched:
    """What fetching a node gave: its advertised digest (before and after) and how many events were written."""

    digest_before: str | None
    digest_after: str | None
    events: int


def fetch(url: str, path: Path) -> Fetched:
    """Write the log of the node at `url` to the bundle file `path`; raise SourceError if it cannot be read."""
    result: list[Fetched | BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(_fetch(url.rstrip("/"), path)))
        except BaseException as exc:  # handed to the calling thread
            result.append(exc)

    # a thread of its own, so this works whether or not the caller already runs an event loop
    thread = threading.Thread(target=run, name="solnet-audit-fetch")
    thread.start()
    thread.join()
    outcome = result[0]
    if isinstance(outcome, SourceError):
        raise outcome
    if isinstance(outcome, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        raise SourceError(f"cannot read {url}: {outcome or type(outcome).__name__}") from None
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


async def _fetch(url: str, path: Path) -> Fetched:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        before = await _digest(session, url)
        frontier = await _peer(session, url, "frontier", Frontier(()), Frontier)
        writer = BundleWriter(BundleHead(url, 0))
        count = 0
        with open(path, "wb") as out:
            out.write(writer.head())
            for entry in frontier.entries:
                from_seq = 1
                while from_seq <= entry.seq:
                    want = Want((WantItem(entry.author, from_seq, min(BATCH, entry.seq - from_seq + 1)),))
                    batch = await _peer(session, url, "want", want, EventBatch)
                    if not batch.events:
                        break
                    for event in batch.events:
                        out.write(writer.event(event))
                        count += 1
                    from_seq = batch.events[-1].seq + 1
            if frontier.forked:
                proofs = await _peer(session, url, "forks", WantForks(tuple(frontier.forked)), ForkProofs)
                for proof in proofs.proofs:
                    out.write(writer.fork_proof(proof))
            out.write(writer.end())
        after = await _digest(session, url)
    return Fetched(before, after, count)


async def _digest(session: aiohttp.ClientSession, url: str) -> str | None:
    async with session.get(f"{url}/api/v1/digest") as resp:
        if resp.status != 200:
            return None
        value = (await resp.json()).get("state_digest")
        return value if isinstance(value, str) else None


async def _peer(session: aiohttp.ClientSession, url: str, name: str, message, expected: type):
    body = encode_message(message)
    async with session.post(f"{url}/peer/v1/{name}", data=body, headers={"Content-Type": CONTENT_TYPE}) as resp:
        data = await resp.read()
        if resp.content_type != CONTENT_TYPE:
            raise SourceError(f"{url} did not answer the peer request {name!r} (HTTP {resp.status}); is it a solnet node?")
    try:
        reply = decode_message(data, (expected, ErrorReply))
    except MessageError as exc:
        raise SourceError(f"{url} sent a malformed {name!r} reply: {exc}") from None
    if isinstance(reply, ErrorReply):
        raise SourceError(f"{url} refused the peer request {name!r}: {reply.code}: {reply.message}")
    return reply
