"""A store ingest's outcome: the one ingest decision (events.ingest) and where the stored events landed.

The decision reads the store only through the `StoredLog` it is given, so it is the same for every backend
and for the memory replica; the store then writes the outcome in one transaction (and decides again if a
concurrent writer got there first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from events.ingest import IngestResult


@dataclass(frozen=True, slots=True)
class StoreIngest:
    """A store ingest: the decision it wrote and the notification ids of `result.stored`, in the same order."""

    result: IngestResult = field(default_factory=IngestResult)
    notification_ids: tuple[int, ...] = ()
