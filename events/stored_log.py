"""What the ingest decision reads of the stored logs (`StoredLog`), and that view with a batch's decided events added.

Pure: a replica, the node's store and the tests each supply a StoredLog; `DecidedLog` lays the events a decision has
already stored (and its key changes and supersessions) over one, so a later round of the same decision sees them as
stored (events.ingest.decide).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from .event import Event
from .fork import MAX_RUN
from .keystate import KeyState
from .supersede import KeyChange, Supersession


class StoredLog(Protocol):
    """What the decision reads of the stored logs besides their heads."""

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        """Return which of `event_ids` are stored."""
        ...

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        """Return up to MAX_RUN stored events of `author` from `seq` on, in seq order."""
        ...

    def forked(self, author: bytes) -> bool:
        """Return whether a fork proof of `author` is stored."""
        ...

    def key_heads(self, authors: list[bytes]) -> Mapping[bytes, tuple[KeyChange, KeyChange | None]]:
        """Return, for each of `authors` with a stored key change, its last key change and its last rotation."""
        ...

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> KeyChange | None:
        """Return the last stored key change (only rotations if `rotation`) of `author` at or below `seq`, or None."""
        ...


def key_state_at(log: StoredLog, author: bytes, seq: int) -> KeyState:
    """Return `author`'s key state after its stored event at `seq` (the inception state below any key event)."""
    change = log.key_change(author, seq) if seq > 0 else None
    return change.state if change is not None else KeyState.inception(author)


class DecidedLog:
    """A StoredLog as it will be once the events already decided are stored (for second versions of a seq, and for
    the batch decided while the one before it is written: events.ingest.decide_after).

    `forked`: authors with a fork proof among the decided outcomes laid over `log` (a later round of the same decision
    finds its own proofs in its outcome, so it passes none)."""

    def __init__(
        self,
        log: StoredLog,
        decided: Sequence[Event],
        keys: Sequence[KeyChange],
        superseded: Sequence[Supersession],
        forked: Collection[bytes] = (),
    ):
        self._log = log
        self._forked = frozenset(forked)
        self._ids = {e.id for e in decided}
        self._events: dict[bytes, list[Event]] = {}
        self._first: dict[bytes, int] = {}  # the lowest seq decided of each author
        for event in decided:
            author, seq = event.header.author, event.header.seq
            self._events.setdefault(author, []).append(event)
            if seq < self._first.get(author, seq + 1):
                self._first[author] = seq
        self._keys = list(keys)
        self._cut = {s.author: s.seq for s in superseded}  # stored events from there on are being dropped

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        rest = [i for i in event_ids if i not in self._ids]
        return (set(event_ids) - set(rest)) | (self._log.known(rest) if rest else set())

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        # what was stored ends where the decided events of this author begin (or, if they were written meanwhile,
        # where their copies in `log` begin), or at a cut
        later = [e for e in self._events.get(author, ()) if e.seq >= seq]
        end = min(self._first.get(author, 2**63), self._cut.get(author, 2**63))
        stored = [e for e in self._log.stored_from(author, seq) if e.seq < end]
        return (stored + later)[:MAX_RUN]

    def forked(self, author: bytes) -> bool:
        return author in self._forked or self._log.forked(author)  # (proofs made in this decision are in its outcome)

    def key_heads(self, authors: list[bytes]) -> Mapping[bytes, tuple[KeyChange, KeyChange | None]]:
        out = dict(self._log.key_heads(authors))
        for author in {k.author for k in self._keys}.intersection(authors):  # (a cut comes with its rotation's change)
            last = self.key_change(author, 2**63 - 1, False)
            if last is not None:
                out[author] = (last, self.key_change(author, 2**63 - 1, True))
        return out

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> KeyChange | None:
        mine = [k for k in self._keys if k.author == author and k.seq <= seq and (k.rotated or not rotation)]
        if mine:
            return mine[-1]
        cut = self._cut.get(author)
        return self._log.key_change(author, seq if cut is None else min(seq, cut - 1), rotation)
