"""The node's web page: server-rendered pages for everyone, and forms for the node's own group after logging in."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from ..api import SERVICE
from ..notify import notifications_of
from .account import routes as account_routes
from .actions import routes as action_routes
from .discussion_pages import routes as discussion_routes
from .feeds_pages import routes as feed_routes
from .find_pages import routes as find_routes
from .key_page import routes as key_routes
from .language_switch import routes as language_routes
from .links_pages import routes as link_routes
from .members_pages import routes as member_routes
from .notify_pages import routes as notify_routes
from .pages import routes as page_routes
from .private_pages import routes as private_routes
from .redact_page import routes as redact_routes
from .render import LOGIN_THROTTLE, SESSIONS, STATIC, setup_templates
from .session import SECURE_COOKIES, Sessions
from .session_store import FileSessionStore, MemorySessionStore, forget_all, forget_member
from .throttle import LoginThrottle

__all__ = ["SESSIONS", "Sessions", "forget_all", "forget_member", "setup_web"]


def setup_web(app: web.Application, *, clock: Callable[[], float] = time.time, secure_cookies: bool = False) -> None:
    """Add the pages, forms, sessions and static files to `app` (which must hold the node's SERVICE).

    Logged-in sessions are kept in the data dir's `web-sessions.sqlite` when the node has a data dir (so they
    survive a restart), else in memory; `clock` is the wall clock their idle expiry is measured with.
    `secure_cookies`: the page is public over HTTPS (behind a TLS proxy), so cookies are Secure on every request.
    """
    app[SECURE_COOKIES] = secure_cookies
    setup_templates(app)
    data_dir = app[SERVICE].data_dir
    store = FileSessionStore(data_dir.web_sessions_file) if data_dir else MemorySessionStore()
    app[SESSIONS] = Sessions(store, clock=clock)
    app.on_cleanup.append(_close_sessions)
    app[LOGIN_THROTTLE] = LoginThrottle()
    app.add_routes(page_routes)
    app.add_routes(find_routes)
    app.add_routes(discussion_routes)
    app.add_routes(action_routes)
    app.add_routes(link_routes)
    app.add_routes(member_routes)
    app.add_routes(account_routes)
    app.add_routes(key_routes)
    app.add_routes(redact_routes)
    app.add_routes(feed_routes)
    app.add_routes(notify_routes)
    app.add_routes(language_routes)
    app.add_routes(private_routes)
    notifications_of(app)  # (their tables opened now, before the app starts)
    app.router.add_static("/static/", STATIC, name="static")


async def _close_sessions(app: web.Application) -> None:
    app[SESSIONS].close()
