"""A store ingest: the one ingest decision (events.ingest), the rows that write it, and where the stored events landed.

The decision reads the store only through the `StoredLog` it is given, so it is the same for every backend
and for the memory replica; `prepare` makes the rows that write it (on the thread that decided it), and the store
then writes them in one transaction (and decides again if a concurrent writer got there first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from events.event import Event, encode_record
from events.fork import ForkProof, encode_fork_proof
from events.identity import group_id_text
from events.ingest import IngestResult

from .key_states import CutRow
from .recorder import EventRow, ForkRow, HeadRow, IndexRow

if TYPE_CHECKING:
    from events.supersede import KeyChange


@dataclass(frozen=True, slots=True)
class StoreIngest:
    """A store ingest: the decision it wrote and the notification ids of `result.stored`, in the same order."""

    result: IngestResult = field(default_factory=IngestResult)
    notification_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PreparedIngest:
    """An ingest decision and the rows that write it (EventStore.decide_ingest), made ready beside the writer thread so
    that writing it (EventStore.write_decided) is only the database's work."""

    result: IngestResult
    stored: list[EventRow] = field(default_factory=list)
    index: list[IndexRow] = field(default_factory=list)
    heads: list[HeadRow] = field(default_factory=list)
    forks: list[ForkRow] = field(default_factory=list)
    keys: list[tuple[str, KeyChange]] = field(default_factory=list)
    cuts: list[CutRow] = field(default_factory=list)


def event_row(event: Event, originator: str) -> EventRow:
    """Return the events table's row of `event` (`originator`: its author's group id text): stream = group id text,
    version = seq, topic = kind, state = record bytes."""
    header = event.header
    return EventRow(originator, header.seq, header.kind, encode_record(event))


def _event_rows(events: Sequence[Event], originators: dict[bytes, str]) -> tuple[list[EventRow], list[IndexRow]]:
    """Return the event row and the id-index row of each of `events`, in order (in one pass: an import builds one of
    each for every event it stores)."""
    stored: list[EventRow] = []
    index: list[IndexRow] = []
    for event in events:
        originator = originators[event.header.author]
        stored.append(event_row(event, originator))
        index.append(IndexRow(event.id, originator, event.header.seq))
    return stored, index


def prepare(result: IngestResult) -> PreparedIngest:
    """Return `result` with the rows that write it (EventStore.write_decided)."""
    if not result.stored and not result.forks:
        return PreparedIngest(result)
    new_heads = result.heads()  # (every author with stored events)
    originators = {author: group_id_text(author) for author in new_heads}
    stored, index = _event_rows(result.stored, originators)
    heads = [HeadRow(originators[a], a, h.seq, h.id, h.timestamp) for a, h in new_heads.items()]
    keys = [(group_id_text(k.author), k) for k in result.keys]
    cuts = [CutRow(group_id_text(c.author), c.seq) for c in result.superseded]
    return PreparedIngest(result, stored, index, heads, [fork_row(p) for p in result.forks], keys, cuts)


def fork_row(proof: ForkProof, data: bytes | None = None) -> ForkRow:
    """Return the fork proofs table's row of `proof` (`data`: its encoding, if already made)."""
    return ForkRow(group_id_text(proof.author), proof.seq, proof.id_a, proof.id_b, data or encode_fork_proof(proof))
