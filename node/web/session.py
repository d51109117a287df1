"""Server-side web sessions kept in memory: a random id in an HttpOnly, SameSite=Strict cookie, a CSRF token each."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ..errors import ForbiddenError

COOKIE = "solnet_session"
CSRF_FIELD = "csrf"
IDLE_SECONDS = 12 * 3600
MAX_SESSIONS = 10_000
"""Anonymous sessions are made by anyone who opens the login page, so their number is capped (oldest go first)."""


@dataclass(slots=True)
class Session:
    """One browser's session: its id (the cookie), its CSRF token, whether it logged in, when it was last used."""

    sid: str
    csrf: str
    logged_in: bool
    seen: float


class Sessions:
    """The node's live sessions, in memory: a restart logs everyone out, which is acceptable for a group's node."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, idle: float = IDLE_SECONDS, limit: int = MAX_SESSIONS):
        self._by_id: OrderedDict[str, Session] = OrderedDict()
        self._clock = clock
        self._idle = idle
        self._limit = limit

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, request: web.Request) -> Session | None:
        """Return the live session named by the request's cookie, or None (unknown, expired or absent)."""
        sid = request.cookies.get(COOKIE)
        session = self._by_id.get(sid) if sid else None
        if session is None:
            return None
        now = self._clock()
        if now - session.seen > self._idle:
            del self._by_id[session.sid]
            return None
        session.seen = now
        self._by_id.move_to_end(session.sid)
        return session

    def new(self, *, logged_in: bool = False) -> Session:
        """Return a fresh session with a new id and CSRF token (dropping the least recently used beyond the cap)."""
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), logged_in, self._clock())
        self._by_id[session.sid] = session
        while len(self._by_id) > self._limit:
            self._by_id.popitem(last=False)
        return session

    def ensure(self, request: web.Request) -> tuple[Session, bool]:
        """Return the request's session, making one if needed; the flag says whether a cookie must be set."""
        session = self.get(request)
        if session is not None:
            return session, False
        return self.new(), True

    def drop(self, session: Session) -> None:
        """Forget a session (logging out)."""
        self._by_id.pop(session.sid, None)


def set_cookie(response: web.StreamResponse, request: web.Request, session: Session) -> None:
    """Give the browser the session cookie: HttpOnly, SameSite=Strict, Secure when served over HTTPS."""
    response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Strict", secure=request.secure, path="/")


def check_csrf(session: Session | None, sent: object) -> Session:
    """Return the session if `sent` is its CSRF token; raise ForbiddenError otherwise (nothing is done)."""
    if session is None:
        raise ForbiddenError("this form has expired or was not sent from this node's page; reload the page and try again")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise ForbiddenError("the form's security token is missing or wrong; reload the page and try again", field=CSRF_FIELD)
    return session
