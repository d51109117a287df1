"""The listing suite on PostgreSQL: a schema unique to the test; skipped without a server URL."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from events import Mode
from events.readmodel.projection import CALLOUTS, COLLECTIONS, project
from node.store import EventStore, Projector, open_store

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .listing_suite import ListingSuite, network

pytestmark = NEEDS_POSTGRES


class TestPostgresListing(ListingSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        with fresh_schema("solnet_listing") as self.schema_name:
            yield self.schema_name

    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path, database_url=URL, schema=self.schema_name)

    def index_names(self, store: EventStore) -> set[str]:
        with psycopg.connect(URL) as db:
            rows = db.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = 'views_documents'", (self.schema_name,)
            )
            return {r[0] for r in rows}


def _estimated_rows(schema: str) -> float:
    with psycopg.connect(URL) as db:
        row = db.execute(
            "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = 'views_documents'",
            (schema,),
        ).fetchone()
        return row[0]


def test_a_bulk_projection_leaves_the_planner_statistics_of_the_documents(tmp_path: Path):
    with fresh_schema("solnet_analyze") as schema:
        store = open_store(tmp_path, database_url=URL, schema=schema)
        try:
            views = store.view_store()
            store.ingest(network(), Mode.FULL)
            assert _estimated_rows(schema) <= 0  # never analyzed (-1 on PostgreSQL 14+, 0 before)
            Projector(store, views, project, bulk_min=100).catch_up()
            assert _estimated_rows(schema) == len(list(views.scan(CALLOUTS))) + sum(
                len(list(views.scan(c))) for c in COLLECTIONS if c != CALLOUTS
            )
        finally:
            store.close()
