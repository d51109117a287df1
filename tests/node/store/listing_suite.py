"""Paginated lists over the read models, one suite for every backend (subclasses override `open_store`).

Each test compares what the database answers, a page at a time, with the same documents ordered and filtered
in Python from the pure definitions (events/readmodel/listing.py, events/readmodel/joins.py).
"""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path

import pytest

from events import Event, Identity, Mode, create_event
from events.kinds import NEEDS, URGENCIES, build_payload, friendly_value
from events.readmodel.digest import state_digest_v2
from events.readmodel.joins import ACTIVE_PLEDGE, callout_summary, summary_from_counts
from events.readmodel.listing import NEED_BITS, cursor_of
from events.readmodel.memory import replay
from events.readmodel.projection import CALLOUTS, DECISIONS, GROUPS, PLEDGES, project
from node.queries import names_of, summary_json
from node.store import EventStore, Projector
from node.store.hiding import HidingView
from node.store.listing_sql import Where

T0 = 1_780_000_000_000
PLACES = ("Hackney Road", "50% Estate", "under_score Lane", "Leith Walk", "hackney wick")
LANGS = ("pl", "bn", None, "pt-BR", "ar")  # by callout number (no draw from the generator: the rest stays as it was)


def network(seed: int = 3) -> list[Event]:
    """Return a small network's events: profiles, callouts of every shape, pledges to each other's, decisions."""
    rng = random.Random(seed)
    ids = [Identity.from_seed(bytes([i + 1]) * 32) for i in range(6)]
    last: dict[int, Event] = {}
    events: list[Event] = []
    callouts: list[bytes] = []
    pledges: dict[int, list[bytes]] = {}
    ts = T0

    def emit(g: int, kind: str, fields: dict) -> Event:
        nonlocal ts
        ts += rng.randint(1, 5)
        event = create_event(ids[g], kind=kind, payload=build_payload(kind, fields), timestamp=ts, previous=last.get(g))
        last[g] = event
        events.append(event)
        return event

    for g in range(len(ids) - 1):  # the last group publishes no profile
        emit(g, "group.profile", {"name": ["Zebra", "alpha", "Émile", "beta", "Alpha"][g]})
    for g in range(len(ids)):
        campaign = emit(g, "campaign.created", {"title": f"Campaign {g}"}).id
        for i in range(12):
            fields = {"title": f"C{g}.{i}", "text": "t", "needs": rng.sample(NEEDS, rng.randint(1, 3))}
            fields.update(urgency=rng.choice(URGENCIES), where=rng.choice(PLACES))
            if rng.random() < 0.6:
                fields["starts_at"] = T0 + rng.choice([1000, 2000, 3000])  # equal starts: ties broken by time, then key
            if rng.random() < 0.3:
                fields["campaign"] = campaign
            if LANGS[(g + i) % len(LANGS)]:
                fields["lang"] = LANGS[(g + i) % len(LANGS)]
            callouts.append(emit(g, "callout.published", fields).id)
        emit(g, "callout.updated", {"callout": callouts[-1], "lang": "es"})  # an update says (or changes) its language
        decision = emit(g, "decision.recorded", {"text": "we decided", "campaign": campaign})
        if g % 2:  # withdrawn: leaves every list
            emit(g, "decision.withdrawn", {"decision": decision.id})
    for g in range(len(ids)):
        for _ in range(15):
            fields = {
                "callout": rng.choice(callouts[:20]),
                "need": rng.choice(NEEDS),
                "offer": "o",
                "quantity": rng.randint(1, 5),
            }
            pledge = emit(g, "pledge.made", fields)
            pledges.setdefault(g, []).append(pledge.id)
        for pledge_id in pledges[g][:4]:
            emit(g, rng.choice(["pledge.withdrawn", "pledge.fulfilled"]), {"pledge": pledge_id})
        emit(g, "callout.fulfilled", {"callout": callouts[g * 12]})
    return events


