"""One read transaction shared by many small reads of one thread: what a projection batch's lookups run in.

A projection batch looks up documents one at a time (the projection is a pure function that asks its view for
what it needs), and each lookup on its own would open a transaction: take a pooled connection, BEGIN, SELECT,
ROLLBACK, give it back; on PostgreSQL three round trips for one row. Inside `pinned_reads()` a thread's read
transactions on the datastore reuse one open transaction instead. Writes (commit=True) never share it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class PinnedReads:
    """Mixin for the node's datastores: `pinned_reads()`, and `_pinned()` for their `transaction` to consult."""

    _pins: threading.local

    def _pinned(self) -> Any | None:
        """Return the cursor of this thread's pinned read transaction on this datastore, or None."""
        pins = self.__dict__.get("_pins")
        return None if pins is None else getattr(pins, "cursor", None)

    @contextmanager
    def pinned_reads(self) -> Iterator[None]:
        """Run the block's read transactions on this datastore (this thread only) in one shared transaction."""
        if self._pinned() is not None:
            yield
            return
        pins = self.__dict__.setdefault("_pins", threading.local())
        with self.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            pins.cursor = cursor
            try:
                yield
            finally:
                pins.cursor = None
