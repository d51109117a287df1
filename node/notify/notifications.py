"""The notifications' tables of one node (members' choices, the outbox, the digest), one facade the web and mailer use."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from aiohttp import web

from ..members.db import LocalDb
from ..members.languages import LanguageStore
from ..members.members import TABLE as MEMBERS
from ..store.base import EventStore
from .outbox import Outbox
from .prefs import Prefs, PrefStore, check_choices

T = TypeVar("T")


class Notifications:
    """Members' notification choices, private calendar links, last visits, and the mail outbox (blocking methods;
    `call` runs one in a thread)."""

    def __init__(self, store: EventStore):
        self.db = LocalDb(store)
        self.members = self.db.table(MEMBERS)
        self.languages = LanguageStore(self.db)
        self.prefs = PrefStore(self.db)
        self.outbox = Outbox(self.db)
        self._in_flight: set[_Call] = set()  # calls whose thread may still use the database

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one of this facade's blocking methods in a thread and return its result.

        Cancelling the caller does not stop the thread: `drain` waits for it, so the store is not closed under it.
        """
        call = _Call()
        self._in_flight.add(call)

        def work() -> T:
            try:
                if not call.begin():
                    raise asyncio.CancelledError  # its caller went away before a thread took it: nobody awaits this
                return fn(*args, **kwargs)
            finally:
                self._in_flight.discard(call)
                call.done.set()

        try:
            return await asyncio.to_thread(work)
        finally:
            # A caller cancelled while its call still waited for a thread: the executor may drop the call (it then
            # never runs, and would be waited for in vain: a node took over 30 s to stop); if a thread takes it
            # after all, it returns at once.
            if call.drop():
                self._in_flight.discard(call)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait (up to `timeout` seconds each) for the calls whose threads are still running, cancelled or not."""
        for call in list(self._in_flight):
            await asyncio.to_thread(call.done.wait, timeout)

    def choices(self, member_id: str) -> Prefs:
        """Return a member's choices (nothing chosen until they choose)."""
        with self.db.tx("reading notification choices") as tx:
            return self.prefs.of(tx, member_id)

    def choose(self, member_id: str, *, urgent: bool, digest: bool, areas: object, needs: list[str]) -> Prefs:
        """Store what a member wants; raise RequestError naming a bad field."""
        areas_, needs_ = check_choices(areas, needs)
        with self.db.tx("saving notification choices") as tx:
            prefs = self.prefs.of(tx, member_id)
            return self.prefs.save(tx, replace(prefs, urgent=urgent, digest=digest, areas=areas_, needs=needs_))

    def unsubscribe(self, token: str) -> Prefs | None:
        """Turn all mail off for the member this one-click token is for; None if it is no one's."""
        with self.db.tx("unsubscribing") as tx:
            return self.prefs.unsubscribe(tx, token)

    def knows_unsubscribe(self, token: str) -> bool:
        with self.db.tx("reading an unsubscribe link", write=False) as tx:
            return self.prefs.by_unsubscribe(tx, token) is not None

    def visit(self, member_id: str, now_ms: int) -> Prefs:
        """Note a member's page view; return their choices with when their previous visit ended."""
        with self.db.tx("noting a visit") as tx:
            return self.prefs.visit(tx, member_id, now_ms)

    def new_calendar(self, member_id: str) -> str:
        """Return a new private calendar token for the member (the one before stops working)."""
        with self.db.tx("making a calendar link") as tx:
            return self.prefs.new_calendar(tx, member_id)

    def revoke_calendar(self, member_id: str) -> None:
        with self.db.tx("revoking a calendar link") as tx:
            self.prefs.revoke_calendar(tx, member_id)

    def has_calendar(self, member_id: str) -> bool:
        with self.db.tx("reading a calendar link", write=False) as tx:
            return self.prefs.has_calendar(tx, member_id)

    def calendar_member(self, secret: str) -> str | None:
        """Return the id of the member this private calendar token is for, or None."""
        with self.db.tx("reading a calendar link", write=False) as tx:
            return self.prefs.calendar_member(tx, secret)

    def mail_state(self, mail_id: str) -> tuple[int, int | None, str | None] | None:
        """Return (attempts, sent ms or None, last error) of a queued mail, or None if it was never queued."""
        with self.db.tx("reading the outbox", write=False) as tx:
            return self.outbox.get(tx, mail_id)


class _Call:
    """One `Notifications.call`: whether a thread began it, and when it is done with the database."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._state = "queued"  # then "running" (a thread took it) or "dropped" (its caller left first)

    def begin(self) -> bool:
        """On the thread: mark the call running; False if its caller dropped it first (then it must not run)."""
        with self._lock:
            if self._state == "dropped":
                return False
            self._state = "running"
            return True

    def drop(self) -> bool:
        """On the caller's side, once it stops waiting: True iff no thread had begun the call (now it never will)."""
        with self._lock:
            if self._state != "queued":
                return False
            self._state = "dropped"
        self.done.set()
        return True


NOTIFY = web.AppKey("notifications", Notifications)


def notifications_of(app: web.Application) -> Notifications:
    """Return the app's notifications, opening their tables beside its store the first time (before the app starts)."""
    from ..api import SERVICE

    if NOTIFY not in app:
        app[NOTIFY] = Notifications(app[SERVICE].store)
    return app[NOTIFY]
