"""What the node's recorders add to eventsourcing's: an event-id index, log heads, fork proofs, read-model documents.

Each backend module (sqlite.py, postgres.py) subclasses the library's ApplicationRecorder / TrackingRecorder
and one of the abstract mixins below, the way the library's own examples extend `_insert_events()`: extra
rows travel as keyword arguments of `insert_events()` and are written in the library's transaction, so an
event, its index row, its author's head and any fork proof commit together or not at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from eventsourcing.persistence import ApplicationRecorder, Tracking, TrackingRecorder

from events.readmodel.listing import Cursor, Listing
from events.readmodel.search import Query

from . import listing_sql
from .listing_sql import Where
from .search_sql import SearchAfter

EVENTS_TABLE = "stored_events"
INDEX_TABLE = "event_index"
HEADS_TABLE = "log_heads"
FORKS_TABLE = "fork_proofs"
ARM_PARAMETERS = 30_000  # bound parameters in one first_per_ref statement (SQLite allows 32,766, PostgreSQL 65,535)


class EventRow(NamedTuple):
    """An event's row in the library's events table, in its column order, with the field names of the library's
    StoredEvent (which the library's insert_events is typed for) but a tuple: an import makes one per event it stores,
    and StoredEvent's frozen init costs 2.5 times as much."""

    originator_id: str
    originator_version: int
    topic: str
    state: bytes


EventRows = Sequence[EventRow]
"""What a recorder's insert_events takes (base.stored_event makes them)."""


class IndexRow(NamedTuple):
    """event id -> position of the event in its author's stream (a tuple: an import makes one per event it stores,
    and a frozen dataclass's init cost three times as much)."""

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
    """One read-model document; `doc` is canonical msgpack; `listing` and `search` (set when writing) its order and filter
    values and its folded searchable text (None: not searched)."""

    collection: str
    key: bytes
    author: bytes
    ref: bytes | None
    doc: bytes
    listing: Listing | None = None
    search: str | None = None


class LogRecorder(ApplicationRecorder, ABC):
    """An application recorder whose `insert_events(stored, index=, heads=, forks=)` also writes the node's tables.

    `index`, when given, holds one IndexRow per stored event, in the same order (`index[i]` is `stored[i]`'s).

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
    def select_heads_after(self, after: str, limit: int) -> list[HeadRow]:
        """Return up to `limit` head rows whose originator id sorts after `after`, in that order."""

    def select_head_range(self, lo: bytes, hi: bytes | None, limit: int) -> list[HeadRow]:
        """Return up to `limit` head rows with `lo` <= author < `hi` (no upper end when None), ascending by author.

        Served by an index on the author, so reconciliation reads one key range at a time.
        """

    @abstractmethod
    def select_known_ids(self, event_ids: Sequence[bytes]) -> set[bytes]:
        """Return the subset of `event_ids` that are stored."""

    @abstractmethod
    def select_ids_between(self, lo: bytes, hi: bytes, limit: int) -> list[bytes]:
        """Return up to `limit` stored event ids with `lo` <= id <= `hi`, ascending (served by the id index)."""

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

    @abstractmethod
    def select_forked_among(self, originator_ids: Sequence[str]) -> set[str]:
        """Return which of `originator_ids` have at least one stored fork proof."""

    @abstractmethod
    def select_totals(self) -> tuple[int, int, int]:
        """Return (logs, events, fork proofs) stored, counted in the database."""


class ViewRecorder(TrackingRecorder, ABC):
    """A tracking recorder that also keeps read-model documents, written with the tracking row in one transaction."""

    documents_table: str

    @abstractmethod
    def select_document(self, collection: str, key: bytes) -> DocumentRow | None:
        """Return one document, or None."""

    @abstractmethod
    def select_documents(self, collection: str, ref: bytes | None, author: bytes | None) -> list[DocumentRow]:
        """Return a collection's documents (filtered by ref and/or author when given), ordered by key."""

    # Lists (node/store/listing_sql.py builds the statements; each backend runs them with `_select`).
    listing_table: str  # the documents table as it is named in statements (schema-qualified where needed)
    search_statement: Callable[..., tuple[str, list[Any]]]  # the backend's full-text statement (search_sql.py)
    placeholder: str

    @abstractmethod
    def _select(self, statement: str, params: Sequence[object]) -> list[tuple]:
        """Run one read-only statement; return its rows as tuples (binary values as bytes)."""

    # Bulk projection (node/store/projector.py): a long catch-up into (nearly) empty read models writes its
    # documents without the list indexes and builds them once at the end, sorted, instead of inserting into
    # five B-trees at random for every batch.
    @abstractmethod
    def _run_ddl(self, statements: Sequence[str]) -> None:
        """Run schema statements in one committed transaction."""

    @abstractmethod
    def _qualified_index(self, name: str) -> str:
        """Return an index name as DROP INDEX takes it (schema-qualified where the backend needs it)."""

    def drop_list_indexes(self) -> None:
        """Drop the list indexes the projection does not read (lists stay correct without them, only slow);
        create_list_indexes restores them."""
        names = listing_sql.bulk_dropped_index_names(self.documents_table)
        self._run_ddl([f"DROP INDEX IF EXISTS {self._qualified_index(n)}" for n in names])

    def create_list_indexes(self) -> None:
        """Create any missing list index (a no-op when all exist)."""
        self._run_ddl(listing_sql.index_statements(self.listing_table, self.documents_table))

    def analyze(self) -> None:
        """Refresh the query planner's statistics of the read-model tables (after a bulk projection)."""

    @staticmethod
    def _document(r: tuple) -> DocumentRow:
        return DocumentRow(r[0], r[1], r[2], r[3], r[4])

    def select_page(self, collection: str, where: Where, after: Cursor | None, limit: int) -> list[DocumentRow]:
        """Return up to `limit` documents of a collection matching `where`, after `after`, in the collection's order."""
        statement, params = listing_sql.page_statement(self.listing_table, self.placeholder, collection, where, after, limit)
        return [self._document(r) for r in self._select(statement, params)]

    def _select_chunked(
        self, statement: Callable[..., tuple[str, list[Any]]], collection: str, items: Sequence[bytes], *extra: Any, size: int
    ) -> list[tuple]:
        """Run `statement(table, placeholder, collection, chunk, *extra)` for each chunk of at most `size` items; return
        all their rows."""
        rows: list[tuple] = []
        for i in range(0, len(items), size):
            rows += self._select(*statement(self.listing_table, self.placeholder, collection, items[i : i + size], *extra))
        return rows

    def select_by_keys(self, collection: str, keys: Sequence[bytes]) -> list[DocumentRow]:
        """Return the documents of a collection with these keys (in no particular order)."""
        rows = self._select_chunked(listing_sql.keys_statement, collection, keys, size=listing_sql.MAX_KEYS)
        return [self._document(r) for r in rows]

    def select_tags(self, collection: str, keys: Sequence[bytes]) -> list[tuple[bytes, str | None]]:
        """Return (key, tag) of the documents of a collection with these keys (in no particular order)."""
        rows = self._select_chunked(listing_sql.tags_statement, collection, keys, size=listing_sql.MAX_KEYS)
        return [(r[0], r[1]) for r in rows]

    def select_first_per_ref(
        self, collection: str, refs: Sequence[bytes], n: int, hidden: Sequence[bytes] = ()
    ) -> list[DocumentRow]:
        """Return the first `n` documents (in list order) hanging from each of `refs` and not by `hidden` authors, in no
        particular order."""
        arms = max(1, min(listing_sql.MAX_ARMS, ARM_PARAMETERS // (3 + len(hidden))))  # each arm repeats the hidden list
        rows = self._select_chunked(listing_sql.first_per_ref_statement, collection, refs, n, hidden, size=arms)
        return [self._document(r) for r in rows]

    def select_counts(
        self, collection: str, refs: Sequence[bytes], hidden: Sequence[bytes] = ()
    ) -> list[tuple[bytes, str | None, str | None, int, int]]:
        """Return (ref, tag, status, count, summed qty) for the documents hanging from each of `refs` (not by `hidden`)."""
        rows = self._select_chunked(listing_sql.counts_statement, collection, refs, hidden, size=listing_sql.MAX_KEYS)
        return [(r[0], r[1], r[2], int(r[3]), int(r[4] or 0)) for r in rows]

    def select_author_counts(
        self, collection: str, refs: Sequence[bytes], statuses: Sequence[str], hidden: Sequence[bytes] = ()
    ) -> dict[bytes, int]:
        """Return how many distinct authors (not `hidden`) wrote documents in `statuses` hanging from each of `refs`."""
        rows = self._select_chunked(listing_sql.authors_statement, collection, refs, statuses, hidden, size=listing_sql.MAX_KEYS)
        return {r[0]: int(r[1]) for r in rows}

    def select_tagged_authors(
        self, collection: str, ref: bytes, tag: str, limit: int, hidden: Sequence[bytes] = ()
    ) -> list[bytes]:
        """Return up to `limit` authors (not `hidden`) of documents with this ref and tag (the first in list order), in
        byte order."""
        statement, params = listing_sql.tagged_authors_statement(
            self.listing_table, self.placeholder, collection, ref, tag, limit, hidden
        )
        return sorted(r[0] for r in self._select(statement, params))

    def select_search(
        self,
        query: Query,
        collections: Sequence[str],
        author: bytes | None,
        after: SearchAfter | None,
        limit: int,
        hidden: Sequence[bytes] = (),
        lang: str | None = None,
    ) -> list[DocumentRow]:
        """Return up to `limit` documents of `collections` matching `query` (by `author` and in `lang` if given, none by
        `hidden`), newest first then by key, after `after`."""
        statement, params = self.search_statement(self.listing_table, query, collections, author, after, limit, hidden, lang)
        return [self._document(r) for r in self._select(statement, params)]

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