class ListingSuite:
    """Every listing test; a subclass overrides `open_store`."""

    def open_store(self, tmp_path: Path) -> EventStore:
        raise NotImplementedError

    def index_names(self, store: EventStore) -> set[str]:
        """Return the names of the indexes on the read models' documents table."""
        raise NotImplementedError

    @pytest.fixture
    def loaded(self, tmp_path: Path):
        store = self.open_store(tmp_path)
        views = store.view_store()
        store.ingest(network(), Mode.FULL)
        Projector(store, views, project, batch=50).catch_up()
        try:
            yield views
        finally:
            store.close()

    @staticmethod
    def walk(views, collection: str, where: Where, limit: int) -> list[bytes]:
        keys: list[bytes] = []
        after = None
        while True:
            page = views.page(collection, where, after, limit)
            keys += [p.key for p in page]
            if len(page) < limit:
                return keys
            after = cursor_of(page[-1])

    @staticmethod
    def expected(views, collection: str, keep) -> list[bytes]:
        every = [p for p in views.scan(collection) if keep(p)]
        return [p.key for p in sorted(every, key=cursor_of)]

    @pytest.mark.parametrize("limit", [1, 7, 500])
    def test_pages_of_callouts_walk_the_whole_list_in_order(self, loaded, limit):
        assert self.walk(loaded, CALLOUTS, Where(), limit) == self.expected(loaded, CALLOUTS, lambda p: True)
        urgencies = [loaded.get(CALLOUTS, k).doc["urgency"] for k in self.walk(loaded, CALLOUTS, Where(), limit)]
        assert urgencies == sorted(urgencies, key=lambda u: -URGENCIES.index(u))  # most urgent first

    def test_filters_are_the_python_filters(self, loaded):
        cases = {
            Where(status="open"): lambda p: p.doc["status"] == "open",
            Where(needs=NEED_BITS["money"]): lambda p: "money" in p.doc["needs"],
            Where(place="HACKNEY"): lambda p: "hackney" in p.doc["where"].casefold(),
            Where(place="50%"): lambda p: "50%" in p.doc["where"],  # LIKE's wildcards are matched literally
            Where(place="r_s"): lambda p: "r_s" in p.doc["where"],
            Where(until_from=T0 + 2000): lambda p: (
                (p.doc.get("ends_at") or p.doc.get("starts_at") or p.doc["timestamp"]) >= T0 + 2000
            ),
            # not over at T0+2000: dated and ending (or starting) then or later, or undated (never over)
            Where(live_at=T0 + 2000): lambda p: (p.doc.get("ends_at") or p.doc.get("starts_at") or T0 + 2000) >= T0 + 2000,
            Where(over_at=T0 + 2000): lambda p: (p.doc.get("ends_at") or p.doc.get("starts_at") or T0 + 2000) < T0 + 2000,
            Where(status="open", live_at=T0 + 2000): lambda p: (
                p.doc["status"] == "open" and (p.doc.get("ends_at") or p.doc.get("starts_at") or T0 + 2000) >= T0 + 2000
            ),
            Where(lang="pl"): lambda p: p.doc.get("lang") == "pl",
            Where(lang="es"): lambda p: p.doc.get("lang") == "es",  # set by updates only
            Where(lang="pt-BR", needs=NEED_BITS["people"]): lambda p: p.doc.get("lang") == "pt-BR" and "people" in p.doc["needs"],
        }
        memory = replay(network())
        for where, keep in cases.items():
            want = self.expected(loaded, CALLOUTS, keep)
            assert want, where
            assert self.walk(loaded, CALLOUTS, where, 5) == want, where
            assert self.walk(memory, CALLOUTS, where, 5) == want, where  # the pure definition (listing.matches) agrees
        author = next(loaded.scan(CALLOUTS)).author
        assert self.walk(loaded, CALLOUTS, Where(author=author), 4) == self.expected(
            loaded, CALLOUTS, lambda p: p.author == author
        )
        [decision] = [d for d in loaded.scan(DECISIONS) if d.author == author]
        listed = [decision.key] if decision.doc["status"] == "recorded" else []
        assert self.walk(loaded, DECISIONS, Where(link=decision.doc["campaign"]), 2) == listed

    def test_withdrawn_decisions_leave_every_list(self, loaded):
        every = list(loaded.scan(DECISIONS))
        gone = {d.key for d in every if d.doc["status"] == "withdrawn"}
        assert len(gone) == 3 and len(every) == 6
        want = self.expected(loaded, DECISIONS, lambda p: p.key not in gone)
        assert self.walk(loaded, DECISIONS, Where(), 2) == want
        assert self.walk(replay(network()), DECISIONS, Where(), 2) == want  # the pure definition (listing.matches)
        for d in every:  # still readable by key: the decision's own page shows it, marked withdrawn
            assert loaded.get(DECISIONS, d.key) == d

    def test_first_per_ref_leaves_out_unlisted_documents(self, tmp_path: Path):
        """An assembly's first decisions leave out a withdrawn one, as its list does (each backend's statement)."""
        group, events = Identity.from_seed(b"\x09" * 32), []

        def emit(kind: str, fields: dict) -> Event:
            previous = events[-1] if events else None
            payload = build_payload(kind, fields)
            events.append(create_event(group, kind=kind, payload=payload, timestamp=T0 + len(events), previous=previous))
            return events[-1]

        assemblies = [emit("assembly.scheduled", {"title": f"A{i}", "starts_at": T0 + i}).id for i in range(3)]
        decisions = [emit("decision.recorded", {"text": f"d{i}", "assembly": assemblies[i % 2]}).id for i in range(5)]
        emit("decision.withdrawn", {"decision": decisions[2]})
        store = self.open_store(tmp_path)
        try:
            views = store.view_store()
            store.ingest(events, Mode.FULL)
            Projector(store, views, project, batch=50).catch_up()
            firsts = views.first_per_ref(DECISIONS, assemblies, 2)
            assert set(firsts) == set(assemblies[:2])
            for ref in assemblies:
                listed = [d.key for d in views.page(DECISIONS, Where(ref=ref), None, 2)]
                assert [d.key for d in firsts.get(ref, [])] == listed
            assert decisions[2] not in {d.key for ds in firsts.values() for d in ds}
            assert len(firsts[assemblies[0]]) == 2 and len(firsts[assemblies[1]]) == 2  # limited: 2 of 3 on the first
        finally:
            store.close()

    def test_groups_are_ordered_by_name_whatever_the_case(self, loaded):
        names = [loaded.get(GROUPS, k).doc["name"] for k in self.walk(loaded, GROUPS, Where(), 2)]
        assert names == sorted(names, key=str.casefold)
        assert names[:2] in (["alpha", "Alpha"], ["Alpha", "alpha"])

    def test_pledge_totals_counted_in_sql_equal_the_pure_definition(self, loaded):
        callouts = list(loaded.scan(CALLOUTS))
        ids = [c.key for c in callouts]
        counts: dict[bytes, list] = {}
        for ref, need, status, count, quantity in loaded.counts(PLEDGES, ids):
            counts.setdefault(ref, []).append((need, status, count, quantity))
        groups = loaded.author_counts(PLEDGES, ids, ACTIVE_PLEDGE)
        pledged = 0
        for callout in callouts:
            mine = list(loaded.scan(PLEDGES, ref=callout.key))
            pledged += len(mine)
            want = callout_summary(callout, mine)
            assert summary_from_counts(callout, counts.get(callout.key, ()), groups.get(callout.key, 0)) == want
            assert summary_json(want) == friendly_value(asdict(want))  # the API's hand-written JSON of it
        assert pledged > 50

    def test_first_per_ref_is_the_first_page_of_each(self, loaded):
        ids = [c.key for c in loaded.scan(CALLOUTS)][:30]
        firsts = loaded.first_per_ref(PLEDGES, ids, 3)
        for ref in ids:
            assert [p.key for p in firsts.get(ref, [])] == [p.key for p in loaded.page(PLEDGES, Where(ref=ref), None, 3)]
        assert any(len(v) == 3 for v in firsts.values())

    def test_a_bulk_projection_drops_the_list_indexes_and_builds_them_again(self, tmp_path: Path):
        store = self.open_store(tmp_path)
        try:
            views = store.view_store()
            store.ingest(network(), Mode.FULL)
            every = self.index_names(store)
            assert {"views_documents_order", "views_documents_ref_order", "views_documents_author_order"} <= every
            projector = Projector(store, views, project, batch=50, bulk_min=100)
            assert projector.begin_bulk()
            during = self.index_names(store)
            assert "views_documents_ref_order" not in during and "views_documents_order" not in during
            assert "views_documents_author_order" in during  # the projection reads it (redactions)
            assert projector.catch_up(limit=200) == 200
            calls = self.walk(views, CALLOUTS, Where(status="open"), 7)  # lists stay correct without their indexes
            assert calls == self.expected(views, CALLOUTS, lambda p: p.doc["status"] == "open")
            projector.catch_up(limit=10_000)
            projector.end_bulk()
            assert self.index_names(store) == every
            memory = replay(network())
            assert views.state_digest_v2() == state_digest_v2(memory)
            assert self.walk(views, CALLOUTS, Where(), 9) == self.walk(memory, CALLOUTS, Where(), 9)
            views.clear()
            assert Projector(store, views, project, bulk_min=100).catch_up() == len(network())  # by itself, unstepped
            assert self.index_names(store) == every and views.state_digest_v2() == state_digest_v2(memory)
            assert not Projector(store, views, project, bulk_min=100).begin_bulk()  # not behind: no bulk
        finally:
            store.close()

    def test_indexes_dropped_by_a_bulk_projection_that_stopped_are_built_when_the_store_opens(self, tmp_path: Path):
        store = self.open_store(tmp_path)
        views = store.view_store()
        store.ingest(network(), Mode.FULL)
        every = self.index_names(store)
        stopping = Projector(store, views, project, batch=50, bulk_min=100, stop=lambda: True)
        assert stopping.begin_bulk()
        stopping.end_bulk()  # at shutdown the indexes are left for the next start
        assert "views_documents_order" not in self.index_names(store)
        store.close()
        store = self.open_store(tmp_path)
        try:
            store.view_store()
            assert self.index_names(store) == every
        finally:
            store.close()

    def test_names_come_from_the_profiles_tags_as_from_their_documents(self, loaded):
        profiles = {p.key: p.doc.get("name", "") for p in loaded.scan(GROUPS)}
        authors = [p.author for p in loaded.scan(CALLOUTS)]
        assert len(set(authors) - profiles.keys()) == 1  # the group without a profile has no name
        assert names_of(loaded, authors) == {a: profiles[a] for a in authors if a in profiles}
        assert loaded.tags(GROUPS, list(profiles)) == profiles

    def test_hidden_authors_are_left_out_of_every_list_and_count(self, loaded):
        authors = sorted({p.author for p in loaded.scan(PLEDGES)})
        hidden = frozenset(authors[::2])
        assert hidden and len(hidden) < len(authors)
        shown = HidingView(loaded, hidden)
        for collection in (CALLOUTS, PLEDGES, GROUPS):
            want = self.expected(loaded, collection, lambda p: p.author not in hidden)
            assert self.walk(shown, collection, Where(), 3) == want
            assert self.walk(replay(network()), collection, Where(hidden=hidden), 3) == want  # the pure definition
        ids = [c.key for c in loaded.scan(CALLOUTS)][:30]
        firsts = shown.first_per_ref(PLEDGES, ids, 3)
        for ref in ids:
            everyone = [p for p in loaded.page(PLEDGES, Where(ref=ref), None, 500) if p.author not in hidden]
            assert [p.key for p in firsts.get(ref, [])] == [p.key for p in everyone[:3]]
            counted = sum(c for r, _, _, c, _ in shown.counts(PLEDGES, [ref]) if r == ref)
            assert counted == len(everyone)
            assert shown.author_counts(PLEDGES, [ref], ("made", "fulfilled", "withdrawn")).get(ref, 0) == len(
                {p.author for p in everyone}
            )
        assert not hidden & set(shown.tagged_authors(PLEDGES, ids[0], "people", 50))
        some = next(p for p in loaded.scan(CALLOUTS) if p.author in hidden)
        assert shown.get(CALLOUTS, some.key) is None and loaded.get(CALLOUTS, some.key) is not None
        assert shown.get(GROUPS, some.author) is not None  # a blocked group's name can still be shown
