"""Slowing down password guessing: login attempts are counted per client address within a sliding window.

An attempt is counted when it starts, before its secret is checked (`attempt`), and forgotten only by a good
login: so concurrent guesses from one address are refused once the limit is reached, however many are in flight.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 10
WINDOW_SECONDS = 600.0
MAX_CLIENTS = 10_000


class LoginThrottle:
    """Refuses logins from an address after `limit` unsuccessful attempts within `window` seconds (the oldest ages out)."""

    def __init__(self, *, limit: int = MAX_FAILURES, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        cutoff = self.clock() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        if not failures:
            del self._failures[client]
        return failures

    def retry_after(self, client: str) -> int:
        """Return the seconds until `client` may try again (0 if it may try now)."""
        failures = self._recent(client)
        if len(failures) < self.limit:
            return 0
        return max(1, int(failures[0] + self.window - self.clock()) + 1)

    def attempt(self, client: str) -> int:
        """Count a login attempt from `client` that is about to be checked; return 0, or if the limit is reached the
        seconds until it may try again (and count nothing)."""
        wait = self.retry_after(client)
        if wait == 0:
            self.failed(client)  # counted as failed until it succeeds: no await lies between the check and the count
        return wait

    def failed(self, client: str) -> None:
        """Count a failed login (or one not yet checked) from `client`."""
        if client not in self._failures and len(self._failures) >= MAX_CLIENTS:
            self._failures.pop(next(iter(self._failures)))  # the longest-known client goes first
        self._failures.setdefault(client, deque()).append(self.clock())

    def succeeded(self, client: str) -> None:
        """Forget the failures of `client` after a good login."""
        self._failures.pop(client, None)
