"""The listing suite on SQLite, and how a store made before the listing columns opens."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from events import Mode
from events.kinds.entry import FOLLOWS
from events.readmodel.projection import CALLOUTS, GROUPS, project
from node.queries import names_of
from node.store import EventStore, Projector, open_store
from node.store.listing_sql import Where
from node.store.sqlite_views import scan_statement

from .listing_suite import ListingSuite, network


class TestSQLiteListing(ListingSuite):
    def open_store(self, tmp_path: Path) -> EventStore:
        self.path = tmp_path / "solnet.sqlite3"
        return open_store(tmp_path)

    def index_names(self, store: EventStore) -> set[str]:
        with sqlite3.connect(self.path) as db:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'views_documents'")
            return {r[0] for r in rows}


def test_read_models_from_before_the_listing_columns_are_rebuilt(tmp_path: Path):
    store = open_store(tmp_path)
    store.ingest(network(), Mode.FULL)
    store.view_store()
    store.close()
    with sqlite3.connect(tmp_path / "solnet.sqlite3") as db:  # the layout of earlier versions, with a stale position
        db.execute("DROP TABLE IF EXISTS views_documents")
        db.execute(
            "CREATE TABLE views_documents (collection TEXT NOT NULL, key BLOB NOT NULL, author BLOB NOT NULL, "
            "ref BLOB, doc BLOB NOT NULL, PRIMARY KEY (collection, key))"
        )
        db.execute("INSERT OR REPLACE INTO tracking VALUES ('views', 999999)")
    store = open_store(tmp_path)
    try:
        views = store.view_store()
        assert views.position() == 0
        Projector(store, views, project).catch_up()
        assert len(views.page(CALLOUTS, Where(), None, 500)) == 72
    finally:
        store.close()


def test_names_of_profiles_stored_without_their_tag_are_read_from_the_documents(tmp_path: Path):
    store = open_store(tmp_path)
    try:
        views = store.view_store()
        store.ingest(network(), Mode.FULL)
        Projector(store, views, project).catch_up()
        want = {p.key: p.doc["name"] for p in views.scan(GROUPS)}
        with sqlite3.connect(tmp_path / "solnet.sqlite3") as db:  # as projected before names were kept as tags
            db.execute("UPDATE views_documents SET tag = NULL WHERE collection = 'groups'")
        assert set(views.tags(GROUPS, list(want)).values()) == {None}
        assert names_of(views, list(want)) == want
    finally:
        store.close()


def test_a_scan_by_author_or_ref_reads_its_index_not_the_whole_collection(tmp_path: Path):
    store = open_store(tmp_path)
    try:
        Projector(store, store.view_store(), project).catch_up()  # the tables and their indexes
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "solnet.sqlite3") as db:
        for ref, author, index in ((None, b"a", "author"), (b"r", None, "ref")):
            statement, params = scan_statement("views_documents", FOLLOWS, ref, author)
            plan = " ".join(str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN " + statement, params))
            assert f"USING INDEX views_documents_{index}_order (collection=? AND {index}=?)" in plan, plan
