"""Logs of a group whose key was stolen, and the group's rotation away from it (docs/PROTOCOL.md §11.1), for tests."""

from __future__ import annotations

import hashlib

from events import Event, Identity, create_event_from_value
from events.event import signing_message

T0 = 1_700_000_000_000


def commitment(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()


def next_event(signer: Identity, author: Identity, previous: Event | None, kind: str, value: dict) -> Event:
    """Return the next event of `author`'s log after `previous`, signed by `signer` (the key in force, or a thief's)."""
    seq = 1 if previous is None else previous.seq + 1
    event = create_event_from_value(author, kind=kind, value=value, timestamp=T0 + seq, previous=previous)
    if signer is author:
        return event
    return Event(event.header, event.header_bytes, signer.sign(signing_message(event.header_bytes)), event.payload, event.id)


def stolen_log() -> tuple[Identity, Identity, list[Event], list[Event]]:
    """Return (k1, k2, the thief's log to seq 4, the group's rotated log to seq 4): they part at seq 3."""
    k1, k2, k3 = Identity.generate(), Identity.generate(), Identity.generate()
    common = [next_event(k1, k1, None, "key.commit", {"next": commitment(k2.public_key)})]
    common.append(next_event(k1, k1, common[-1], "campaign.created", {"title": "Save Elm Street"}))
    thief = list(common)
    for title in ("thief 3", "thief 4"):
        thief.append(next_event(k1, k1, thief[-1], "campaign.created", {"title": title}))
    group = list(common)
    group.append(next_event(k2, k1, group[-1], "key.rotate", {"key": k2.public_key, "next": commitment(k3.public_key)}))
    group.append(next_event(k2, k1, group[-1], "campaign.created", {"title": "after the rotation"}))
    return k1, k2, thief, group
