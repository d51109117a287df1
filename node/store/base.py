"""The node's event store: authors' signed logs as eventsourcing streams, whatever the backend.

An author's log is one stream: originator id = the group id text, originator version = seq, state = the
canonical record bytes, verbatim. The recorder's uniqueness on (originator id, version) is what stops a
silent fork: a different event at a taken position raises IntegrityError, and the store turns it into a
fork proof or a retry, never an overwrite. The library's notification log is the local arrival order.
"""

from __future__ import annotations

import functools
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from eventsourcing.persistence import IntegrityError

from events.canonical import unpack_array_fast
from events.chain import ChainHead, Mode
from events.errors import EventError
from events.event import Event, create_event, encode_record
from events.fork import MAX_RUN, ForkProof, decode_fork_proof, encode_fork_proof
from events.header import Header
from events.identity import Identity, group_id_text, parse_group_id
from events.ingest import decide, decide_after
from events.keystate import KeyState
from events.supersede import KEY_KINDS, KeyChange, key_changes

from ..errors import InvalidEventError, StaleDecisionError, StoreConflictError
from .ingest import PreparedIngest, StoreIngest, event_row, fork_row, prepare
from .key_states import SupersededRow
from .recorder import EventRow, HeadRow, IndexRow, LogRecorder
from .translate import translated

if TYPE_CHECKING:
    from .views import ViewStore

MAX_WRITE_ATTEMPTS = 50


def stored_event(event: Event, originator_id: str | None = None) -> EventRow:
    """Return the events table's row of `event` (ingest.event_row; the originator is its author's group id text)."""
    return event_row(event, originator_id or group_id_text(event.header.author))


def load_record(state: bytes) -> Event:
    """Return the Event for record bytes this store wrote itself (checked in full when they came in).

    Skips the canonical re-encoding checks of events.event.decode_record, which the hot read paths
    (notifications for read models and peers) would otherwise pay on every event; the event id is
    still recomputed from the header bytes, so it always names exactly these bytes.
    """
    header_bytes, signature, payload = unpack_array_fast(state)
    header = Header(*unpack_array_fast(header_bytes))
    return Event(header, header_bytes, signature, payload, hashlib.sha256(header_bytes).digest())


def _head(row: HeadRow) -> ChainHead:
    return ChainHead(row.author, row.seq, row.event_id, row.timestamp)


