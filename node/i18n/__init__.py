"""Translations: the shipped languages, their gettext catalogues (node/locale/), choosing a visitor's language,
and dates, times and numbers worded per language (Babel) in the node's time zone."""

from .catalogues import LOCALE_DIR, N_, Nn_, translations
from .choose import LANGUAGE_COOKIE, choose_language, parse_accept_language, shell_language
from .formatting import format_age, format_number, format_when
from .languages import DEFAULT_LANGUAGE, LANGUAGES, Language, check_language, language

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "LOCALE_DIR",
    "N_",
    "Nn_",
    "Language",
    "check_language",
    "choose_language",
    "format_age",
    "format_number",
    "format_when",
    "language",
    "parse_accept_language",
    "shell_language",
    "translations",
]
