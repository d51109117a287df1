"""Real signed logs and bundles for audit tests, and ways to damage them."""

from __future__ import annotations

from pathlib import Path

from events import Event, Identity, create_event_from_value
from events.bundle import BundleHead, write_bundle

HEAD = BundleHead("test node", 1_760_000_000_000)


def make_log(identity: Identity, count: int, start: int = 1_760_000_000_000) -> list[Event]:
    """Return `count` signed events of `identity`'s log: a profile, a callout, then reports."""
    events: list[Event] = []
    prev = None
    for i in range(count):
        if i == 0:
            kind, value = "group.profile", {"name": f"group {identity.public_key[:2].hex()}"}
        elif i == 1:
            kind, value = "callout.published", {"title": "help", "text": "bring food", "needs": ["people"], "urgency": "high"}
        else:
            kind, value = "report.published", {"title": f"report {i}", "text": "x" * (i % 7 + 20)}
        prev = create_event_from_value(identity, kind=kind, value=value, timestamp=start + i, previous=prev)
        events.append(prev)
    return events


def interleave(*logs: list[Event]) -> list[Event]:
    """Return the events of several logs round-robin (each log stays in seq order)."""
    out: list[Event] = []
    for i in range(max(len(log) for log in logs)):
        out.extend(log[i] for log in logs if i < len(log))
    return out


def write(path: Path, events, proofs=()) -> Path:
    """Write a bundle of `events` (and fork proofs) to `path`; return the path."""
    path.write_bytes(b"".join(write_bundle(HEAD, events, proofs)))
    return path


def flip(data: bytes, at: int) -> bytes:
    """Return `data` with the byte at `at` inverted."""
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def replace(event: Event, **parts) -> Event:
    """Return `event` with some raw parts replaced (no re-signing: the damage stays visible)."""
    return Event(
        event.header,
        parts.get("header_bytes", event.header_bytes),
        parts.get("signature", event.signature),
        parts.get("payload", event.payload),
        parts.get("id", event.id),
    )
