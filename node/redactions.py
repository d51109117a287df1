"""Redactions: a `log.redact` event asks every node to drop the payload of an earlier event of its author's log."""

from __future__ import annotations

from collections.abc import Iterable

from events import Event
from events.errors import EventError
from events.kinds import decode_payload

from .errors import NotFoundError, RedactedError
from .store import AsyncStore

REDACT_KIND = "log.redact"


async def check_target(astore: AsyncStore, own_key: bytes, payload: bytes) -> None:
    """Raise NotFoundError unless the redaction `payload` names an event of our own log, RedactedError if that one's
    payload was dropped already (the payload itself has the right form: these are about the log, not the payload)."""
    target = await astore.get(decode_payload(REDACT_KIND, payload).event)
    if target is None or target.author != own_key:
        raise NotFoundError("a redaction must name an earlier event of this group's own log: none has that id", field="event")
    if target.payload is None:
        raise RedactedError("that event's payload was already dropped", field="event")


async def apply(astore: AsyncStore, events: Iterable[Event]) -> None:
    """Drop the payloads that stored `log.redact` events ask for (docs/PROTOCOL.md §12); the headers stay."""
    for event in events:
        if event.header.kind != REDACT_KIND or event.payload is None:
            continue
        try:
            target_id = decode_payload(REDACT_KIND, event.payload).event
        except EventError:
            continue  # an invalid redaction is stored and relayed like any invalid payload, and does nothing
        target = await astore.get(target_id)
        if target is not None and target.author == event.author and target.seq < event.seq and target.payload is not None:
            await astore.drop_payload(target_id)
