"""Server-side web sessions: a random id in an HttpOnly, SameSite=Strict cookie, a CSRF token each.

Logged-in sessions are kept in a SessionStore (node/web/session_store.py): with a data dir, the file
`web-sessions.sqlite`, so a restart of the node keeps people logged in; only the SHA-256 of each id is stored.
Anonymous sessions (anyone makes one by opening the login page) stay in memory only, capped.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ..errors import ForbiddenError
from .session_store import MemorySessionStore, SessionStore, session_key

COOKIE = "solnet_session"
CSRF_FIELD = "csrf"
IDLE_SECONDS = 12 * 3600
MAX_SESSIONS = 10_000
"""Anonymous sessions are made by anyone who opens the login page, so their number is capped (oldest go first)."""
TOUCH_SECONDS = 60.0
"""A logged-in session's last use is written at most this often, so idle expiry may come up to this much early."""
PURGE_SECONDS = 3600.0
"""How often expired logged-in sessions are deleted from the store (also at start)."""


@dataclass(slots=True)
class Session:
    """One browser's session: its id (the cookie), its CSRF token, whether it logged in, when it was last used, and as
    whom (a member's id; None when logged in with the node's shared password or token, the built-in admin)."""

    sid: str
    csrf: str
    logged_in: bool
    seen: float
    member: str | None = None


class Sessions:
    """The node's live sessions: anonymous ones in memory, logged-in ones in `store` (which may survive a restart)."""

    def __init__(
        self,
        store: SessionStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
        idle: float = IDLE_SECONDS,
        limit: int = MAX_SESSIONS,
        touch_every: float = TOUCH_SECONDS,
        purge_every: float = PURGE_SECONDS,
    ):
        self._anonymous: OrderedDict[bytes, Session] = OrderedDict()
        self._store: SessionStore = store if store is not None else MemorySessionStore()
        self._clock = clock  # wall clock: stored last-seen times must mean the same after a restart
        self._idle = idle
        self._limit = limit
        self._touch_every = touch_every
        self._purge_every = purge_every
        self._purged = clock()
        self._store.purge(self._purged - idle)

    @property
    def anonymous(self) -> int:
        """Return how many anonymous sessions are held in memory (at most the cap)."""
        return len(self._anonymous)

    def get(self, request: web.Request) -> Session | None:
        """Return the live session named by the request's cookie, or None (unknown, expired or absent)."""
        sid = request.cookies.get(COOKIE)
        if not sid:
            return None
        key, now = session_key(sid), self._clock()
        session = self._anonymous.get(key)
        if session is not None:
            if now - session.seen > self._idle:
                del self._anonymous[key]
                return None
            session.seen = now
            self._anonymous.move_to_end(key)
            return session
        if now - self._purged > self._purge_every:
            self._purged = now
            self._store.purge(now - self._idle)
        row = self._store.load(key)
        if row is None:
            return None
        csrf, seen, member = row
        if now - seen > self._idle:
            self._store.delete(key)
            return None
        if now - seen >= self._touch_every:
            self._store.touch(key, now)
            seen = now
        return Session(sid, csrf, True, seen, member)

    def new(self, *, logged_in: bool = False, member: str | None = None) -> Session:
        """Return a fresh session with a new id and CSRF token (dropping the least recently used anonymous ones);
        logged in as `member` (None: the built-in admin) if `logged_in`."""
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), logged_in, self._clock(), member)
        if logged_in:
            self._store.add(session_key(session.sid), session.csrf, session.seen, member)
            return session
        self._anonymous[session_key(session.sid)] = session
        while len(self._anonymous) > self._limit:
            self._anonymous.popitem(last=False)
        return session

    def ensure(self, request: web.Request) -> tuple[Session, bool]:
        """Return the request's session, making one if needed; the flag says whether a cookie must be set."""
        session = self.get(request)
        if session is not None:
            return session, False
        return self.new(), True

    def drop(self, session: Session) -> None:
        """Forget a session (logging out, or logging in, which replaces it), from the store too."""
        key = session_key(session.sid)
        self._anonymous.pop(key, None)
        if session.logged_in:
            self._store.delete(key)

    def drop_member(self, member: str | None) -> int:
        """Log out every session of `member` (None: the built-in admin's); return how many there were."""
        return self._store.delete_member(member)

    def close(self) -> None:
        """Close the store (the app's cleanup); logged-in sessions kept in a file stay there."""
        self._store.close()


SECURE_COOKIES = web.AppKey("web_secure_cookies", bool)


def set_cookie(response: web.StreamResponse, request: web.Request, session: Session) -> None:
    """Give the browser the session cookie: HttpOnly, SameSite=Strict, Secure when served over HTTPS (directly, or
    behind a TLS proxy at an https:// public URL)."""
    secure = request.secure or request.app.get(SECURE_COOKIES, False)
    response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Strict", secure=secure, path="/")


def check_csrf(session: Session | None, sent: object) -> Session:
    """Return the session if `sent` is its CSRF token; raise ForbiddenError otherwise (nothing is done)."""
    if session is None:
        raise ForbiddenError("this form has expired or was not sent from this node's page; reload the page and try again")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise ForbiddenError("the form's security token is missing or wrong; reload the page and try again", field=CSRF_FIELD)
    return session