class EventStore(ABC):
    """Blocking, thread-safe access to the stored logs; one subclass per backend builds the recorder."""

    def __init__(self, recorder: LogRecorder):
        self.recorder = recorder
        with translated("recording the key changes of logs stored before key rotation"):
            recorder.backfill_key_changes()

    _translated = staticmethod(translated)

    # -- writing ---------------------------------------------------------------------------------------

    def append_own(self, identity: Identity, kind: str, payload: bytes, timestamp: int) -> Event:
        """Sign and store the next event of `identity`'s log; concurrent writers never fork it (retry on a taken seq)."""
        return self.append_own_noted(identity, kind, payload, timestamp)[0]

    def append_own_noted(self, identity: Identity, kind: str, payload: bytes, timestamp: int) -> tuple[Event, int]:
        """Like `append_own`; also return the stored event's notification id."""
        originator = identity.group_id
        for _ in range(MAX_WRITE_ATTEMPTS):
            with translated("reading the head of our own log"):
                last = self.recorder.select_events(originator, desc=True, limit=1)
            previous = load_record(last[0].state) if last else None
            try:
                event = create_event(identity, kind=kind, payload=payload, timestamp=timestamp, previous=previous)
                keys = self._own_key_change(event)
            except EventError as exc:
                raise InvalidEventError(f"cannot publish: {exc.message}", field=exc.field) from exc
            try:
                with translated("storing our own event"), _position_taken():
                    ids = self.recorder.insert_events(
                        [stored_event(event, originator)],
                        index=[IndexRow(event.id, originator, event.seq)],
                        heads=[HeadRow(originator, event.author, event.seq, event.id, event.header.timestamp)],
                        keys=keys,
                    )
            except _Taken:
                continue
            return event, ids[0]
        raise StoreConflictError(f"seq kept being taken by another writer after {MAX_WRITE_ATTEMPTS} attempts", field="seq")

    def _own_key_change(self, event: Event) -> list[tuple[str, KeyChange]]:
        """Return the key change our own `event` makes, as a row to store with it; raise RotationError if it breaks §11."""
        if event.kind not in KEY_KINDS:
            return []
        keyed = self.key_heads([event.author]).get(event.author)
        state = keyed[0].state if keyed else KeyState.inception(event.author)
        return [(group_id_text(event.author), change) for change in key_changes(state, [event])]

    def ingest(self, events: Iterable[Event], mode: Mode = Mode.HEAD) -> StoreIngest:
        """Check peers' events against the stored heads (events.ingest.decide) and write the outcome in one transaction.

        Duplicates are counted, a different signed event at a taken seq becomes a stored fork proof (one per
        author), and invalid events are returned as rejections; nothing invalid is stored.
        """
        events = list(events)
        for _ in range(MAX_WRITE_ATTEMPTS):
            try:
                return self.write_decided(self.decide_ingest(events, mode))
            except StaleDecisionError:
                continue  # a concurrent writer stored some of these positions first: decide again
        raise StoreConflictError(f"log positions kept being taken by another writer after {MAX_WRITE_ATTEMPTS} attempts")

    def decide_ingest(
        self, events: list[Event], mode: Mode = Mode.HEAD, after: PreparedIngest | None = None, *, payloads_checked: bool = False
    ) -> PreparedIngest:
        """Return the ingest decision for `events` against the stored logs, or, with `after` (a decision this process
        is writing now, or about to), against them as they will be once it is stored (events.ingest.decide_after);
        with the rows that write it.

        Writes nothing; reads only (so it may run on another thread than the writer's, while `after` is written).
        `payloads_checked`: see events.ingest.decide.
        """
        with translated("reading log heads"):
            rows = self.recorder.select_heads([group_id_text(a) for a in dict.fromkeys(e.header.author for e in events)])
        heads = {row.author: _head(row) for row in rows}
        if after is None:
            return prepare(decide(events, heads, self, mode, payloads_checked=payloads_checked))
        return prepare(decide_after(events, heads, self, after.result, mode, payloads_checked=payloads_checked))

    def write_decided(self, prepared: PreparedIngest) -> StoreIngest:
        """Write a prepared ingest decision in one transaction and return it with its events' notification ids.

        Raises StaleDecisionError, having written nothing, if a concurrent writer took one of its log positions since
        it was decided (or if it was decided after another decision that was never written): decide it again.
        """
        result = prepared.result
        if not result.stored and not result.forks:
            return StoreIngest(result, ())
        p = prepared
        try:
            with translated("storing ingested events"), _position_taken():
                ids = self.recorder.insert_events(p.stored, index=p.index, heads=p.heads, forks=p.forks, keys=p.keys, cuts=p.cuts)
        except _Taken as exc:
            raise StaleDecisionError("another writer stored some of these log positions first; decide again") from exc
        return StoreIngest(result, tuple(ids or ()))

    def add_fork_proof(self, proof: ForkProof) -> bool:
        """Verify and store a fork proof (e.g. received from a peer); True if it was new."""
        try:
            data = encode_fork_proof(proof)
            decode_fork_proof(data)
        except EventError as exc:
            raise InvalidEventError(f"not a valid fork proof: {exc.message}", field=exc.field or "fork_proof") from exc
        row = fork_row(proof, data)
        originator = row.originator_id
        with translated("storing a fork proof"):
            known = any(r.id_a == row.id_a and r.id_b == row.id_b for r in self.recorder.select_fork_rows(originator))
            if not known:
                self.recorder.insert_events([], forks=[row])
        return not known

    def drop_payload(self, event_id: bytes) -> bool:
        """Drop a stored event's payload (redaction), keeping its header and signature; True if a payload was dropped."""
        event = self.get(event_id)
        if event is None or event.payload is None:
            return False
        with translated("dropping a payload"):
            return self.recorder.update_state(group_id_text(event.author), event.seq, encode_record(event.without_payload()))

    # -- reading ---------------------------------------------------------------------------------------

    def head(self, author: bytes) -> ChainHead | None:
        """Return the newest stored event of `author`'s log as a ChainHead, or None if none is stored."""
        with translated("reading a log head"):
            rows = self.recorder.select_heads([group_id_text(author)])
        return _head(rows[0]) if rows else None

    def heads(self) -> dict[bytes, ChainHead]:
        """Return the frontier: every stored author's newest event."""
        with translated("reading log heads"):
            return {row.author: _head(row) for row in self.recorder.select_heads()}

    def counts_of(self, authors: Sequence[bytes]) -> dict[bytes, int]:
        """Return how many events of each of `authors` are stored (those with none are left out)."""
        if not authors:
            return {}
        with translated("reading log heads"):
            return {row.author: row.seq for row in self.recorder.select_heads([group_id_text(a) for a in authors])}

    def heads_after(self, after: str, limit: int) -> list[tuple[str, bytes, int]]:
        """Return up to `limit` (originator id, author, event count) of stored logs after `after`, by originator id."""
        with translated("reading log heads"):
            return [(row.originator_id, row.author, row.seq) for row in self.recorder.select_heads_after(after, limit)]

    def heads_of(self, authors: Iterable[bytes]) -> dict[bytes, ChainHead]:
        """Return the newest stored event of each of `authors` that has one."""
        with translated("reading log heads"):
            return {row.author: _head(row) for row in self.recorder.select_heads([group_id_text(a) for a in authors])}

    def head_range(self, lo: bytes, hi: bytes | None, limit: int) -> list[ChainHead]:
        """Return up to `limit` heads of the authors from `lo` (inclusive) to `hi` (exclusive; None: no end), ascending."""
        with translated("reading a range of log heads"):
            return [_head(row) for row in self.recorder.select_head_range(lo, hi, limit)]

    def counts(self) -> dict[bytes, int]:
        """Return how many events of each author are stored (logs are contiguous from seq 1)."""
        return {author: head.seq for author, head in self.heads().items()}

    def get(self, event_id: bytes) -> Event | None:
        """Return the stored event with this id (payload None if dropped), or None."""
        with translated("reading an event"):
            state = self.recorder.select_state_by_id(event_id)
        return None if state is None else load_record(state)

    def ids_starting(self, prefix: str, limit: int) -> list[bytes]:
        """Return up to `limit` stored event ids whose hex starts with `prefix` (lower-case hex), ascending."""
        lo, hi = bytes.fromhex(prefix.ljust(64, "0")), bytes.fromhex(prefix.ljust(64, "f"))
        with translated("finding events by id prefix"):
            return self.recorder.select_ids_between(lo, hi, limit)

    def get_record(self, event_id: bytes) -> bytes | None:
        """Return the stored record bytes of an event, exactly as stored, or None."""
        with translated("reading an event"):
            return self.recorder.select_state_by_id(event_id)

    def read_log(self, author: bytes, from_seq: int = 1, limit: int = 1000) -> list[Event]:
        """Return up to `limit` events of `author`'s log from `from_seq` on, in seq order."""
        return [load_record(s) for s in self._read_states(author, from_seq, limit)]

    def read_records(self, author: bytes, from_seq: int = 1, limit: int = 1000) -> list[bytes]:
        """Return the stored record bytes of up to `limit` events of `author`'s log from `from_seq` on."""
        return self._read_states(author, from_seq, limit)

    def _read_states(self, author: bytes, from_seq: int, limit: int) -> list[bytes]:
        with translated("reading a log"):
            rows = self.recorder.select_events(group_id_text(author), gt=max(from_seq, 1) - 1, limit=limit)
        return [r.state for r in rows]

    def notifications(self, after: int = 0, limit: int = 1000) -> list[tuple[int, Event]]:
        """Return up to `limit` (notification id, event) pairs in local arrival order, after notification `after`."""
        return [(n, load_record(s)) for n, s in self.notification_records(after, limit)]

    def notifications_except(self, after: int, limit: int, skip: Container[int]) -> tuple[int, list[Event]]:
        """Read up to `limit` notifications after `after`; return the newest id read (`after` if none) and the
        events of those whose ids are not in `skip`, in order (the skipped ones are not decoded)."""
        page = self.notification_records(after, limit)
        newest = page[-1][0] if page else after
        return newest, [load_record(state) for n, state in page if n not in skip]

    def notification_records(self, after: int = 0, limit: int = 1000) -> list[tuple[int, bytes]]:
        """Like `notifications`, with the record bytes as stored."""
        with translated("reading notifications"):
            return self.recorder.select_notification_states(after, limit)

    def iter_notifications(self, after: int = 0, batch: int = 1000) -> Iterator[tuple[int, Event]]:
        """Yield every (notification id, event) after `after`, reading `batch` at a time."""
        while True:
            page = self.notifications(after, batch)
            yield from page
            if len(page) < batch:
                return
            after = page[-1][0]

    def iter_export(self, batch: int = 1000) -> Iterator[Event]:
        """Yield every stored event (arrival order), then every event a rotation superseded (docs/PROTOCOL.md §11.1):
        an export or audit of this store carries that evidence after the logs, where it is reported, not stored."""
        yield from (event for _, event in self.iter_notifications(batch=batch))
        after: tuple[str, int, bytes] | None = None
        while page := self.superseded(None, after, batch):
            yield from (load_record(row.state) for row in page)
            after = (page[-1].originator_id, page[-1].seq, page[-1].event_id)

    def max_notification_id(self) -> int:
        """Return the newest notification id (0 when nothing is stored)."""
        with translated("reading the notification log"):
            return self.recorder.max_notification_id() or 0

    def fork_proofs(self, author: bytes | None = None) -> list[ForkProof]:
        """Return the stored fork proofs, of one author or of all."""
        with translated("reading fork proofs"):
            rows = self.recorder.select_fork_rows(None if author is None else group_id_text(author))
        return [decode_fork_proof(r.proof) for r in rows]

    def forked_among(self, authors: Sequence[bytes]) -> set[bytes]:
        """Return which of `authors` have a stored fork proof."""
        if not authors:
            return set()
        with translated("reading fork proofs"):
            forked = self.recorder.select_forked_among([group_id_text(a) for a in authors])
        return {parse_group_id(o) for o in forked}

    def totals(self) -> tuple[int, int, int]:
        """Return (logs, events, fork proofs) stored, counted in the database."""
        with translated("counting the log"):
            return self.recorder.select_totals()

    def forked_authors(self) -> set[bytes]:
        """Return the authors for whom a fork proof is stored."""
        with translated("reading fork proofs"):
            return {parse_group_id(o) for o in self.recorder.select_forked_originators()}

    # -- read models, lifecycle ------------------------------------------------------------------------

    @abstractmethod
    def view_store(self, name: str = "views") -> ViewStore:
        """Return the read-model store `name` kept in this store's database."""

    @abstractmethod
    def close(self) -> None:
        """Release the database connections."""

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- events.ingest.StoredLog: what the ingest decision reads ---------------------------------------------

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        """Return which of `event_ids` are stored."""
        with translated("looking up event ids"):
            return self.recorder.select_known_ids(event_ids)

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        """Return up to MAX_RUN stored events of `author` from `seq` on."""
        return self.read_log(author, seq, MAX_RUN)

    def forked(self, author: bytes) -> bool:
        """Return whether a fork proof of `author` is stored."""
        with translated("reading fork proofs"):
            return bool(self.recorder.select_fork_rows(group_id_text(author)))

    def key_heads(self, authors: list[bytes]) -> dict[bytes, tuple[KeyChange, KeyChange | None]]:
        """Return, for each of `authors` with stored key changes, its last key change and its last rotation."""
        with translated("reading key states"):
            return {last.author: (last, rot) for last, rot in self.recorder.select_key_heads([_origin(a) for a in authors])}

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> KeyChange | None:
        """Return `author`'s last stored key change (only rotations if `rotation`) at or below `seq`, or None."""
        with translated("reading key states"):
            return self.recorder.select_key_change(group_id_text(author), seq, rotation)

    # -- key rotation: what the node shows and exports (docs/PROTOCOL.md §11.1) ------------------------------

    def rotations(self, author: bytes, after: int = 0, limit: int = 100) -> list[KeyChange]:
        """Return up to `limit` stored rotations of `author` after seq `after`, in seq order."""
        with translated("reading rotations"):
            return self.recorder.select_rotations(group_id_text(author), after, limit)

    def superseded(
        self, author: bytes | None, after: tuple[str, int, bytes] | None = None, limit: int = 100
    ) -> list[SupersededRow]:
        """Return up to `limit` stored events that rotations superseded (of one author or all), after `after`."""
        with translated("reading superseded events"):
            return self.recorder.select_superseded(None if author is None else group_id_text(author), after, limit)

    def rotation_marks(self, authors: Sequence[bytes]) -> tuple[set[bytes], dict[bytes, int]]:
        """Return which of `authors` have rotated, and how many superseded events each has (those with any)."""
        if not authors:
            return set(), {}
        origins = {group_id_text(a): a for a in authors}
        with translated("reading rotations"):
            rotated = self.recorder.select_rotated_among(list(origins))
            counts = self.recorder.select_superseded_among(list(origins))
        return {origins[o] for o in rotated}, {origins[o]: n for o, n in counts.items()}


@functools.lru_cache(maxsize=65_536)
def _origin(author: bytes) -> str:
    """Return the stream name (group id text) of `author`; cached: each ingest batch asks it for every author."""
    return group_id_text(author)


class _Taken(Exception):
    """Internal: a position was taken by a concurrent writer (the library raised IntegrityError)."""


@contextmanager
def _position_taken() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        raise _Taken from exc
