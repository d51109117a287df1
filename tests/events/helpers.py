"""Small builders shared by the events tests (real keys, real signatures)."""

from __future__ import annotations

import hashlib

from events import Event, Identity, create_event_from_value

T0 = 1_700_000_000_000


def identity(n: int = 1) -> Identity:
    return Identity.from_seed(hashlib.sha256(f"test key {n}".encode()).digest())


def chain(ident: Identity, count: int) -> list[Event]:
    out: list[Event] = []
    prev = None
    for i in range(count):
        prev = create_event_from_value(ident, kind="test.note", value={"n": i + 1}, timestamp=T0 + i, previous=prev)
        out.append(prev)
    return out


def bad_signature(event: Event) -> Event:
    sig = event.signature[:10] + bytes([event.signature[10] ^ 0x40]) + event.signature[11:]
    return Event(event.header, event.header_bytes, sig, event.payload, event.id)
