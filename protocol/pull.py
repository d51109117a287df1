"""Running a PullSession against a peer: the wire and the store overlap, and batches are stored together.

One want is in flight while earlier batches are being stored. Batches that arrive while the replica is
busy wait in a bounded buffer and go to the replica together (up to `MAX_INGEST_EVENTS`), so a catch-up
pays one store transaction per few batches rather than one per batch. The replica's verdict on a set of
events (`settle`) can change the plan for an author; what the buffer still holds for that author is
then dropped, as is what the in-flight want brings for it (see PullSession.settle).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from events import Event

from .errors import ProtocolError
from .messages import EventBatch, Want
from .replica import IngestResult, Replica
from .sync import PullSession, SyncReport  # noqa: F401  (SyncReport: its old home)

MAX_INGEST_EVENTS = 5000
MAX_BUFFERED_EVENTS = 4000  # stop asking while this many accepted events wait for the replica


async def run_pull(
    session: PullSession,
    replica: Replica,
    fetch: Callable[[Want], Awaitable[EventBatch]],
    *,
    keep: Callable[[Event], bool] = lambda e: True,
    on_batch: Callable[[EventBatch], None] = lambda b: None,
    on_result: Callable[[IngestResult], None] = lambda r: None,
    flush: bool = True,
) -> str:
    """Pull until the session is complete or a request fails; return the error ("" if none).

    Flushes the replica at the end unless `flush` is False (a caller running several pulls flushes once).
    """
    error = ""
    buffer: list[Event] = []
    asking: asyncio.Future[Any] | None = None
    storing: asyncio.Future[IngestResult] | None = None

    def ask() -> None:
        nonlocal asking
        if not error and len(buffer) < MAX_BUFFERED_EVENTS and (want := session.next_want()) is not None:
            asking = asyncio.ensure_future(fetch(want))

    try:
        ask()
        while asking is not None or storing is not None or buffer:
            if storing is None and buffer:
                chunk, buffer = buffer[:MAX_INGEST_EVENTS], buffer[MAX_INGEST_EVENTS:]
                storing = asyncio.ensure_future(replica.ingest(chunk))
            done, _ = await asyncio.wait([t for t in (asking, storing) if t is not None], return_when=asyncio.FIRST_COMPLETED)
            if storing in done:
                result = storing.result()
                storing = None
                session.settle(result)
                if session.superseded:
                    buffer = [e for e in buffer if e.author not in session.superseded]
                on_result(result)
            if asking in done:
                task, asking = asking, None
                try:
                    batch = task.result()
                except ProtocolError as exc:
                    error = str(exc)
                    continue
                on_batch(batch)
                buffer.extend(e for e in session.accept(batch) if keep(e))
            if asking is None:
                ask()
    finally:
        for task in (asking, storing):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ProtocolError):
                    await task
        if flush:
            await replica.flush()
    return error
