"""Key rotation at ingest (docs/PROTOCOL.md §11, §11.1): key changes to record, and when a rotation supersedes.

Pure helpers of the one ingest decision (events/ingest.py). A store keeps each author's key changes (`KeyChange`,
one per stored `key.commit` / `key.rotate`) so the decision can ask for the key state after any stored seq.
A valid rotation that differs from the stored event at its seq, and links to the stored event below it,
**supersedes** the stored branch from that seq on (`Supersession`): the store drops that branch and takes
the rotated one. An event that differs from a stored event at or after a stored rotation's seq, and is not
itself on a rotated branch, is rejected `key_superseded`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .errors import RotationError
from .event import Event
from .keystate import COMMIT_KIND, ROTATION_KIND, KeyState, apply_key_event

KEY_SUPERSEDED = "key_superseded"
KEY_KINDS = frozenset({COMMIT_KIND, ROTATION_KIND})


@dataclass(frozen=True, slots=True)
class KeyChange:
    """A stored key event: the author's key state from `seq` on (`rotated`: a key.rotate, else a key.commit)."""

    author: bytes
    seq: int
    event_id: bytes
    state: KeyState
    rotated: bool


@dataclass(frozen=True, slots=True)
class Supersession:
    """A valid rotation at `seq` that replaces the stored branch of `author` from `seq` on (§11.1)."""

    author: bytes
    seq: int
    rotation_id: bytes
    key: bytes
    next: bytes


def key_changes(start: KeyState, events: Iterable[Event]) -> list[KeyChange]:
    """Return the key changes made by `events` (valid, one author's, in seq order) from key state `start`.

    The events were verified already; applying them again only recomputes the states (rotations are rare).
    """
    changes: list[KeyChange] = []
    state = start
    for event in events:
        if event.header.kind in KEY_KINDS:
            state, rotation = apply_key_event(state, event)
            changes.append(KeyChange(event.author, event.seq, event.id, state, rotation is not None))
    return changes


def valid_rotation(state: KeyState, event: Event) -> KeyState | None:
    """Return the key state after `event` if it is a valid key.rotate from `state` (own signature under the
    committed key), else None."""
    if event.header.kind != ROTATION_KIND:
        return None
    try:
        after, rotation = apply_key_event(state, event)
    except RotationError:
        return None
    return after if rotation is not None else None


@dataclass(slots=True)
class KeyBook:
    """Key changes kept in memory, per author in seq order: the StoredLog key reads of a replica held in memory."""

    changes: dict[bytes, list[KeyChange]] = field(default_factory=dict)

    def add(self, changes: Iterable[KeyChange]) -> None:
        """Record key changes of stored events (each author's after the ones held)."""
        for change in changes:
            self.changes.setdefault(change.author, []).append(change)

    def cut(self, author: bytes, seq: int) -> None:
        """Forget `author`'s key changes from `seq` on (its stored branch from there was dropped)."""
        kept = [c for c in self.changes.get(author, ()) if c.seq < seq]
        if kept:
            self.changes[author] = kept
        else:
            self.changes.pop(author, None)

    def key_heads(self, authors: Sequence[bytes]) -> dict[bytes, tuple[KeyChange, KeyChange | None]]:
        """Return, for each of `authors` with key changes, its last one and its last rotation."""
        out: dict[bytes, tuple[KeyChange, KeyChange | None]] = {}
        for author in authors:
            if author in self.changes:
                out[author] = (self.changes[author][-1], self.key_change(author, 2**63 - 1, rotation=True))
        return out

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> KeyChange | None:
        """Return the last key change of `author` at or below `seq` (only rotations if `rotation`), or None."""
        changes = self.changes.get(author, [])
        i = bisect.bisect_right(changes, seq, key=lambda c: c.seq)
        for change in reversed(changes[:i]):
            if change.rotated or not rotation:
                return change
        return None


__all__ = ["KeyBook", "KEY_KINDS", "KEY_SUPERSEDED", "KeyChange", "Supersession", "key_changes", "valid_rotation"]
