"""The catalogues of the node's page, mail and CLI (node/locale/): extract every message, and bring each language's
catalogue up to date with them (new messages are added untranslated, gone ones are dropped).

    python tools/i18n.py update      # after changing a message in a template or in node/ code
    python tools/i18n.py check       # what the catalogue test checks: every message translated, none fuzzy

Translators then fill in node/locale/<code>/LC_MESSAGES/messages.po (docs/OPERATIONS.md, "Adding a language").
"""

from __future__ import annotations

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from node.i18n import LANGUAGES  # noqa: E402
from node.i18n.catalogues import LOCALE_DIR, po_path  # noqa: E402
from node.web.forms import registry_words  # noqa: E402

METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None, "Nn_": (1, 2)}
POT = LOCALE_DIR / "messages.pot"
ARGPARSE_BUILD_ERRORS = {
    ".__call__() not defined", "conflicting subparser: %s", "conflicting subparser alias: %s", 'argument "-" with mode %r',
    "cannot merge actions - two groups are named %r", "'required' is an invalid argument for positionals",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r", "dest= is required for options like %r",
    "invalid conflict_resolution value: %r", "conflicting option string: %s", "mutually exclusive arguments must be optional",
    "cannot have multiple subparser arguments", "%r is not callable",
}  # fmt: skip
"""argparse's messages raised only while a parser is built (a mistake in our code, caught by any test): never a user's."""
ARGPARSE_LATER = (
    " (default: %(default)s)", "%(heading)s:", "%(prog)s: warning: %(message)s\n", "argument '%(argument_name)s' is deprecated",
    "command '%(parser_name)s' is deprecated", "option '%(option)s' is deprecated", "show program's version number and exit",
    "subcommands",
)  # fmt: skip
"""argparse's user-facing messages in Python 3.13 and not in 3.11/3.12: in the catalogues whichever Python extracts them,
so the catalogues (and their test) are the same on every Python the project supports."""


def extract() -> Catalog:
    """Return every translatable message of node/ (templates and Python), with where each is used."""
    catalog = Catalog(project="Solidarity Network", fuzzy=False)
    found = extract_from_dir(str(ROOT / "node"), METHODS, OPTIONS, keywords=KEYWORDS, strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(f"node/{filename}", lineno)], auto_comments=comments, context=context)
    for path, where in ((argparse.__file__, "argparse.py"), (ROOT / "audit" / "cli.py", "audit/cli.py")):
        # argparse's own words (usage:, --help's headings, its errors), which `solnet` gives it from our catalogue
        # (node/commands/words.py); and the audit's options, worded by the caller
        for lineno, message, comments, context in extract_from_file("python", path, keywords=KEYWORDS):
            if (message[0] if isinstance(message, tuple) else message) in ARGPARSE_BUILD_ERRORS:
                continue
            catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    for message in ARGPARSE_LATER:
        if message not in catalog:
            catalog.add(message, None, [("argparse.py", 0)], flags=("python-format",) if "%(" in message else ())
    for word in registry_words():  # shown by the forms from events/kinds/registry.py, translated by message id
        if word not in catalog:
            catalog.add(word, None, [("events/kinds/registry.py", 0)])
    return catalog


def read(code: str) -> Catalog:
    """Return the catalogue of language `code` as it is on disk."""
    with po_path(code).open("rb") as fh:
        return read_po(fh, locale=code)


def problems(code: str, template: Catalog) -> list[str]:
    """Return what is wrong with a language's catalogue: a message missing, untranslated, fuzzy or with other placeholders."""
    catalog, found = read(code), []
    for message in template:
        if not message.id:
            continue
        have = catalog.get(message.id, message.context)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if have is None:
            found.append(f"{code}: missing {ids[0]!r}")
        elif have.fuzzy:
            found.append(f"{code}: fuzzy {ids[0]!r}")
        elif not all(have.string if isinstance(have.string, tuple) else (have.string,)):
            found.append(f"{code}: untranslated {ids[0]!r}")
        else:
            found.extend(f"{code}: {ids[0]!r}: {error}" for error in have.check(catalog))
    return found


TEMPLATES = ROOT / "node" / "templates"
HUMAN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label", "summary"}
NOT_WORDS = {"Solidarity Network", "UTC", "TLS", "STARTTLS"}
"""Text a template may hold as it is (names that are the same in every language)."""
_ATTRIBUTES = re.compile(r"\{%-?\s*set (?:attrs|described)\s*-?%\}.*?\{%-?\s*endset\s*-?%\}", re.S)
"""`{% set attrs %}` and `{% set described %}` hold a tag's attributes, put into the tag where used: markup, not text."""
_IMPORT = re.compile(r"\{%-?\s*(?:from|import)\s[^%]*%\}")
_JINJA = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_WORD = re.compile(r"[^\W\d_]{2,}")
_GETTEXT = {"_", "gettext", "ngettext", "pgettext"}


class _Text(HTMLParser):
    """Collects the text a person reads in an HTML fragment: its text nodes and its human-read attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(value for name, value in attrs if name in HUMAN_ATTRIBUTES and value)

    def handle_data(self, data: str) -> None:
        self.found.append(data)


def _outside_gettext(tree: nodes.Node) -> list[str]:
    """Return the string constants of a template's expressions that look like words for people and are not translated."""
    inside: set[int] = set()
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in _GETTEXT:
            inside.update(id(const) for arg in call.args for const in arg.find_all(nodes.Const))
            inside.update(id(arg) for arg in call.args if isinstance(arg, nodes.Const))
    return [
        const.value
        for const in tree.find_all(nodes.Const)
        if isinstance(const.value, str) and id(const) not in inside and const.value[:1].isupper() and _WORD.search(const.value)
    ]


def untranslated(env: Environment, name: str) -> list[str]:
    """Return the words in template `name` that are shown to people without going through gettext."""
    source = (TEMPLATES / name).read_text()
    parser = _Text()
    without_context = [m for m in _IMPORT.findall(source) if "with context" not in m]
    parser.feed(_JINJA.sub(" ", _ATTRIBUTES.sub(" ", source)))  # (what Jinja fills in is not the template's own text)
    parser.close()
    texts = [" ".join(t.split()) for t in parser.found] + _outside_gettext(env.parse(source))
    # a macro imported without the page's context would be in the default language whatever the page's
    words = [t for t in texts if t not in NOT_WORDS and _WORD.search(t)]
    return [f"imports without context: {m}" for m in without_context] + words


def update() -> None:
    """Write node/locale/messages.pot and bring every shipped language's catalogue up to date with it."""
    template = extract()
    POT.parent.mkdir(parents=True, exist_ok=True)
    with POT.open("wb") as fh:
        write_po(fh, template, omit_header=False, sort_output=True, width=120)
    for lang in LANGUAGES:
        path = po_path(lang.code)
        if path.exists():
            catalog = read(lang.code)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang.code, project="Solidarity Network", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as fh:
            write_po(fh, catalog, omit_header=False, sort_output=True, width=120, include_previous=False)


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        update()
        return 0
    if argv[1:] == ["check"]:
        template = extract()
        found = [p for lang in LANGUAGES for p in problems(lang.code, template)]
        env = Environment(extensions=["jinja2.ext.i18n"])
        found += [
            f"{name}: {text!r}" for name in sorted(p.name for p in TEMPLATES.glob("*.html")) for text in untranslated(env, name)
        ]
        print("\n".join(found) or "every catalogue is complete")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
