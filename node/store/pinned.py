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

from eventsourcing import persistence


class PinnedReads:
    """Mixin for the node's datastores: `pinned_reads()`, and `_pinned()` for their `transaction` to consult."""

    _pins: threading.local

    def _pinned(self) -> Any | None:
        """Return the cursor of this thread's pinned read transaction on this datastore, or None."""
        pins = self.__dict__.get("_pins")
        return None if pins is None else getattr(pins, "cursor", None)

    @staticmethod
    @contextmanager
    def _shared(cursor: Any) -> Iterator[Any]:
        """Yield the pinned transaction's cursor to a read inside it; a driver error raised there leaves it as the
        library's error of the same PEP 249 class, as the library's own transaction raises it, so the read's
        `translated` (node/store/translate.py) says what failed (a read past its deadline: ReadTimeoutError)."""
        try:
            yield cursor
        except Exception as exc:
            error = library_error(exc)
            if error is None:
                raise
            raise error from exc

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


# The PEP 249 classes both drivers (sqlite3, psycopg) raise, most specific first, and eventsourcing's of the same name.
_PEP_249 = (
    "IntegrityError",
    "OperationalError",
    "ProgrammingError",
    "DataError",
    "InternalError",
    "NotSupportedError",
    "InterfaceError",
    "DatabaseError",
)


def library_error(exc: BaseException) -> persistence.PersistenceError | None:
    """Return eventsourcing's error for a driver's PEP 249 error (None for an error that is not one, or is already
    the library's), named by the nearest PEP 249 class in the driver error's class hierarchy."""
    if isinstance(exc, persistence.PersistenceError):
        return None
    names = {cls.__name__ for cls in type(exc).__mro__ if cls.__module__ != "builtins"}
    for name in _PEP_249:
        if name in names:
            return getattr(persistence, name)(str(exc))
    return None
