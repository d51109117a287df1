"""The SQL of paginated lists over the read-model documents, the same for SQLite and PostgreSQL.

Columns beside each document hold its order and filter values (events/readmodel/listing.py); every list is
`WHERE collection = ? [filters] AND (order columns) > cursor ORDER BY order columns LIMIT n`, which the indexes
below serve from their first row, so a page costs the same at any depth and any history size. Both backends
build their statements here with their own placeholder and column types, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from events.readmodel.listing import NO_TIME, UNLISTED, Cursor, Listing, Where

__all__ = ["Where"]  # re-exported: the filters this SQL implements (events/readmodel/listing.py defines them)

ORDER = ("sort_text", "sort1", "sort2", "sort3", "key")
LISTING_COLUMNS = (
    "ts",
    "status",
    "sort_text",
    "sort1",
    "sort2",
    "sort3",
    "tag",
    "qty",
    "needs",
    "place",
    "until_ts",
    "link",
    "lang",
)
ORDER_SQL = ", ".join(ORDER)
MAX_KEYS = 500  # keys or refs in one IN (...): under SQLite's bound-parameter limit
MAX_ARMS = 100  # refs in one first_per_ref statement: one UNION ALL arm each (SQLite allows 500 by default)
MAX_HIDDEN = 200  # authors left out of one statement (blocked groups): with MAX_KEYS, under SQLite's parameter limit


@dataclass(frozen=True, slots=True)
class Columns:
    """A backend's column types and placeholder."""

    ph: str  # "?" or "%s"
    text: str  # the type of text columns (PostgreSQL's compares bytewise, like SQLite's)
    integer: str
    blob: str


def column_definitions(c: Columns) -> str:
    """Return the listing columns' definitions, for CREATE TABLE."""
    types = {
        "ts": c.integer,
        "status": c.text,
        "sort_text": c.text + " NOT NULL",
        "sort1": c.integer + " NOT NULL",
        "sort2": c.integer + " NOT NULL",
        "sort3": c.integer + " NOT NULL",
        "tag": c.text,
        "qty": c.integer,
        "needs": c.integer,
        "place": c.text,
        "until_ts": c.integer,
        "link": c.blob,
        "lang": c.text,
    }
    return ", ".join(f"{name} {types[name]}" for name in LISTING_COLUMNS)


_FILTERED = ("author", "ref", "status", "link", "lang")


def index_names(index_prefix: str) -> list[str]:
    """Return the names of the list indexes, in index_statements' order."""
    return [f"{index_prefix}_order", *(f"{index_prefix}_{column}_order" for column in _FILTERED)]


def bulk_dropped_index_names(index_prefix: str) -> list[str]:
    """Return the list indexes a bulk projection drops: all but the author one, which the projection itself reads
    (a redaction looks up the author's documents: without it each would scan a whole collection)."""
    return [name for name in index_names(index_prefix) if name != f"{index_prefix}_author_order"]


def index_statements(table: str, index_prefix: str) -> list[str]:
    """Return CREATE INDEX statements for every list: by collection, and by collection with author, ref, status, link or lang."""
    order, *filtered = index_names(index_prefix)
    out = [f"CREATE INDEX IF NOT EXISTS {order} ON {table} (collection, {ORDER_SQL})"]
    for name, column in zip(filtered, _FILTERED, strict=True):
        out.append(f"CREATE INDEX IF NOT EXISTS {name} ON {table} (collection, {column}, {ORDER_SQL})")
    return out


