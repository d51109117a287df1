"""Rendering pages: the jinja2 environment, filters, the context every page gets, and errors as HTML pages."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from events.errors import EventError

from ..api import SERVICE
from ..errors import NodeError
from ..http_errors import status_for
from ..i18n import LANGUAGES, N_, format_number, translations
from ..members import Scope, principal_of
from .form_words import error_words
from .forms import choice_label, field_message, label_for
from .language import gettext_of, install_gettext, language_context
from .linkify import linkify
from .local_time import age_text, format_when, iso_when, zone_of
from .post_lang import install_post_lang
from .session import CSRF_FIELD, Session, Sessions, set_cookie
from .throttle import LoginThrottle

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
SESSIONS = web.AppKey("web_sessions", Sessions)
LOGIN_THROTTLE = web.AppKey("web_login_throttle", LoginThrottle)
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def node_zone(request: web.Request) -> ZoneInfo:
    """Return the node's configured time zone (its settings' `time_zone`), in which pages show and forms read times."""
    return zone_of(request.app[SERVICE].credentials().time_zone)


@jinja2.pass_context
def when(context: Any, ms: Any) -> str:
    """Return a time (ms since the epoch) in the node's zone with its offset: 'Sat 3 May 2025, 19:00 BST (UTC+01:00)'."""
    return format_when(ms, context.get("zone") or zone_of(None), context.get("lang") or "en")


@jinja2.pass_context
def iso(context: Any, ms: Any) -> str:
    """Return a time as ISO 8601 in the node's time zone, for a `<time datetime=...>` attribute."""
    return iso_when(ms, context.get("zone") or zone_of(None))


@jinja2.pass_context
def ago(context: Any, ms: Any) -> str:
    """Return how long ago a time was ('3 weeks ago'), measured from when the page is rendered."""
    just_now = (context.get("i18n") or translations(None)).gettext("just now")
    return age_text(ms, context.get("now_ms") or int(time.time() * 1000), context.get("lang") or "en", just_now)


@jinja2.pass_context
def number(context: Any, value: Any) -> str:
    """Return a number with the page language's digits and separators ('1,234' in English)."""
    return format_number(value, context.get("lang") or "en")


@jinja2.pass_context
def translated(context: Any, message: Any) -> str:
    """Return a message id given by the code (a registry label, a choice) in the page's language, without formatting."""
    return (context.get("i18n") or translations(None)).gettext(str(message)) if message else ""


@jinja2.pass_context
def field_label(context: Any, name: Any) -> str:
    """Return the label of a payload field in the page's language."""
    return translated(context, label_for(str(name)))


@jinja2.pass_context
def choice_text(context: Any, value: Any) -> str:
    """Return the label of a choice value (stand_aside -> Stand aside) in the page's language."""
    return translated(context, choice_label(str(value)))


@jinja2.pass_context
def error_text(context: Any, message: Any) -> str:
    """Return a form error in the page's language (node/web/form_words.py)."""
    return error_words(message, context.get("lang") or "en")


def short(text: Any, n: int = 10) -> str:
    """Return the start of a long id, for display next to a link to the whole thing."""
    text = str(text or "")
    return text if len(text) <= n + 1 else text[:n] + "…"


class _ProcessBytecode(jinja2.BytecodeCache):
    """Compiled templates kept for the process: every app made in it (tests make hundreds) compiles each once."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._code.get(bucket.key + bucket.checksum)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key + bucket.checksum] = bucket.bytecode_to_string()


_BYTECODE = _ProcessBytecode()


def setup_templates(app: web.Application) -> None:
    """Install the jinja2 environment (autoescaped; a missing optional field renders as nothing) with our filters."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_BYTECODE,
        extensions=["jinja2.ext.i18n"],
    )
    install_gettext(env)
    install_post_lang(env)
    env.filters.update(when=when, iso=iso, ago=ago, number=number, short=short, linkify=linkify)
    env.filters.update(t=translated, label=field_label, choice=choice_text, error=error_text)
    for lang in LANGUAGES:
        translations(lang.code)  # each catalogue compiled now (~0.1 s each, once per process), not for a first visitor
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        env.get_template(name)  # compiled now (a few ms each), not by the first visitor after a start (~90 ms more)


def page(
    request: web.Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    session: Session | None = None,
    new_cookie: bool = False,
) -> web.Response:
    """Render a page with what every page shows (node name, login state, CSRF token), setting the cookie if new."""
    service = request.app[SERVICE]
    if session is None:
        session = request.app[SESSIONS].get(request)
    me = principal_of(request)
    _ = gettext_of(request)
    base = {
        "node_name": service.credentials().name or _("a new node"),
        "own_group": service.group_id,
        "logged_in": me is not None,
        "me": me,
        "can_publish": bool(me and me.can(Scope.PUBLISH)),
        "is_admin": bool(me and me.can(Scope.ADMIN)),
        "csrf": session.csrf if session else "",
        "csrf_field": CSRF_FIELD,
        "path": request.path,
        "origin": str(request.url.origin()),  # for the "Link to this" boxes: the address the visitor used
        "zone": node_zone(request),
        "now_ms": int(time.time() * 1000),
        **language_context(request),
    }
    if isinstance(context.get("title"), str):  # a page title given by the code is a message id (marked with N_)
        context = {**context, "title": _(context["title"])}
    response = aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)
    response.headers["Cache-Control"] = "no-store"
    # Nothing is loaded from outside the node, no script runs, and no other site may frame the page or receive a form.
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if session and new_cookie:
        set_cookie(response, request, session)
    return response


def error_page(request: web.Request, exc: NodeError | EventError) -> web.Response:
    """Return our error as an HTML page, with the status the one status table gives it."""
    status = status_for(exc)
    return page(
        request,
        "error.html",
        {
            "status": status,
            "message": field_message(exc.message, getattr(exc, "field", None)),
            "title": _TITLES.get(status),
        },
        status=status,
    )


_TITLES = {
    400: N_("Bad request"),
    401: N_("Log in first"),
    403: N_("Refused"),
    404: N_("Not found"),
    410: N_("This link cannot be used"),
    422: N_("Not valid"),
}


def html_errors(handler: Handler) -> Handler:
    """Wrap a page handler so our errors become HTML pages instead of the API's JSON."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (NodeError, EventError) as exc:
            return error_page(request, exc)

    return wrapped
