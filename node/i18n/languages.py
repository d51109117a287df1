"""The languages the node ships catalogues for: each one's code, its own name for itself and its writing direction."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RequestError


@dataclass(frozen=True, slots=True)
class Language:
    """One shipped language: its code (a catalogue under node/locale/), its name in itself, and 'ltr' or 'rtl'."""

    code: str
    name: str
    dir: str = "ltr"


DEFAULT_LANGUAGE = "en"
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English"),
    Language("es", "Español"),
    Language("pl", "Polski"),
    Language("bn", "বাংলা"),
    Language("ar", "العربية", "rtl"),
)
"""Adding one: docs/OPERATIONS.md, "Adding a language"."""
_BY_CODE = {lang.code: lang for lang in LANGUAGES}


def language(code: str | None) -> Language:
    """Return the shipped language with this code, or the default one for any other value."""
    return _BY_CODE.get(code or "", _BY_CODE[DEFAULT_LANGUAGE])


def check_language(code: object, *, field: str = "language") -> str:
    """Return `code` if it is a shipped language; raise RequestError naming `field` otherwise."""
    if isinstance(code, str) and code in _BY_CODE:
        return code
    known = ", ".join(lang.code for lang in LANGUAGES)
    raise RequestError(f"{str(code)[:20]!r} is not a language this node speaks (one of {known})", field=field)