def listing_values(listing: Listing) -> tuple[Any, ...]:
    """Return a document's listing values in LISTING_COLUMNS order."""
    return (
        listing.ts,
        listing.status,
        listing.sort_text,
        listing.sort1,
        listing.sort2,
        listing.sort3,
        listing.tag,
        listing.qty,
        listing.needs,
        listing.place,
        listing.until,
        listing.link,
        listing.lang,
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def hidden_clause(ph: str, hidden: Sequence[bytes] | frozenset[bytes]) -> tuple[str, list[Any]]:
    """Return (" AND author NOT IN (...)", parameters) leaving out documents of `hidden` authors ("" if none).

    The authors are sorted so the statement is the same for the same set; at most MAX_HIDDEN are allowed."""
    if not hidden:
        return "", []
    authors = sorted(hidden)
    if len(authors) > MAX_HIDDEN:
        raise ValueError(f"at most {MAX_HIDDEN} hidden authors in one list")
    return f" AND author NOT IN ({', '.join([ph] * len(authors))})", authors


def unlisted_clause(ph: str, collection: str) -> tuple[list[str], list[Any]]:
    """Return ([clause], parameters) leaving out the collection's unlisted documents (withdrawn reports...), or ([], [])."""
    statuses = UNLISTED.get(collection, ())
    if not statuses:
        return [], []
    return [f"(status IS NULL OR status NOT IN ({', '.join([ph] * len(statuses))}))"], list(statuses)


def page_statement(table: str, ph: str, collection: str, where: Where, after: Cursor | None, limit: int) -> tuple[str, list[Any]]:
    """Return (statement, parameters) selecting one page of documents in the collection's order."""
    clauses = [f"collection = {ph}"]
    params: list[Any] = [collection]
    for column, value in (
        ("author", where.author),
        ("ref", where.ref),
        ("status", where.status),
        ("link", where.link),
        ("lang", where.lang),
    ):
        if value is not None:
            clauses.append(f"{column} = {ph}")
            params.append(value)
    if where.no_ref:
        clauses.append("ref IS NULL")
    if where.needs:
        clauses.append(f"(needs & {ph}) <> 0")
        params.append(where.needs)
    if where.place:
        clauses.append(f"place LIKE {ph} ESCAPE '\\'")
        params.append(_like(where.place.casefold()))
    if where.until_from is not None:
        clauses.append(f"until_ts >= {ph}")
        params.append(where.until_from)
    # undated callouts (events/readmodel/listing.py `undated`): sort2 = NO_TIME and until_ts = ts; never over
    if where.live_at is not None:
        clauses.append(f"(until_ts >= {ph} OR (sort2 = {ph} AND until_ts = ts))")
        params += [where.live_at, NO_TIME]
    if where.over_at is not None:
        clauses.append(f"(until_ts < {ph} AND NOT (sort2 = {ph} AND until_ts = ts))")
        params += [where.over_at, NO_TIME]
    if where.starts_from is not None:
        clauses.append(f"sort1 <= {ph}")
        params.append(-where.starts_from)
    if where.starts_before is not None:
        clauses.append(f"sort1 > {ph}")
        params.append(-where.starts_before)
    if after is not None:
        clauses.append(f"({ORDER_SQL}) > ({', '.join([ph] * len(ORDER))})")
        params.extend(after)
    unlisted, gone = unlisted_clause(ph, collection)
    clauses += unlisted
    params += gone
    hide, hidden = hidden_clause(ph, where.hidden)
    params.extend(hidden)
    statement = (
        f"SELECT collection, key, author, ref, doc FROM {table} WHERE {' AND '.join(clauses)}{hide} "
        f"ORDER BY {ORDER_SQL} LIMIT {ph}"
    )
    return statement, [*params, limit]


def keys_statement(table: str, ph: str, collection: str, keys: Sequence[bytes]) -> tuple[str, list[Any]]:
    """Return (statement, parameters) selecting the documents of a collection with these keys (at most MAX_KEYS)."""
    marks = ", ".join([ph] * len(keys))
    return f"SELECT collection, key, author, ref, doc FROM {table} WHERE collection = {ph} AND key IN ({marks})", [
        collection,
        *keys,
    ]


def tags_statement(table: str, ph: str, collection: str, keys: Sequence[bytes]) -> tuple[str, list[Any]]:
    """Return (statement, parameters) selecting (key, tag) of the documents of a collection with these keys."""
    marks = ", ".join([ph] * len(keys))
    return f"SELECT key, tag FROM {table} WHERE collection = {ph} AND key IN ({marks})", [collection, *keys]


def first_per_ref_statement(
    table: str, ph: str, collection: str, refs: Sequence[bytes], n: int, hidden: Sequence[bytes] = ()
) -> tuple[str, list[Any]]:
    """Return (statement, parameters) selecting the first `n` documents (in list order) hanging from each of `refs`.

    One LIMITed arm per ref, each an index range scan of (collection, ref, order) that stops after `n` rows, so a
    callout with thousands of pledges costs as much as one with `n` (a window over each ref read them all)."""
    hide, authors = hidden_clause(ph, hidden)
    unlisted, gone = unlisted_clause(ph, collection)
    listed = "".join(f" AND {c}" for c in unlisted)
    arm = (
        f"SELECT collection, key, author, ref, doc FROM (SELECT collection, key, author, ref, doc FROM {table} "
        f"WHERE collection = {ph} AND ref = {ph}{listed}{hide} ORDER BY {ORDER_SQL} LIMIT {ph}) AS first_{{}}"
    )
    params: list[Any] = []
    for ref in refs:
        params += [collection, ref, *gone, *authors, n]
    return " UNION ALL ".join(arm.format(i) for i in range(len(refs))), params


def first_per_ref_lateral_statement(
    table: str, ph: str, collection: str, refs: Sequence[bytes], n: int, hidden: Sequence[bytes] = ()
) -> tuple[str, list[Any]]:
    """PostgreSQL's form of first_per_ref_statement: the same rows, by one LATERAL subquery run once per ref.

    The same index range scan per ref as the UNION ALL arms, but the planner plans it once: at 300k events a 20-ref
    statement planned in 0.19 ms against 2.5 ms for 20 arms (docs/BENCHMARKS.md). The refs go as one bytea array."""
    hide, authors = hidden_clause(ph, hidden)
    unlisted, gone = unlisted_clause(ph, collection)
    listed = "".join(f" AND {c}" for c in unlisted)
    return (
        f"SELECT d.collection, d.key, d.author, d.ref, d.doc FROM unnest({ph}::bytea[]) AS r(ref) CROSS JOIN LATERAL "
        f"(SELECT collection, key, author, ref, doc FROM {table} WHERE collection = {ph} AND ref = r.ref{listed}{hide} "
        f"ORDER BY {ORDER_SQL} LIMIT {ph}) AS d",
        [list(refs), collection, *gone, *authors, n],
    )


def counts_statement(
    table: str, ph: str, collection: str, refs: Sequence[bytes], hidden: Sequence[bytes] = ()
) -> tuple[str, list[Any]]:
    """Return (statement, parameters) counting documents per (ref, tag, status), with their summed qty."""
    hide, authors = hidden_clause(ph, hidden)
    return (
        f"SELECT ref, tag, status, COUNT(*), SUM(qty) FROM {table} WHERE collection = {ph} "
        f"AND ref IN ({', '.join([ph] * len(refs))}){hide} GROUP BY ref, tag, status",
        [collection, *refs, *authors],
    )


def authors_statement(
    table: str, ph: str, collection: str, refs: Sequence[bytes], statuses: Sequence[str], hidden: Sequence[bytes] = ()
) -> tuple[str, list[Any]]:
    """Return (statement, parameters) counting distinct authors per ref among documents in `statuses`."""
    hide, authors = hidden_clause(ph, hidden)
    return (
        f"SELECT ref, COUNT(DISTINCT author) FROM {table} WHERE collection = {ph} "
        f"AND ref IN ({', '.join([ph] * len(refs))}) AND status IN ({', '.join([ph] * len(statuses))}){hide} GROUP BY ref",
        [collection, *refs, *statuses, *authors],
    )


def tagged_authors_statement(
    table: str, ph: str, collection: str, ref: bytes, tag: str, limit: int, hidden: Sequence[bytes] = ()
) -> tuple[str, list[Any]]:
    """Return (statement, parameters) selecting up to `limit` authors of documents with this ref and tag, in list order.

    (In list order, not by author: the (collection, ref, order) index serves that, an author order would not.)
    """
    hide, authors = hidden_clause(ph, hidden)
    return (
        f"SELECT author FROM {table} WHERE collection = {ph} AND ref = {ph} AND tag = {ph}{hide} ORDER BY {ORDER_SQL} LIMIT {ph}",
        [collection, ref, tag, *authors, limit],
    )
