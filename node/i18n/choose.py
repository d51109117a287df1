"""Which language a page is in: the visitor's choice (a cookie, set by the switch on every page and at a member's
login from their setting), else the browser's Accept-Language, else the node's default language. The `solnet`
command's language comes from the shell's locale variables instead."""

from __future__ import annotations

from collections.abc import Mapping

from babel import negotiate_locale
from babel.core import parse_locale

from .languages import LANGUAGES, language

LANGUAGE_COOKIE = "solnet_lang"
_CODES = [lang.code for lang in LANGUAGES]
MAX_ACCEPTED = 20
"""An Accept-Language header names at most this many languages that are looked at (it comes from anyone)."""


def parse_accept_language(header: str | None) -> list[str]:
    """Return the language tags of an Accept-Language header, most wanted first (q=0 and malformed parts dropped)."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:1000].split(",")[:MAX_ACCEPTED]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if tag and tag != "*" and 0 < quality <= 1 and all(c.isalnum() or c == "-" for c in tag):
            wanted.append((-quality, position, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(wanted)]


def choose_language(cookie: str | None, accept_language: str | None, default: str | None) -> str:
    """Return the code of the shipped language a page is shown in."""
    if cookie in _CODES:
        return cookie
    preferred = parse_accept_language(accept_language)
    # negotiate_locale matches 'es_MX' to 'es' only when asked for the bare language too: ask for both
    bare = [tag.split("_")[0] for tag in preferred]
    found = negotiate_locale([t for pair in zip(preferred, bare, strict=True) for t in pair], _CODES)
    return found or language(default).code


SHELL_VARIABLES = ("SOLNET_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
"""Where the `solnet` command reads its language, first set first (gettext's order, after our own variable)."""


def shell_language(environ: Mapping[str, str]) -> str:
    """Return the code of the shipped language the `solnet` command speaks: the first of SOLNET_LANG, LANGUAGE (a
    colon-separated list), LC_ALL, LC_MESSAGES and LANG that is set decides (like gettext); English otherwise, and for
    the C and POSIX locales."""
    for name in SHELL_VARIABLES:
        value = environ.get(name, "").strip()
        if not value:
            continue
        wanted = []
        for tag in value.split(":")[:MAX_ACCEPTED] if name == "LANGUAGE" else [value]:
            try:
                lang, territory = parse_locale(tag.strip())[:2]
            except ValueError:
                continue
            wanted += [f"{lang}_{territory}", lang] if territory else [lang]
        return negotiate_locale(wanted, _CODES) or language(None).code
    return language(None).code
