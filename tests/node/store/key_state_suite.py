"""The store suite's tests of key states and superseded branches (docs/PROTOCOL.md §11, §11.1), every backend."""

from __future__ import annotations

from pathlib import Path

from events import Mode, encode_record
from events.readmodel.projection import project
from node.store import EventStore, Projector
from tests.events.rotation_helpers import commitment, next_event, stolen_log


class KeyStateSuite:
    """Mixed into StoreSuite, which provides the `store` fixture of each backend (and `open_store`)."""

    def test_key_changes_are_kept_with_the_events_and_read_back(self, store: EventStore, tmp_path: Path):
        k1, k2, _thief, group = stolen_log()
        result = store.ingest(group, Mode.FULL).result
        assert [(k.seq, k.rotated) for k in result.keys] == [(1, False), (3, True)]
        last, rotation = store.key_heads([k1.public_key])[k1.public_key]
        assert (last.seq, last.state.key, rotation.seq if rotation else None) == (3, k2.public_key, 3)
        assert store.key_change(k1.public_key, 2).state.key == k1.public_key
        assert store.key_change(k1.public_key, 2, rotation=True) is None
        assert [r.seq for r in store.rotations(k1.public_key)] == [3]
        assert store.rotation_marks([k1.public_key]) == ({k1.public_key}, {})
        # the next ingest continues from the stored key state: a new-key event links, an old-key one does not
        nxt = next_event(k2, k1, group[-1], "campaign.created", {"title": "five"})
        forged = next_event(k1, k1, group[-1], "campaign.created", {"title": "thief five"})
        assert [r.code for r in store.ingest([forged]).result.rejected] == ["bad_signature"]
        assert [e.id for e in store.ingest([nxt]).result.stored] == [nxt.id]

    def test_a_rotation_supersedes_the_stored_branch_in_one_write(self, store: EventStore, tmp_path: Path):
        k1, _k2, thief, group = stolen_log()
        store.ingest(thief)
        views = store.view_store()
        Projector(store, views, project).catch_up()
        result = store.ingest(group[2:]).result
        assert [(s.seq, s.rotation_id) for s in result.superseded] == [(3, group[2].id)]
        assert store.read_log(k1.public_key) == group
        assert store.head(k1.public_key).id == group[-1].id
        assert store.get(thief[2].id) is None and store.get(group[2].id) == group[2]
        dropped = store.superseded(k1.public_key)
        assert [(r.seq, r.event_id, r.rotation_seq) for r in dropped] == [(3, thief[2].id, 3), (4, thief[3].id, 3)]
        assert [r.state for r in dropped] == [encode_record(e) for e in thief[2:]]
        assert store.superseded(None, (dropped[0].originator_id, 3, thief[2].id), 10) == dropped[1:]
        assert store.rotation_marks([k1.public_key]) == ({k1.public_key}, {k1.public_key: 2})
        # the superseded events come back from a peer that still holds them: key_superseded, nothing stored
        again = store.ingest(thief[2:]).result
        assert [r.code for r in again.rejected] == ["key_superseded", "key_superseded"] and not again.stored
        assert store.totals() == (1, 4, 0)
        Projector(store, views, project).rebuild()  # what the node does after a supersession
        campaigns = views.recorder.select_documents("campaigns", None, None)
        assert sorted(d.key for d in campaigns) == sorted([group[1].id, group[3].id])

    def test_key_changes_of_logs_stored_before_the_table_are_backfilled_once(self, store: EventStore, tmp_path: Path):
        k1, k2, thief, _group = stolen_log()
        second = next_event(k1, k1, thief[-1], "key.commit", {"next": commitment(k1.public_key)})  # valid in version 1 only
        store.ingest(thief)
        rec = store.recorder
        with rec.datastore.transaction(commit=True) as c:  # as a store from before key rotation: no rows, no marker
            c.execute(f"DELETE FROM {rec._keys_name}")
            c.execute(
                f"INSERT INTO {rec._events_name} (originator_id, originator_version, topic, state) VALUES "
                f"({rec._ph}, {rec._ph}, {rec._ph}, {rec._ph})",
                (k1.group_id, 5, "key.commit", encode_record(second)),
            )
        assert store.key_heads([k1.public_key]) == {}
        assert rec.backfill_key_changes() == 1 and rec.backfill_key_changes() == 0
        last, rotation = store.key_heads([k1.public_key])[k1.public_key]
        assert (last.seq, last.state.commitment, rotation) == (1, commitment(k2.public_key), None)
