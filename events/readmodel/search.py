"""What full-text search reads: a document's searchable text and a user's query, both pure and backend-neutral.

The searched collections and their text fields come from the kind registry (the text fields of the kinds that
create or change their documents), so a new text field is searched without a second list. Text and queries are
folded the same way here (case-folded, accents removed, NFKC, reduced to words one space apart) before a database
sees them, so SQLite's FTS5 and PostgreSQL's `simple` text search split and match the same words.

A query is words and "quoted phrases", all required, and -excluded words or phrases; at least one word must be
required. It is bounded (QUERY_MAX characters, TERMS_MAX terms, TERM_MAX characters a word) so a search costs
a few index lookups, never a scan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..errors import EventError
from ..kinds.fields import FieldType
from ..kinds.registry import ASSEMBLIES, CALLOUTS, CAMPAIGNS, DECISIONS, KINDS, PROPOSALS, REPORTS
from .listing import UNLISTED
from .view import Put

SEARCHED = (CALLOUTS, CAMPAIGNS, REPORTS, ASSEMBLIES, PROPOSALS, DECISIONS)
"""The collections search looks in (callouts, campaigns, reports and lessons, assemblies, proposals, decisions)."""

QUERY_MAX = 200  # characters of a query
TERMS_MAX = 8  # words and phrases in a query
TERM_MAX = 64  # characters of one word
TEXT_MAX = 20_000  # characters of a document's searchable text kept (titles and lessons come first)


def _fields() -> Mapping[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {c: [] for c in SEARCHED}
    for spec in KINDS.values():
        collection = spec.projection.collection if spec.projection else None
        if collection in out:
            for f in spec.fields:
                if f.type in (FieldType.TEXT, FieldType.TEXT_LIST) and f.name not in out[collection]:
                    out[collection].append(f.name)
    # the title first: it is what a truncated text keeps
    return MappingProxyType({c: tuple(sorted(names, key=lambda n: n != "title")) for c, names in out.items()})


SEARCH_FIELDS: Mapping[str, tuple[str, ...]] = _fields()
"""The text fields searched in each collection, from the kind registry."""


class QueryError(EventError):
    """A search query that is empty, too long, or has no word to look for."""


def fold(text: str) -> str:
    """Return `text` as the index and the queries see it: NFKC, case-folded, without combining marks."""
    if text.isascii():  # no ASCII character decomposes or combines, and ASCII case-folds to lower case
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFKC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def search_text(put: Put) -> str | None:
    """Return the folded searchable text of a document, or None if its collection is not searched or it has none."""
    names = SEARCH_FIELDS.get(put.collection)
    if not names or put.doc.get("status") in UNLISTED.get(put.collection, ()):  # a withdrawn report is not found
        return None
    parts: list[str] = []
    for name in names:
        value: Any = put.doc.get(name)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts += [v for v in value if isinstance(v, str)]
    # only words, one space apart: no punctuation left for either backend's parser to read its own way
    text = " ".join(_WORD.findall(fold("\n".join(parts))))[:TEXT_MAX]
    return text or None


_WORD = re.compile(r"[^\W_]+")  # letters and digits: what both FTS5's unicode61 and PostgreSQL's parser call words
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: phrases (tuples of folded words) all required, and phrases excluded."""

    required: tuple[tuple[str, ...], ...]
    excluded: tuple[tuple[str, ...], ...] = ()

    def fts5(self) -> str:
        """Return the query in SQLite FTS5's syntax (every word quoted, so nothing in it is an operator)."""
        text = " AND ".join(_quoted(p) for p in self.required)
        return text + "".join(f" NOT {_quoted(p)}" for p in self.excluded)

    def websearch(self) -> str:
        """Return the query in PostgreSQL's websearch_to_tsquery syntax (words only, so nothing else is an operator)."""
        return " ".join([*(_quoted(p) for p in self.required), *("-" + _quoted(p) for p in self.excluded)])


def _quoted(phrase: tuple[str, ...]) -> str:
    return '"' + " ".join(phrase) + '"'  # words are letters and digits only: no quote inside


def parse_query(text: Any) -> Query:
    """Return the query in `text`; raise QueryError saying what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise QueryError("type a word or two to search for", field="q")
    if len(text) > QUERY_MAX:
        raise QueryError(f"a search is at most {QUERY_MAX} characters", field="q")
    required: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []
    for m in _TERM.finditer(fold(text)):
        words = tuple(_WORD.findall(m.group(2) if m.group(2) is not None else m.group(3)))
        if not words:
            continue
        if any(len(w) > TERM_MAX for w in words):
            raise QueryError(f"a word to search for is at most {TERM_MAX} characters", field="q")
        (excluded if m.group(1) else required).append(words)
    if len(required) + len(excluded) > TERMS_MAX:
        raise QueryError(f'a search has at most {TERMS_MAX} words or "phrases"', field="q")
    if not required:
        raise QueryError("a search needs at least one word to look for (not only -excluded ones)", field="q")
    return Query(tuple(required), tuple(excluded))
