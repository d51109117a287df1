"""The `solnet` command's words in the shell's language (node/i18n.shell_language: SOLNET_LANG, else the locale
variables, else English), from the same catalogues as the page. JSON output (--json) is never translated.

argparse words its own parts (usage:, the headings of --help, its errors) with the standard library's gettext, which
reads a compiled catalogue of the process's text domain from disk. `argparse_words` gives it ours, for the shell's
language: the language's catalogue compiled once per version of its .po into the user's cache directory (no build
step; a changed .po gets a new file), bound as the text domain while the parser is built and reads the arguments.
"""

from __future__ import annotations

import contextlib
import gettext
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ..i18n import DEFAULT_LANGUAGE, shell_language, translations
from ..i18n.catalogues import po_path

DOMAIN = "solnet"
"""The text domain argparse reads while `argparse_words` holds (its own, so no other program's catalogue is read)."""


def _(message: str, **values: object) -> str:
    """Return `message` in the shell's language, with its named values (`%(name)s`) filled in."""
    text = translations(shell_language(os.environ)).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """Return the form of a message for the count `n` in the shell's language, with `n` and the named values filled in."""
    text = translations(shell_language(os.environ)).ngettext(singular, plural, n)
    return text % {"n": n, **values}


def compiled(code: str, cache: Path) -> Path:
    """Return the directory holding language `code`'s catalogue compiled for gettext (<code>/LC_MESSAGES/solnet.mo),
    under `cache`, named by the .po's hash: written once (atomically), then reused."""
    source = po_path(code).read_bytes()
    root = cache / hashlib.sha256(source).hexdigest()[:16]
    target = root / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not target.exists():
        buffer = io.BytesIO()
        write_mo(buffer, read_po(io.BytesIO(source), locale=code), use_fuzzy=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as fh:
            fh.write(buffer.getvalue())
        os.replace(fh.name, target)
    return root


def cache_dir() -> Path:
    """Return where compiled catalogues are kept: $XDG_CACHE_HOME/solnet/locale, else ~/.cache/solnet/locale."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "solnet" / "locale"


@contextlib.contextmanager
def argparse_words() -> Iterator[None]:
    """While held, argparse (and any gettext.gettext caller in this process) speaks the shell's language from our
    catalogue; before and after, the process's gettext is as it was. English, or a cache that cannot be written,
    leaves argparse's own English."""
    code = shell_language(os.environ)
    try:
        root = None if code == DEFAULT_LANGUAGE else compiled(code, cache_dir())
    except OSError:
        root = None
    if root is None:
        yield
        return
    before_domain, before_language = gettext.textdomain(), os.environ.get("LANGUAGE")
    before_dir = gettext.bindtextdomain(DOMAIN)
    gettext.bindtextdomain(DOMAIN, str(root))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = code  # (gettext's first variable: the language SOLNET_LANG or the locale chose)
    try:
        yield
    finally:
        gettext.textdomain(before_domain)
        gettext.bindtextdomain(DOMAIN, before_dir)
        if before_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = before_language
