"""Each author's key changes and the branches rotations superseded (docs/PROTOCOL.md §11, §11.1), in the log's database.

Two tables next to the heads, written in the transaction that stores the events (the recorder's `insert_events`
takes them as keyword arguments, like the index and heads):
- `key_changes` (originator id, seq, event id, key, commitment, rotated): one row per stored `key.commit` or
  `key.rotate`; the key state after any seq is the last row at or below it (the inception state without one).
- `superseded_events` (event id, originator id, seq, rotation seq, state): the stored events a valid rotation
  superseded, as they were stored, so they can still be reported and exported as evidence. Superseding drops
  the author's events, index rows, key changes and head from the rotation's seq on; the rotated branch is then
  inserted by the same transaction.
One mixin serves both backends; each gives its placeholder, its table names and how to run a read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from events.errors import EventError
from events.event import decode_record
from events.keystate import KeyState
from events.supersede import KeyChange, key_changes

KEYS_TABLE = "key_changes"
SUPERSEDED_TABLE = "superseded_events"


@dataclass(frozen=True, slots=True)
class CutRow:
    """Drop `originator_id`'s stored events from `seq` on: the rotation at `seq` supersedes them."""

    originator_id: str
    seq: int


@dataclass(frozen=True, slots=True)
class SupersededRow:
    """A stored event a rotation superseded, with the record bytes it was stored as."""

    event_id: bytes
    originator_id: str
    seq: int
    rotation_seq: int
    state: bytes


def create_statements(keys: str, superseded: str, blob: str, integer: str, text: str) -> list[str]:
    """Return the CREATE statements of the two tables (qualified names and column types of the backend)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {keys} (originator_id {text} NOT NULL, seq {integer} NOT NULL, event_id {blob} NOT NULL, "
        f"key {blob} NOT NULL, commitment {blob}, rotated {integer} NOT NULL, author {blob} NOT NULL, "
        "PRIMARY KEY (originator_id, seq))",
        f"CREATE TABLE IF NOT EXISTS {superseded} (event_id {blob} PRIMARY KEY, originator_id {text} NOT NULL, "
        f"seq {integer} NOT NULL, rotation_seq {integer} NOT NULL, state {blob} NOT NULL)",
    ]


def superseded_index(superseded: str, name: str) -> str:
    """Return the index that serves a log's superseded events in seq order."""
    return f"CREATE INDEX IF NOT EXISTS {name} ON {superseded} (originator_id, seq, event_id)"


