"""The notifications' tables (choices, outbox, digest items, progress), run against every backend via `open_store`."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.errors import RequestError
from node.members import Accounts
from node.notify import Notifications
from node.notify.outbox import BACKOFF_S, Item, Mail
from node.notify.prefs import VISIT_GAP_MS
from node.store import EventStore


def _mail(mail_id: str, to: str = "orla@example.org") -> Mail:
    return Mail(mail_id, "m1", to, "subject", "text", "<p>html</p>", "tok")


class NotifySuite:
    def open_store(self, tmp_path: Path) -> EventStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path):
        store = self.open_store(tmp_path)
        yield store
        store.close()

    @pytest.fixture
    def notes(self, store: EventStore) -> Notifications:
        return Notifications(store)

    def test_a_mail_is_queued_once_retried_with_backoff_and_given_up_at_last(self, notes: Notifications):
        box, db = notes.outbox, notes.db
        with db.tx("t") as tx:
            assert box.queue(tx, _mail("urgent:m1:e1"), 1000) is True
            assert box.queue(tx, _mail("urgent:m1:e1"), 2000) is False  # the same mail twice: still one
            assert box.queue(tx, _mail("urgent:m2:e1"), 1500) is True
        with db.tx("t") as tx:
            assert [m.id for m in box.due(tx, 1000, 10)] == ["urgent:m1:e1"]
            assert [m.id for m in box.due(tx, 5000, 1)] == ["urgent:m1:e1"]
            box.sent(tx, "urgent:m1:e1", 5000)
            assert [m.id for m in box.due(tx, 5000, 10)] == ["urgent:m2:e1"]
        now = 10_000
        for wait in BACKOFF_S:
            with db.tx("t") as tx:
                (mail,) = box.due(tx, now, 10)
                assert box.failed(tx, mail, "451 later", now) is False
                assert box.due(tx, now + wait * 1000 - 1, 10) == [] and box.next_due(tx) == now + wait * 1000
            now += wait * 1000
        with db.tx("t") as tx:
            (mail,) = box.due(tx, now, 10)
            assert box.failed(tx, mail, "451 later", now) is True  # given up: never tried again
            assert box.due(tx, now * 2, 10) == [] and box.next_due(tx) is None
        attempts, sent, error = notes.mail_state("urgent:m2:e1")
        assert attempts == len(BACKOFF_S) + 1 and sent == -now and error == "451 later"

    def test_progress_values_and_digest_items(self, notes: Notifications):
        box = notes.outbox
        with notes.db.tx("t") as tx:
            assert box.value(tx, "cursor") is None
            box.set_value(tx, "cursor", "5")
            box.set_value(tx, "cursor", "9")
            assert box.value(tx, "cursor") == "9"
            for i in range(5):
                box.add_item(tx, Item("callout.published", f"e{i}", 100 + i, f"line {i}", "/x"))
            box.add_item(tx, Item("callout.published", "e0", 999, "again", "/x"))  # once per event and section
            box.add_item(tx, Item("pledge.made", "p0", 101, "pledge", "/y"))
            items, total = box.items(tx, "callout.published", 101, 105, 2)
            assert [i.event_id for i in items] == ["e1", "e2"] and total == 4
            box.forget_items(tx, 103)
            assert box.items(tx, "callout.published", 0, 1000, 10)[1] == 2
            assert box.items(tx, "pledge.made", 0, 1000, 10)[1] == 0

    def test_a_digest_items_table_made_before_lines_were_kept_gets_the_column_and_keeps_its_rows(self, store: EventStore):
        from node.members.db import LocalDb
        from node.notify.outbox import ITEMS

        db = LocalDb(store)
        old = ("CREATE TABLE {t} (section TEXT NOT NULL, event_id TEXT NOT NULL, at BIGINT NOT NULL, "
               "line TEXT NOT NULL, link TEXT NOT NULL, PRIMARY KEY (section, event_id))",)  # fmt: skip
        db.create(ITEMS, old)
        with db.tx("an old row") as tx:
            tx.run(f"INSERT INTO {db.table(ITEMS)} VALUES ('callout.published', 'e0', 100, 'Govan: old (high)', '/x')")
        for _ in range(2):  # (a second start finds the column there)
            notes = Notifications(store)
        with notes.db.tx("t") as tx:
            notes.outbox.add_item(tx, Item("callout.published", "e1", 101, "new", "/x", '{"line":"x","values":{}}'))
            items, _ = notes.outbox.items(tx, "callout.published", 0, 1000, 10)
        assert [(i.line, i.data) for i in items] == [("Govan: old (high)", None), ("new", '{"line":"x","values":{}}')]

    def test_choices_tokens_visits_and_who_is_subscribed(self, store: EventStore, notes: Notifications):
        accounts = Accounts(store)
        people = {}
        for name, email in (("Orla", "orla@example.org"), ("Gus", None), ("Sam", "sam@example.org")):
            member, _ = accounts.invite(name, "member", email)
            people[name] = member.id
            notes.choose(member.id, urgent=True, digest=name == "Sam", areas="Leith,\n Leith Walk ", needs=["people"])
        orla = notes.choices(people["Orla"])
        assert orla.areas == ("Leith", "Leith Walk") and orla.needs == ("people",) and orla.urgent and not orla.digest
        assert orla.matches("12 LEITH walk", ["people", "money"]) and not orla.matches("Govan", ["people"])
        assert not orla.matches("Leith", ["money"])
        with pytest.raises(RequestError, match="needs"):
            notes.choose(people["Orla"], urgent=True, digest=False, areas="", needs=["snacks"])
        with notes.db.tx("t") as tx:
            urgent = notes.prefs.subscribers(tx, "urgent", notes.members, "", 1)
            urgent += notes.prefs.subscribers(tx, "urgent", notes.members, urgent[0][0].member_id, 10)
            digest = notes.prefs.subscribers(tx, "digest", notes.members, "", 10)
        assert sorted(email for _, email, _ in urgent) == ["orla@example.org", "sam@example.org"]  # Gus has no address
        assert [name for _, _, name in digest] == ["Sam"]

        assert notes.unsubscribe(orla.unsubscribe).urgent is False
        assert notes.unsubscribe("nobody's") is None and not notes.knows_unsubscribe("nobody's")

        secret = notes.new_calendar(people["Orla"])
        assert notes.calendar_member(secret) == people["Orla"] and notes.has_calendar(people["Orla"])
        newer = notes.new_calendar(people["Orla"])
        assert notes.calendar_member(secret) is None and notes.calendar_member(newer) == people["Orla"]
        notes.revoke_calendar(people["Orla"])
        assert notes.calendar_member(newer) is None and not notes.has_calendar(people["Orla"])

        first = notes.visit(people["Sam"], 10_000_000)
        assert first.last_visit == 0
        assert notes.visit(people["Sam"], 10_000_000 + 60_000).last_visit == 0  # the same visit
        later = 10_000_000 + 60_000 + VISIT_GAP_MS + 1
        assert notes.visit(people["Sam"], later).last_visit == 10_000_000 + 60_000  # a new visit: since the last
