"""The `solnet` command's words in the shell's language (node/i18n.shell_language: SOLNET_LANG, else the locale
variables, else English), from the same catalogues as the page. JSON output (--json) is never translated."""

from __future__ import annotations

import os

from ..i18n import shell_language, translations


def _(message: str, **values: object) -> str:
    """Return `message` in the shell's language, with its named values (`%(name)s`) filled in."""
    text = translations(shell_language(os.environ)).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """Return the form of a message for the count `n` in the shell's language, with `n` and the named values filled in."""
    text = translations(shell_language(os.environ)).ngettext(singular, plural, n)
    return text % {"n": n, **values}
