"""A store ingest's outcome: the one ingest decision (events.ingest) and where the stored events landed.

The decision reads the store only through the `StoredLog` it is given, so it is the same for every backend
and for the memory replica; the store then writes the outcome in one transaction (and decides again if a
concurrent writer got there first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from events.ingest import IngestResult

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent

    from events.supersede import KeyChange

    from .key_states import CutRow
    from .recorder import ForkRow, HeadRow, IndexRow


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
    stored: list[StoredEvent] = field(default_factory=list)
    index: list[IndexRow] = field(default_factory=list)
    heads: list[HeadRow] = field(default_factory=list)
    forks: list[ForkRow] = field(default_factory=list)
    keys: list[tuple[str, KeyChange]] = field(default_factory=list)
    cuts: list[CutRow] = field(default_factory=list)
