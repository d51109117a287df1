"""What the node's recorders add to eventsourcing's: an event-id index, log heads, fork proofs, read-model documents.

Each backend module (sqlite.py, postgres.py) subclasses the library's ApplicationRecorder / TrackingRecorder
and one of the abstract mixins below, the way the library's own examples extend `_insert_events()`: extra
rows travel as keyword arguments of `insert_events()` and are written in the library's transaction, so an
event, its index row, its author's head and any fork proof commit together or not at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from eventsourcing.persistence import ApplicationRecorder, Tracking, TrackingRecorder

EVENTS_TABLE = "stored_events"
INDEX_TABLE = "event_index"
HEADS_TABLE = "log_heads"
FORKS_TABLE = "fork_proofs"


@dataclass(frozen=True, slots=True)
class IndexRow:
    """event id -> position of the event in its author's stream."""

    event_id: bytes
    originator_id: str
    seq: int


@dataclass(frozen=True, slots=True)
class HeadRow:
    """The newest stored event of one author's stream."""

    originator_id: str
    author: bytes
    seq: int
    event_id: bytes
    timestamp: int


@dataclass(frozen=True, slots=True)
class ForkRow:
    """A fork proof as canonical bytes, keyed by its two first event ids."""

    originator_id: str
    seq: int
    id_a: bytes
    id_b: bytes
    proof: bytes


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """One read-model document; `doc` is canonical msgpack."""

    collection: str
    key: bytes
    author: bytes
    ref: bytes | None
    doc: bytes


class LogRecorder(ApplicationRecorder, ABC):
    """An application recorder whose `insert_events(stored, index=, heads=, forks=)` also writes the node's tables.

    The library's (originator_id, originator_version) uniqueness raises IntegrityError for a taken position;
    the notification id is the node's local arrival order.
    """

    def select_notification_states(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        """Return up to `limit` (notification id, state) pairs after notification `after`, in order.

        The library's select_notifications builds a Notification per row; read models and peers only need
        these two columns, so backends may override this with a narrower query.
        """
        return [(n.id, n.state) for n in self.select_notifications(after, limit, inclusive_of_start=False)]

    @abstractmethod
    def select_heads(self, originator_ids: Sequence[str] | None = None) -> list[HeadRow]:
        """Return the head rows of the given streams (all streams when None)."""

    @abstractmethod
    def select_known_ids(self, event_ids: Sequence[bytes]) -> set[bytes]:
        """Return the subset of `event_ids` that are stored."""

    @abstractmethod
    def select_state_by_id(self, event_id: bytes) -> bytes | None:
        """Return the stored state (record bytes) of the event with this id, or None."""

    @abstractmethod
    def update_state(self, originator_id: str, originator_version: int, state: bytes) -> bool:
        """Replace the stored state of one event (used only to drop a payload); True if a row changed."""

    @abstractmethod
    def select_fork_rows(self, originator_id: str | None = None) -> list[ForkRow]:
        """Return stored fork proofs, of one stream or of all."""

    @abstractmethod
    def select_forked_originators(self) -> list[str]:
        """Return the originator ids that have at least one stored fork proof."""


class ViewRecorder(TrackingRecorder, ABC):
    """A tracking recorder that also keeps read-model documents, written with the tracking row in one transaction."""

    documents_table: str

    @abstractmethod
    def select_document(self, collection: str, key: bytes) -> DocumentRow | None:
        """Return one document, or None."""

    @abstractmethod
    def select_documents(self, collection: str, ref: bytes | None, author: bytes | None) -> list[DocumentRow]:
        """Return a collection's documents (filtered by ref and/or author when given), ordered by key."""

    @abstractmethod
    def write_documents(
        self, puts: Sequence[DocumentRow], deletes: Sequence[tuple[str, bytes]], tracking: Tracking, settle: bool = True
    ) -> None:
        """Write puts and deletes and the tracking position atomically; IntegrityError if the position is not new.

        The documents' entry hashes and their authors' dirty marks are written too; `settle` also recomputes
        every dirty group digest in the same transaction (node/store/group_digests.py)."""

    @abstractmethod
    def clear_documents(self, application_name: str) -> None:
        """Delete every document and the tracking position of `application_name`, atomically."""

    @abstractmethod
    def settle_digests(self) -> int:
        """Recompute every dirty group digest in a transaction of its own; return how many."""

    @abstractmethod
    def select_group_digests(self, after: bytes | None, limit: int) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
        """Return up to `limit` (author, group digest) pairs after `after`, ascending, and the next page's start or None."""

    @abstractmethod
    def select_digest_state(self, application_name: str) -> tuple[int, list[tuple[bytes, bytes]]]:
        """Return the tracked position and every (author, group digest) pair, ascending, from one snapshot."""