class KeyStateTables:
    """The key-change and superseded tables of a LogRecorder; the backend sets the names and `_ph` and runs reads."""

    _ph: str
    _keys_name: str
    _superseded_name: str
    _events_name: str
    _heads_name: str

    def _read(self, statement: str, params: Sequence[Any]) -> list[tuple]:
        raise NotImplementedError

    def _drop_index_rows(self, c: Any, originator_id: str, seq: int) -> None:
        """Delete the event-id index rows of `originator_id`'s events from `seq` on (the layout is the backend's)."""
        raise NotImplementedError

    # -- writing, inside insert_events' transaction -------------------------------------------------------

    def _write_key_rows(self, c: Any, kwargs: dict[str, Any]) -> None:
        """Drop superseded branches (`cuts`), then record key changes (`keys`); before the events are inserted."""
        ph = self._ph
        for cut in kwargs.get("cuts") or ():
            c.execute(
                f"SELECT originator_version, state FROM {self._events_name} WHERE originator_id = {ph} "
                f"AND originator_version >= {ph} ORDER BY originator_version",
                (cut.originator_id, cut.seq),
            )
            rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]
            kept = [(hashlib.sha256(_header(bytes(s))).digest(), cut.originator_id, v, cut.seq, bytes(s)) for v, s in rows]
            if kept:
                c.executemany(
                    f"INSERT INTO {self._superseded_name} VALUES ({ph}, {ph}, {ph}, {ph}, {ph}) ON CONFLICT DO NOTHING", kept
                )
            self._drop_index_rows(c, cut.originator_id, cut.seq)
            where = f"WHERE originator_id = {ph} AND "
            c.execute(f"DELETE FROM {self._events_name} {where}originator_version >= {ph}", (cut.originator_id, cut.seq))
            c.execute(f"DELETE FROM {self._keys_name} {where}seq >= {ph}", (cut.originator_id, cut.seq))
            c.execute(f"DELETE FROM {self._heads_name} WHERE originator_id = {ph}", (cut.originator_id,))
        keys = kwargs.get("keys") or ()
        if keys:
            c.executemany(
                f"INSERT INTO {self._keys_name} VALUES ({', '.join([ph] * 7)})",
                [(o, k.seq, k.event_id, k.state.key, k.state.commitment, int(k.rotated), k.author) for o, k in keys],
            )

    def backfill_key_changes(self) -> int:
        """Once per database: record the key changes of events stored before this table existed (a marker row,
        originator id '' at seq 0, says it was done). Return how many were recorded.

        Only `key.commit` could be stored then; an author's second one (valid in version 1, not under §11) and
        anything after it are left out, so its first commitment stands."""
        ph, marker = self._ph, ("", 0, b"", b"", None, 0, b"")
        with self.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            c.execute(f"SELECT 1 FROM {self._keys_name} WHERE originator_id = '' AND seq = 0")
            if c.fetchone() is not None:
                return 0
            c.execute(
                f"SELECT originator_id, originator_version, state FROM {self._events_name} "
                f"WHERE topic IN ('key.commit', 'key.rotate') ORDER BY originator_id, originator_version"
            )
            rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]
            found: list[tuple] = []
            states: dict[str, KeyState | None] = {}
            for origin, _seq, state in rows:
                event = decode_record(bytes(state))  # a one-time pass: the full checks cost little here
                current = states.get(origin, KeyState.inception(event.author))
                if current is None:
                    continue
                try:
                    [change] = key_changes(current, [event])
                except (EventError, ValueError):
                    states[origin] = None  # stop here: the first commitment stands
                    continue
                states[origin] = change.state
                k = change.state
                found.append((origin, change.seq, change.event_id, k.key, k.commitment, int(change.rotated), change.author))
            statement = f"INSERT INTO {self._keys_name} VALUES ({', '.join([ph] * 7)}) ON CONFLICT DO NOTHING"
            for row in [*found, marker]:
                c.execute(statement, row)
        return len(found)

    # -- reading -------------------------------------------------------------------------------------------

    def select_key_heads(self, originator_ids: Sequence[str]) -> list[tuple[KeyChange, KeyChange | None]]:
        """Return, for each of the logs with key changes, its last key change and its last rotation."""
        out: list[tuple[KeyChange, KeyChange | None]] = []
        ph, k = self._ph, self._keys_name
        for i in range(0, len(originator_ids), 500):
            chunk = list(originator_ids[i : i + 500])
            marks = ", ".join([ph] * len(chunk))
            rows = self._read(
                f"SELECT {_COLUMNS}, (SELECT MAX(r.seq) FROM {k} r WHERE r.originator_id = c.originator_id AND r.rotated = 1) "
                f"FROM {k} c WHERE c.originator_id IN ({marks}) "
                f"AND c.seq = (SELECT MAX(m.seq) FROM {k} m WHERE m.originator_id = c.originator_id)",
                chunk,
            )
            for row in rows:
                last, rotation_seq = _change(row), row[7]
                if rotation_seq is None:
                    out.append((last, None))
                elif rotation_seq == last.seq:
                    out.append((last, last))
                else:
                    out.append((last, self.select_key_change(row[0], int(rotation_seq), True)))
        return out

    def select_key_change(self, originator_id: str, seq: int, rotation: bool) -> KeyChange | None:
        """Return the last key change of a log at or below `seq` (only rotations if `rotation`), or None."""
        ph = self._ph
        only = " AND rotated = 1" if rotation else ""
        rows = self._read(
            f"SELECT {_COLUMNS} FROM {self._keys_name} c WHERE originator_id = {ph} AND seq <= {ph}{only} "
            "ORDER BY seq DESC LIMIT 1",
            (originator_id, seq),
        )
        return _change(rows[0]) if rows else None

    def select_rotations(self, originator_id: str, after: int, limit: int) -> list[KeyChange]:
        """Return up to `limit` rotations of a log after seq `after`, in seq order."""
        ph = self._ph
        rows = self._read(
            f"SELECT {_COLUMNS} FROM {self._keys_name} c WHERE originator_id = {ph} AND rotated = 1 AND seq > {ph} "
            f"ORDER BY seq LIMIT {ph}",
            (originator_id, after, limit),
        )
        return [_change(r) for r in rows]

    def select_superseded(
        self, originator_id: str | None, after: tuple[str, int, bytes] | None, limit: int
    ) -> list[SupersededRow]:
        """Return up to `limit` superseded events (of one log, or all) after `after` = (originator id, seq, event id)."""
        ph = self._ph
        where, params = [], []
        if originator_id is not None:
            where.append(f"originator_id = {ph}")
            params.append(originator_id)
        if after is not None:
            where.append(f"(originator_id, seq, event_id) > ({ph}, {ph}, {ph})")
            params += list(after)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(
            f"SELECT event_id, originator_id, seq, rotation_seq, state FROM {self._superseded_name}{clause} "
            f"ORDER BY originator_id, seq, event_id LIMIT {ph}",
            [*params, limit],
        )
        return [SupersededRow(bytes(r[0]), r[1], int(r[2]), int(r[3]), bytes(r[4])) for r in rows]

    def select_superseded_among(self, originator_ids: Sequence[str]) -> dict[str, int]:
        """Return how many superseded events each of `originator_ids` has (those with none are left out)."""
        out: dict[str, int] = {}
        ph = self._ph
        for i in range(0, len(originator_ids), 500):
            chunk = list(originator_ids[i : i + 500])
            marks = ", ".join([ph] * len(chunk))
            rows = self._read(
                f"SELECT originator_id, COUNT(*) FROM {self._superseded_name} WHERE originator_id IN ({marks}) "
                "GROUP BY originator_id",
                chunk,
            )
            out.update((r[0], int(r[1])) for r in rows)
        return out

    def select_rotated_among(self, originator_ids: Sequence[str]) -> set[str]:
        """Return which of `originator_ids` have a stored rotation."""
        found: set[str] = set()
        ph = self._ph
        for i in range(0, len(originator_ids), 500):
            chunk = list(originator_ids[i : i + 500])
            marks = ", ".join([ph] * len(chunk))
            rows = self._read(
                f"SELECT DISTINCT originator_id FROM {self._keys_name} WHERE rotated = 1 AND originator_id IN ({marks})", chunk
            )
            found.update(r[0] for r in rows)
        return found


_COLUMNS = "c.originator_id, c.seq, c.event_id, c.key, c.commitment, c.rotated, c.author"


def _change(row: tuple) -> KeyChange:
    commitment = None if row[4] is None else bytes(row[4])
    return KeyChange(bytes(row[6]), int(row[1]), bytes(row[2]), KeyState(bytes(row[3]), commitment), bool(row[5]))


def _header(state: bytes) -> bytes:
    from events.canonical import unpack_array_fast

    return unpack_array_fast(state)[0]
