"""A read's deadline and cancellation, carried by the reader thread into every database call the read makes.

AsyncStore runs each read inside a ReadScope (`scoped`). The backends' datastores look it up (`current`) when a
read opens a transaction: they refuse to start one for a read that is over its deadline or stopped, and attach
an interrupter for the transaction's duration (SQLite: a progress handler that aborts the statement from inside
the thread; PostgreSQL: `statement_timeout` for the deadline and a cancel request for a stop). `interrupt`,
called from the event loop when the client has gone, the deadline passed or the node shuts down, stops the
statement running now and every later one of this read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import ReadInterruptedError, ReadTimeoutError

PROGRESS_STEPS = 1000
"""SQLite virtual-machine steps between two checks of the scope (a check costs about a microsecond)."""

_local = threading.local()


class ReadScope:
    """One read: what it is (for error messages), its deadline (time.monotonic) or None, and whether it was stopped."""

    __slots__ = ("_interrupter", "_lock", "deadline", "stopped", "timeout", "what")

    def __init__(self, what: str, timeout: float | None):
        self.what = what
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.stopped = False
        self._lock = threading.Lock()
        self._interrupter: Callable[[], None] | None = None

    def expired(self) -> bool:
        """True iff the read was stopped or is past its deadline."""
        return self.stopped or (self.deadline is not None and time.monotonic() >= self.deadline)

    def remaining(self) -> float | None:
        """Return the seconds left before the deadline (None: no deadline)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def progress(self) -> int:
        """SQLite progress handler: nonzero aborts the running statement."""
        return 1 if self.expired() else 0

    def error(self) -> ReadTimeoutError | ReadInterruptedError:
        """Return the error that says why this read ended early."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return ReadTimeoutError(f"{self.what} took longer than the read deadline of {self.timeout:g} s", field="read_timeout")
        return ReadInterruptedError(f"{self.what} was stopped (the client went away or the node is shutting down)")

    def check(self) -> None:
        """Raise the scope's error if the read must not go on."""
        if self.expired():
            raise self.error()

    def interrupt(self) -> None:
        """Stop the read: the statement running now is aborted and no later one starts. Safe from any thread."""
        self.stopped = True
        with self._lock:  # the interrupter belongs to a connection only while this read holds it
            if self._interrupter is not None:
                self._interrupter()

    @contextmanager
    def attached(self, interrupter: Callable[[], None]) -> Iterator[None]:
        """Let `interrupt` call `interrupter` while the block runs (the block holds the connection it acts on)."""
        with self._lock:
            self._interrupter = interrupter
        try:
            yield
        finally:
            with self._lock:
                self._interrupter = None


def current() -> ReadScope | None:
    """Return the scope of the read running on this thread, or None (writes, and reads outside AsyncStore)."""
    return getattr(_local, "scope", None)


@contextmanager
def scoped(scope: ReadScope) -> Iterator[ReadScope]:
    """Run the block as `scope`'s read on this thread."""
    previous = getattr(_local, "scope", None)
    _local.scope = scope
    try:
        yield scope
    finally:
        _local.scope = previous
