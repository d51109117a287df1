"""The gettext catalogues: node/locale/<code>/LC_MESSAGES/messages.po, compiled in memory the first time a language is
used (a few ms each), so a fresh clone needs no build step and no .mo file can fall behind its .po."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from .languages import language

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark `message` for the catalogues where it is written; it is translated where it is shown."""
    return message


def Nn_(singular: str, plural: str, count: str = "n") -> tuple[str, str, str]:
    """Mark a message with a count for the catalogues (its singular and plural, and the name of the value that counts);
    it is translated with ngettext where that value is known."""
    return singular, plural, count


def po_path(code: str) -> Path:
    """Return where the catalogue of language `code` is kept."""
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(code: str | None) -> NullTranslations:
    """Return the translations of a shipped language (the default language's for any other code)."""
    code = language(code).code
    path = po_path(code)
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy entry is a guess: the source text shows instead
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
