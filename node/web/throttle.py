"""Slowing down password guessing: login attempts are counted per client address and per account, in a sliding window.

An attempt is counted when it starts, before its secret is checked (`attempt`), in both its address's and its
account's count at once (no await lies between the check and the counting), and forgotten only by a good login:
so concurrent guesses are refused once either limit is reached, however many are in flight, whether they come
from one address or from many. Today the node has one account, the shared password or API token (`NODE_ACCOUNT`);
member accounts name theirs, and each is counted on its own.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 10
"""Unsuccessful attempts from one address within the window."""
MAX_ACCOUNT_FAILURES = 100
"""Unsuccessful attempts at one account within the window, from all addresses together (guessing spread over many)."""
WINDOW_SECONDS = 600.0
MAX_CLIENTS = 10_000
NODE_ACCOUNT = "node"
"""The account a login names today: the node's one password or API token."""


class LoginThrottle:
    """Refuses logins after `limit` unsuccessful attempts from an address, or `account_limit` at an account, within
    `window` seconds (the oldest ages out)."""

    def __init__(
        self,
        *,
        limit: int = MAX_FAILURES,
        account_limit: int = MAX_ACCOUNT_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.account_limit = account_limit
        self.window = window
        self.clock = clock
        # Addresses and accounts apart, each bounded: a flood of addresses cannot push an account's count out.
        self._addresses: dict[str, deque[float]] = {}
        self._accounts: dict[str, deque[float]] = {}

    def _recent(self, table: dict[str, deque[float]], key: str) -> deque[float]:
        failures = table.get(key)
        if failures is None:
            return deque()
        cutoff = self.clock() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        if not failures:
            del table[key]
        return failures

    def _wait(self, table: dict[str, deque[float]], key: str, limit: int) -> int:
        failures = self._recent(table, key)
        if len(failures) < limit:
            return 0
        return max(1, int(failures[0] + self.window - self.clock()) + 1)

    def retry_after(self, client: str, account: str = NODE_ACCOUNT) -> int:
        """Return the seconds until `client` may try `account` again (0 if it may try now)."""
        return max(self._wait(self._addresses, client, self.limit), self._wait(self._accounts, account, self.account_limit))

    def attempt(self, client: str, account: str = NODE_ACCOUNT) -> int:
        """Count a login attempt from `client` at `account` that is about to be checked; return 0, or if a limit is
        reached the seconds until it may try again (and count nothing)."""
        wait = self.retry_after(client, account)
        if wait == 0:
            self.failed(client, account)  # counted as failed until it succeeds
        return wait

    def failed(self, client: str, account: str = NODE_ACCOUNT) -> None:
        """Count a failed login (or one not yet checked) from `client` at `account`."""
        now = self.clock()
        for table, key in ((self._addresses, client), (self._accounts, account)):
            if key not in table and len(table) >= MAX_CLIENTS:
                table.pop(next(iter(table)))  # the longest-known goes first
            table.setdefault(key, deque()).append(now)

    def succeeded(self, client: str, account: str = NODE_ACCOUNT) -> None:
        """Forget the failures of `client` after a good login, and one failure of `account` (the attempt just counted)."""
        self._addresses.pop(client, None)
        failures = self._accounts.get(account)
        if failures:
            failures.pop()
