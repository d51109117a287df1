"""The language of a page: chosen per request (node/i18n/choose.py), its gettext functions for the templates and
the page's Python messages, and the switch on every page that sets it (a cookie; also the member's setting)."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web
from babel.support import NullTranslations

from ..api import SERVICE
from ..i18n import LANGUAGE_COOKIE, LANGUAGES, choose_language, language, translations
from .session import SECURE_COOKIES

LANGUAGE_KEY: Any = web.RequestKey("language", str) if hasattr(web, "RequestKey") else "solnet.language"
COOKIE_SECONDS = 400 * 86400  # (the longest a browser keeps a cookie)


def request_language(request: web.Request) -> str:
    """Return the code of the language `request`'s page is shown in (worked out once per request)."""
    if (code := request.get(LANGUAGE_KEY)) is None:
        default = request.app[SERVICE].credentials().language
        code = choose_language(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("Accept-Language"), default)
        request[LANGUAGE_KEY] = code
    return code


def request_translations(request: web.Request) -> NullTranslations:
    """Return the translations of `request`'s language."""
    return translations(request_language(request))


def ngettext_of(request: web.Request):
    """Return the ngettext function of `request`'s language (singular, plural, n), for counts worded in Python."""
    return translations(request_language(request)).ngettext


def gettext_of(request: web.Request):
    """Return the gettext function of `request`'s language, for messages worded in Python (use with `%` named values)."""
    return translations(request_language(request)).gettext


def language_context(request: web.Request) -> dict[str, Any]:
    """Return what every page needs to be in its language: code, direction, translations and the switch's choices."""
    lang = language(request_language(request))
    return {"lang": lang.code, "dir": lang.dir, "i18n": translations(lang.code), "languages": LANGUAGES}


def _i18n(context: Any):
    return context.get("i18n") or translations(None)


@jinja2.pass_context
def _gettext(context: Any, message: str) -> str:
    return _i18n(context).gettext(message)


@jinja2.pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return _i18n(context).ngettext(singular, plural, n)


@jinja2.pass_context
def _pgettext(context: Any, ctx: str, message: str) -> str:
    return _i18n(context).pgettext(ctx, message)


def install_gettext(env: jinja2.Environment) -> None:
    """Give `env`'s `{% trans %}`, `_()` and `ngettext()` the translations of the page being rendered (its context's).

    Newstyle gettext: named values are filled in (`%(name)s`) after the translation and escaped, and `%` in a message
    is always written `%%`.
    """
    env.policies["ext.i18n.trimmed"] = True  # (babel.cfg extracts with trimmed = true too: the same message ids)
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True, pgettext=_pgettext)


def set_language_cookie(response: web.StreamResponse, request: web.Request, code: str) -> None:
    """Remember `code` as this browser's language."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.app.get(SECURE_COOKIES, False) or request.secure,
    )
