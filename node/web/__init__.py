"""The node's web page: server-rendered pages for everyone, and forms for the node's own group after logging in."""

from __future__ import annotations

from aiohttp import web

from .actions import routes as action_routes
from .pages import routes as page_routes
from .render import LOGIN_THROTTLE, SESSIONS, STATIC, setup_templates
from .session import Sessions
from .throttle import LoginThrottle

__all__ = ["SESSIONS", "Sessions", "setup_web"]


def setup_web(app: web.Application) -> None:
    """Add the pages, forms, sessions and static files to `app` (which must hold the node's SERVICE)."""
    setup_templates(app)
    app[SESSIONS] = Sessions()
    app[LOGIN_THROTTLE] = LoginThrottle()
    app.add_routes(page_routes)
    app.add_routes(action_routes)
    app.router.add_static("/static/", STATIC, name="static")
