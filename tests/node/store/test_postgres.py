"""The store suite on PostgreSQL: a schema unique to the test, dropped afterwards; skipped without a server URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from events import Identity
from node.errors import StaleDecisionError
from node.store import EventStore, open_store
from node.store.postgres import COPY_FROM

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .suite import StoreSuite, chain

pytestmark = NEEDS_POSTGRES


class TestPostgresStore(StoreSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        with fresh_schema("solnet_test") as self.schema_name:
            yield self.schema_name

    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path, database_url=URL, schema=self.schema_name)

    def spec(self, tmp_path: Path) -> dict[str, Any]:
        return {"data_dir": str(tmp_path), "url": URL, "schema": self.schema_name}

    def test_originator_id_column_is_text(self, store: EventStore):
        with psycopg.connect(URL) as conn:
            row = conn.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = 'stored_events' "
                "AND column_name = 'originator_id'",
                (self.schema_name,),
            ).fetchone()
        assert row == ("text",)

    def test_copied_rows_whose_ids_are_not_consecutive_are_read_back_in_order(self, store: EventStore):
        """COPY returns no ids: they are taken as consecutive and checked; with gaps they are read back row by row."""
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute(f'ALTER SEQUENCE "{self.schema_name}".stored_events_notification_id_seq INCREMENT BY 3')
        events = chain(Identity.generate(), COPY_FROM + 5)
        ingested = store.ingest(events)
        read = {event.id: n for n, event in store.notifications(0, COPY_FROM + 10)}
        assert list(ingested.notification_ids) == [read[e.id] for e in events]
        assert ingested.notification_ids[1] - ingested.notification_ids[0] == 3

    def test_a_copy_into_taken_positions_is_a_stale_decision(self, store: EventStore):
        author = Identity.generate()
        events = chain(author, COPY_FROM + 5)
        decided = store.decide_ingest(events)
        store.ingest(events[:1])  # another writer takes seq 1
        with pytest.raises(StaleDecisionError):
            store.write_decided(decided)
        assert store.counts() == {author.public_key: 1}
        assert len(store.ingest(events).result.stored) == COPY_FROM + 4
