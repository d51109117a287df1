"""Who sent a request (docs/PROTOCOL.md §13, "Who sent it"): a claimed URL counts only once a call-back confirmed it.

Over a transport that cannot vouch for where a request comes from (over HTTP the `Solnet-Peer` header is only
a claim), the edge asks `Claims.origin` for the request's Origin. A claim counts for a remote key once the
node called the claimed URL back with its own hello and got a hello of the expected group: the group the
sender greeted with, or else the one the peer book already has for that URL. Until then `origin` gives the
key alone and, at most once per claim at a time, a `Callback` that the caller runs with `confirm` when it
sees fit (the node runs it as a background task).

Call-backs are requests to an address a stranger named, so they are bounded apart from sync: a claimed URL
that is not a chosen peer's must pass `learnt_url_problem`; each remote key gets at most `per_key` call-backs
per `window` seconds; at most `pending` are under way or waiting at once (more claims are ignored, not
queued); `concurrency` run at once, each cut after `timeout` seconds. A flood of claims naming tarpits thus
costs at most `concurrency` connections, never the node's sync slots.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ProtocolError
from .messages import Hello
from .peers import PeerBook
from .transport import Origin, Transport
from .urls import learnt_url_problem

CONFIRM_CAP = 4096  # confirmed (URL, remote key) pairs remembered, and remote keys whose call-back rate is kept


@dataclass(frozen=True, slots=True)
class Callback:
    """A claim to check: remote `key` says it is reachable at `url`; `group` is the group it greeted with, if it did."""

    url: str
    key: str
    group: bytes | None


class Claims:
    """The claimed URLs confirmed for each remote key, and the confirmations under way."""

    def __init__(
        self,
        transport: Transport,
        book: PeerBook,
        hello: Callable[[], Hello],
        *,
        cap: int = CONFIRM_CAP,
        concurrency: int = 2,
        pending: int = 8,
        timeout: float = 3.0,
        per_key: int = 4,
        window: float = 60.0,
        allow_private: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.transport = transport
        self.book = book
        self.hello = hello
        self.cap = cap
        self.pending = pending
        self.timeout = timeout
        self.per_key = per_key
        self.window = window
        self.allow_private = allow_private
        self.clock = clock
        self._slots = asyncio.Semaphore(concurrency)  # call-backs' own budget: sync never waits for them
        self._confirmed: OrderedDict[tuple[str, str], None] = OrderedDict()  # (claimed URL, remote key) pairs
        self._confirming: set[tuple[str, str]] = set()
        self._recent: OrderedDict[str, tuple[float, int]] = OrderedDict()  # remote key -> (window start, call-backs)

    def origin(self, key: str, claimed: str | None, greeting_group: bytes | None = None) -> tuple[Origin, Callback | None]:
        """Return the Origin of a request from remote `key` claiming URL `claimed`, and the call-back to run, if one is due.

        `greeting_group` is the group of the sender's hello when the request is one. A returned Callback
        must be passed to `confirm` (until it ends, no other call-back for that claim is handed out).
        """
        if claimed is None:
            return Origin(key), None
        pair = (claimed, key)
        if pair in self._confirmed:
            self._confirmed.move_to_end(pair)
            if greeting_group is not None:
                self.book.add(claimed, greeting_group)  # a no-op unless it was removed or evicted since
            return Origin(key, claimed), None
        if pair not in self._confirming and len(self._confirming) < self.pending and self._may_call(claimed, key):
            self._confirming.add(pair)
            return Origin(key), Callback(claimed, key, greeting_group)
        return Origin(key), None

    def _may_call(self, url: str, key: str) -> bool:
        # A chosen peer's URL is the operator's; any other must be one a learnt peer may have (public, plain).
        if not self.book.is_chosen(url) and learnt_url_problem(url, allow_private=self.allow_private) is not None:
            return False
        now = self.clock()
        start, count = self._recent.pop(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if count >= self.per_key:
            self._recent[key] = (start, count)
            return False
        self._recent[key] = (start, count + 1)
        while len(self._recent) > self.cap:
            self._recent.popitem(last=False)
        return True

    async def confirm(self, callback: Callback) -> bool:
        """Call the claimed URL back; return True iff it answered hello with the expected group (the claim now counts)."""
        url, key, group = callback.url, callback.key, callback.group
        try:
            if url == self.transport.address:
                return False  # somebody claims to be us
            async with self._slots:
                reply = await asyncio.wait_for(self.transport.request(url, self.hello()), self.timeout)
            if not isinstance(reply, Hello):
                return False
            known = self.book.health(url).group if url in self.book.urls() else None
            expected = group if group is not None else known
            if expected is not None and reply.group != expected:
                return False
            self._confirmed[(url, key)] = None
            while len(self._confirmed) > self.cap:
                self._confirmed.popitem(last=False)
            if group is not None:
                # A node that greets us is one we can sync with too; without this a link would only work one way.
                self.book.add(url, reply.group)
            return True
        except (ProtocolError, TimeoutError):
            return False
        finally:
            self._confirming.discard((url, key))
