"""The SQL of full-text search over the read-model documents: SQLite's FTS5 and PostgreSQL's text search.

Each searched document keeps its folded text (events/readmodel/search.py) in a `search` column written with the
document, so the index follows every put and delete in the same transaction:
- SQLite: an FTS5 table whose external content is the documents table (`{docs}_search`), kept by triggers on
  the documents' rowid (documents are upserted, never replaced, so a document keeps its rowid);
- PostgreSQL: `search` is a tsvector (`to_tsvector('simple', text)`) with a GIN index.

Results come newest first, then by key: the text index finds the matching rows, the database sorts them and
returns one page after the cursor (ts, key). A page's work grows with the number of matches of the query, not
with the history (a query is at most a few words, each an index lookup); neither backend can serve "best
match first" across pages with a stable cursor, and organisers look for recent things first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events.readmodel.search import Query

from .listing_sql import hidden_clause

SearchAfter = tuple[int, bytes]  # (ts, key) of the last result of the previous page


def fts_table(docs: str) -> str:
    """Return the name of the FTS5 table of a documents table."""
    return f"{docs}_search"


def search_trigger_names(docs: str) -> list[str]:
    """Return the names of the triggers that keep a documents table's FTS5 table current (insert, delete, update)."""
    return [f"{docs}_search_{what}" for what in ("insert", "delete", "update")]


def sqlite_statements(docs: str) -> list[str]:
    """Return the FTS5 table and the triggers that keep it equal to the documents' `search` column."""
    f = fts_table(docs)
    delete_old = f"INSERT INTO {f}({f}, rowid, search) VALUES ('delete', old.rowid, old.search);"
    insert_new = f"INSERT INTO {f}(rowid, search) VALUES (new.rowid, new.search);"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {f} USING fts5(search, content='{docs}', content_rowid='rowid', "
        "tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER IF NOT EXISTS {docs}_search_insert AFTER INSERT ON {docs} WHEN new.search IS NOT NULL "
        f"BEGIN {insert_new} END",
        f"CREATE TRIGGER IF NOT EXISTS {docs}_search_delete AFTER DELETE ON {docs} WHEN old.search IS NOT NULL "
        f"BEGIN {delete_old} END",
        # one trigger, so the old entry goes before the new one comes (SQLite fires separate triggers newest first)
        f"CREATE TRIGGER IF NOT EXISTS {docs}_search_update AFTER UPDATE OF search ON {docs} "
        f"WHEN old.search IS NOT new.search BEGIN "
        f"INSERT INTO {f}({f}, rowid, search) SELECT 'delete', old.rowid, old.search WHERE old.search IS NOT NULL; "
        f"INSERT INTO {f}(rowid, search) SELECT new.rowid, new.search WHERE new.search IS NOT NULL; END",
    ]


def postgres_index_name(docs: str) -> str:
    """Return the name of the GIN index of a documents table's tsvector."""
    return f"{docs}_search"


def postgres_index_statement(table: str, docs: str) -> str:
    """Return the CREATE INDEX statement of the GIN index over `search` (only searched documents are in it)."""
    return f"CREATE INDEX IF NOT EXISTS {postgres_index_name(docs)} ON {table} USING GIN (search) WHERE search IS NOT NULL"


def _tail(
    ph: str,
    prefix: str,
    collections: Sequence[str],
    author: bytes | None,
    after: SearchAfter | None,
    hidden: Sequence[bytes],
    lang: str | None,
) -> tuple[str, list[Any]]:
    clauses = [f"{prefix}collection IN ({', '.join([ph] * len(collections))})"]
    params: list[Any] = list(collections)
    if author is not None:
        clauses.append(f"{prefix}author = {ph}")
        params.append(author)
    if lang is not None:  # checked on the rows the full-text match finds, like the author
        clauses.append(f"{prefix}lang = {ph}")
        params.append(lang)
    if after is not None:
        clauses.append(f"({prefix}ts < {ph} OR ({prefix}ts = {ph} AND {prefix}key > {ph}))")
        params += [after[0], after[0], after[1]]
    hide, authors = hidden_clause(ph, hidden)
    return " AND ".join(clauses) + hide.replace("author", f"{prefix}author"), params + authors


def sqlite_search_statement(
    docs: str,
    query: Query,
    collections: Sequence[str],
    author: bytes | None,
    after: SearchAfter | None,
    limit: int,
    hidden: Sequence[bytes] = (),
    lang: str | None = None,
) -> tuple[str, list[Any]]:
    """Return (statement, parameters) selecting one page of the documents matching `query`, newest first."""
    f = fts_table(docs)
    where, params = _tail("?", "d.", collections, author, after, hidden, lang)
    return (
        f"SELECT d.collection, d.key, d.author, d.ref, d.doc FROM {f} JOIN {docs} AS d ON d.rowid = {f}.rowid "
        f"WHERE {f} MATCH ? AND {where} ORDER BY d.ts DESC, d.key LIMIT ?",
        [query.fts5(), *params, limit],
    )


def postgres_search_statement(
    table: str,
    query: Query,
    collections: Sequence[str],
    author: bytes | None,
    after: SearchAfter | None,
    limit: int,
    hidden: Sequence[bytes] = (),
    lang: str | None = None,
) -> tuple[str, list[Any]]:
    """Return (statement, parameters) selecting one page of the documents matching `query`, newest first."""
    where, params = _tail("%s", "", collections, author, after, hidden, lang)
    return (
        f"SELECT collection, key, author, ref, doc FROM {table} WHERE search IS NOT NULL "
        f"AND search @@ websearch_to_tsquery('simple', %s) AND {where} ORDER BY ts DESC, key LIMIT %s",
        [query.websearch(), *params, limit],
    )
