"""What a `Want` is answered with: its items in order, within the want's bounds and the server's, policy applied.

One choice serves both ways of answering: `serve_want` returns decoded events (the memory transport, tests),
`want_records` returns stored record bytes as they are (the node's HTTP route streams them without
re-encoding). Both stop at whichever comes first of the event count and the byte size, but always give at
least one event when the peer has any, so a record larger than `max_bytes` still gets through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from events import Event
from events.event import encode_record

from .messages import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, EventBatch, Want
from .policy import ReplicationPolicy
from .replica import Replica

T = TypeVar("T")
Reader = Callable[[bytes, int, int], Awaitable[Sequence[T]]]
"""Reads up to `limit` items of `author`'s log from `from_seq` on: (author, from_seq, limit) -> items."""


async def choose(
    want: Want,
    read: Reader[T],
    size: Callable[[T], int],
    policy: ReplicationPolicy | None = None,
    *,
    max_events: int = MAX_BATCH_EVENTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[T]:
    """Return what `read` yields for the want's items, in order, within both its bounds and ours (at least one item)."""
    policy = policy or ReplicationPolicy()
    count_limit = min(want.max_events, max_events)
    byte_limit = min(want.max_bytes, max_bytes)
    out: list[T] = []
    total = 0
    for item in want.wants:
        if not policy.replicates(item.author):
            continue
        for value in await read(item.author, item.from_seq, min(item.limit, count_limit - len(out))):
            length = size(value)
            if out and (total + length > byte_limit or len(out) >= count_limit):
                return out
            out.append(value)
            total += length
        if len(out) >= count_limit:
            break
    return out


def _record_size(event: Event) -> int:
    return len(encode_record(event))


async def serve_want(
    replica: Replica,
    want: Want,
    policy: ReplicationPolicy | None = None,
    *,
    max_events: int = MAX_BATCH_EVENTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> EventBatch:
    """Return the events a want asks for, items in order, within both its bounds and ours (at least one event)."""
    events = await choose(want, replica.read_log, _record_size, policy, max_events=max_events, max_bytes=max_bytes)
    return EventBatch(tuple(events))


async def want_records(
    read_records: Reader[bytes],
    want: Want,
    policy: ReplicationPolicy | None = None,
    *,
    max_events: int = MAX_BATCH_EVENTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[bytes]:
    """Return the stored records a want asks for, chosen exactly as `serve_want` chooses its events."""
    return await choose(want, read_records, len, policy, max_events=max_events, max_bytes=max_bytes)
