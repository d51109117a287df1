"""Full-text search over the read models, one suite for every backend (subclasses override `open_store`).

Each test compares what the database finds, a page at a time, with the same documents matched and ordered in
Python from the pure definitions (events/readmodel/search.py): every required phrase's words appear one after
another in the document's folded text, no excluded one does; newest first, then by key.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from events import Event, Identity, Mode, create_event
from events.kinds import NEEDS, build_payload
from events.readmodel.listing import listing_of
from events.readmodel.projection import CALLOUTS, PLEDGES, project
from events.readmodel.search import SEARCHED, Query, parse_query, search_text
from events.readmodel.view import Delete
from node.store import EventStore, Projector
from node.store.hiding import HidingView
from node.store.views import search_cursor

T0 = 1_780_000_000_000
WORDS = ("food", "bank", "rent", "strike", "Café", "tenants", "eviction", "legal", "van", "soup", "kitchen", "CAFE")


def network(seed: int = 5) -> list[Event]:
    """Return events of every searched kind (and pledges, which are not searched) with text from a small vocabulary."""
    rng = random.Random(seed)
    ids = [Identity.from_seed(bytes([i + 11]) * 32) for i in range(4)]
    last: dict[int, Event] = {}
    events: list[Event] = []
    ts = T0

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n)) + rng.choice([".", ", and more!", " (urgent)"])

    def emit(g: int, kind: str, fields: dict) -> Event:
        nonlocal ts
        ts += rng.choice([0, 1, 3])  # equal timestamps: ties broken by key
        event = create_event(ids[g], kind=kind, payload=build_payload(kind, fields), timestamp=ts, previous=last.get(g))
        last[g] = event
        events.append(event)
        return event

    for g in range(len(ids)):
        emit(g, "group.profile", {"name": f"Group {g}"})
        campaign = emit(g, "campaign.created", {"title": text(2), "description": text(6), "area": "Leith"}).id
        callouts = []
        for i in range(8):
            fields = {"title": text(3), "text": text(8), "needs": [rng.choice(NEEDS)], "where": text(1), "campaign": campaign}
            if i % 3:  # (no draw from the generator: the texts stay as they were)
                fields["lang"] = ("pl", "bn")[i % 2]
            callouts.append(emit(g, "callout.published", fields).id)
            emit(g, "pledge.made", {"callout": callouts[-1], "need": NEEDS[0], "offer": text(4)})
        emit(g, "callout.updated", {"callout": callouts[0], "title": "renamed zebra crossing"})
        emit(g, "callout.fulfilled", {"callout": callouts[1], "note": text(2)})
        emit(g, "report.published", {"title": text(2), "text": text(5), "lessons": [text(3), "bring zebra tape"]})
        assembly = emit(g, "assembly.scheduled", {"title": text(2), "starts_at": T0 + 5000, "agenda": text(5)}).id
        proposal = emit(g, "proposal.tabled", {"title": text(2), "text": text(5), "assembly": assembly}).id
        emit(g, "decision.recorded", {"text": text(5), "proposal": proposal, "campaign": campaign})
    gone = emit(0, "report.published", {"title": "yak shaving", "text": "withdrawn soon"})
    emit(0, "report.withdrawn", {"report": gone.id})
    changed = emit(1, "report.published", {"title": "quokka count", "text": "first draft"})
    emit(1, "report.updated", {"report": changed.id, "text": "second draft with wombats"})
    return events


def matches(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))


class SearchSuite:
    """Every search test; a subclass overrides `open_store`."""

    def open_store(self, tmp_path: Path) -> EventStore:
        raise NotImplementedError

    @pytest.fixture
    def loaded(self, tmp_path: Path):
        store = self.open_store(tmp_path)
        views = store.view_store()
        store.ingest(network(), Mode.FULL)
        Projector(store, views, project, batch=7).catch_up()
        try:
            yield views
        finally:
            store.close()

    @staticmethod
    def walk(views, query: Query, limit: int, **kw) -> list[bytes]:
        keys: list[bytes] = []
        after = None
        while True:
            page = views.search(query, after=after, limit=limit, **kw)
            keys += [p.key for p in page]
            if len(page) < limit:
                return keys
            after = search_cursor(page[-1])

    @staticmethod
    def expected(views, query: Query, keep=lambda p: True) -> list[bytes]:
        found = []
        for collection in SEARCHED:
            for put in views.scan(collection):
                words = (search_text(put) or "").split()
                if not keep(put) or any(matches(words, p) for p in query.excluded):
                    continue
                if all(matches(words, p) for p in query.required):
                    found.append(put)
        return [p.key for p in sorted(found, key=lambda p: (-listing_of(p).ts, p.key))]

    QUERIES = ("food", "FOOD bank", '"food bank"', "cafe", "Café -soup", '"soup kitchen" -"food bank"', "zebra", "nothingatall")

    @pytest.mark.parametrize("limit", [1, 4, 200])
    def test_pages_of_results_are_the_python_matches_newest_first(self, loaded, limit):
        for text in self.QUERIES:
            query = parse_query(text)
            want = self.expected(loaded, query)
            assert self.walk(loaded, query, limit) == want, text
        assert self.expected(loaded, parse_query("cafe")) == self.expected(loaded, parse_query("CAFÉ"))  # folded alike
        assert len(self.expected(loaded, parse_query("food"))) > 20

    def test_every_searched_collection_is_found_and_pledges_are_not(self, loaded):
        found = set(self.walk(loaded, parse_query("food"), 500)) | set(self.walk(loaded, parse_query("cafe"), 500))
        assert {c for c in SEARCHED for k in found if loaded.get(c, k) is not None} == set(SEARCHED)
        assert not {p.key for p in loaded.scan(PLEDGES)} & found  # pledges' offers use the same words

    def test_lessons_and_updates_are_searched_and_replaced_text_is_not(self, loaded):
        zebra = self.walk(loaded, parse_query("zebra"), 100)
        assert len(zebra) == 8  # four renamed callouts, four reports' lessons
        renamed = [k for k in zebra if loaded.get(CALLOUTS, k) is not None]
        for key in renamed:
            old_words = self.walk(loaded, parse_query('"crossing"'), 100)
            assert key in old_words
        assert self.walk(loaded, parse_query("zebra -crossing"), 100) == [k for k in zebra if k not in renamed]

    def test_a_withdrawn_report_is_not_found_and_an_updated_one_by_its_new_text(self, loaded):
        assert self.walk(loaded, parse_query("yak"), 10) == []
        [changed] = self.walk(loaded, parse_query("quokka"), 10)
        assert self.walk(loaded, parse_query("wombats"), 10) == [changed]
        assert self.walk(loaded, parse_query('"first draft"'), 10) == []

    def test_a_deleted_document_leaves_the_index(self, loaded):
        key = self.walk(loaded, parse_query('"renamed zebra"'), 1)[0]
        loaded.apply([Delete(CALLOUTS, key)], loaded.position() + 1)
        assert key not in self.walk(loaded, parse_query("zebra"), 100)
        assert len(self.walk(loaded, parse_query("zebra"), 100)) == 7

    def test_filters_by_author_and_collection(self, loaded):
        query = parse_query("food")
        author = next(iter(loaded.scan(CALLOUTS))).author
        got = self.walk(loaded, query, 3, author=author, collections=(CALLOUTS,))
        assert got == self.expected(loaded, query, lambda p: p.author == author and p.collection == CALLOUTS)
        assert got

    def test_filters_by_language(self, loaded):
        for lang in ("pl", "bn", "en"):
            query = parse_query("food")
            got = self.walk(loaded, query, 3, lang=lang)
            assert got == self.expected(loaded, query, lambda p, lang=lang: p.doc.get("lang") == lang)
            assert bool(got) == (lang != "en")
        hiding = HidingView(loaded, frozenset())
        assert [p.key for p in hiding.search(parse_query("food"), lang="pl", limit=500)] == self.walk(
            loaded, parse_query("food"), 500, lang="pl"
        )

    def test_hidden_authors_are_left_out_in_sql(self, loaded):
        query = parse_query("food")
        author = next(iter(loaded.scan(CALLOUTS))).author
        hiding = HidingView(loaded, frozenset({author}))
        page = hiding.search(query, limit=5)
        assert len(page) == 5 and all(p.author != author for p in page)  # a full page, not a filtered one
        assert self.walk(hiding, query, 5) == self.expected(loaded, query, lambda p: p.author != author)

    def test_a_bulk_projection_and_a_rebuild_find_the_same(self, tmp_path: Path):
        store = self.open_store(tmp_path)
        try:
            views = store.view_store()
            store.ingest(network(), Mode.FULL)
            Projector(store, views, project, bulk_min=10).catch_up()
            want = {text: self.expected(views, parse_query(text)) for text in self.QUERIES}
            assert {text: self.walk(views, parse_query(text), 50) for text in self.QUERIES} == want
            Projector(store, views, project).rebuild()
            assert {text: self.walk(views, parse_query(text), 50) for text in self.QUERIES} == want
        finally:
            store.close()
