"""The languages of posts (a payload's `lang`, docs/KINDS.md): their names in the reader's language, and the choices
the publish forms and the list filters offer."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

from .languages import LANGUAGES

OFFERED: tuple[str, ...] = (
    *(lang.code for lang in LANGUAGES),
    *("ro", "pt", "tr", "so", "fr", "it", "lt", "ur", "pa", "gu", "ta", "zh", "ti", "am", "ku", "fa", "uk", "ru"),
)
"""The tags forms and filters offer: the shipped languages, then languages widely spoken by London's groups (issue 24).
A post may carry any other tag (the API and CLI take any); a filter or form that has one adds it to its choices."""


@lru_cache(maxsize=1024)  # bounded: tags come from posts of any group; each miss costs a Babel look-up
def language_name(tag: str, reader: str) -> str:
    """Return the name of the language of `tag` in the reader's language (Babel), or `tag` itself if Babel knows none."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(Locale.parse(reader, sep="-"))
    except (UnknownLocaleError, ValueError, TypeError):
        return tag
    return name[:1].upper() + name[1:] if name else tag


def same_language(tag: str, page: str) -> bool:
    """True iff a post in `tag` is in the page's language (the same primary subtag: en-GB on an English page)."""
    return tag.split("-", 1)[0] == page.split("-", 1)[0]


def language_choices(reader: str, *also: str | None) -> list[tuple[str, str]]:
    """Return (tag, name in the reader's language) of the offered languages and of `also` (tags already chosen),
    by name in the reader's collation-free order (the name's case-folded text)."""
    tags = dict.fromkeys((*OFFERED, *(t for t in also if t)))
    return sorted(((t, language_name(t, reader)) for t in tags), key=lambda pair: pair[1].casefold())
