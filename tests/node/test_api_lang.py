"""The language of a post (`lang`) through the JSON API on a real server: written, refused, listed and filtered."""

from __future__ import annotations

from events import Identity

from .conftest import publish_as
from .test_api import CALLOUT, own_events, publish


async def test_lang_is_published_listed_and_filtered_in_the_database(api):
    polish = await publish(api, "callout.published", {**CALLOUT, "title": "Potrzebni ludzie", "lang": "pl"})
    english = await publish(api, "callout.published", {**CALLOUT, "lang": "en"})
    await publish(api, "callout.published", {**CALLOUT, "title": "Not said"})
    await publish_as(api.service, Identity.generate(), "callout.published", {**CALLOUT, "lang": "pt-BR"})

    body = await (await api.get("/api/v1/callouts?lang=pl")).json()
    assert [c["id"] for c in body["callouts"]] == [polish["id"]] and body["callouts"][0]["lang"] == "pl"
    assert [c["lang"] for c in (await (await api.get("/api/v1/callouts?lang=pt-BR")).json())["callouts"]] == ["pt-BR"]
    every = (await (await api.get("/api/v1/callouts")).json())["callouts"]
    assert len(every) == 4 and sum("lang" not in c for c in every) == 1

    await publish(api, "callout.updated", {"callout": english["id"], "lang": "es"})  # an update changes it
    assert [c["id"] for c in (await (await api.get("/api/v1/callouts?lang=es")).json())["callouts"]] == [english["id"]]
    assert (await (await api.get("/api/v1/callouts?lang=en")).json())["callouts"] == []

    report = await publish(api, "report.published", {"title": "Tydzień drugi", "text": "Dużo pracy", "lang": "pl"})
    await publish(api, "report.published", {"title": "Week two", "text": "Busy", "lang": "en"})
    reports = (await (await api.get("/api/v1/reports?lang=pl")).json())["reports"]
    assert [r["id"] for r in reports] == [report["id"]]
    comment = await publish(api, "comment.posted", {"on": report["id"], "text": "Brawo!", "lang": "pl"})
    comments = (await (await api.get(f"/api/v1/comments?item={report['id']}&lang=pl")).json())["comments"]
    assert [c["id"] for c in comments] == [comment["id"]]


async def test_search_filters_by_language(api):
    polish = await publish(api, "report.published", {"title": "Strajk czynszowy", "text": "strike news", "lang": "pl"})
    await publish(api, "report.published", {"title": "Rent strike", "text": "strike news", "lang": "en"})
    await publish(api, "report.published", {"title": "Strike", "text": "strike news"})
    every = (await (await api.get("/api/v1/search?q=strike")).json())["results"]
    assert len(every) == 3
    found = (await (await api.get("/api/v1/search?q=strike&lang=pl")).json())["results"]
    assert [r["id"] for r in found] == [polish["id"]]
    resp = await api.get("/api/v1/search?q=strike&lang=Pl")
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "lang"


async def test_a_bad_tag_is_a_field_error_and_stores_nothing(api):
    before = await own_events(api)
    for tag, words in (("PL", "must be written pl"), ("pt_br", "must be written pt-BR"), ("polish", "language tag")):
        body = await publish(api, "callout.published", {**CALLOUT, "lang": tag}, status=422)
        assert body["error"]["field"] == "lang" and words in body["error"]["message"], body
    body = await publish(api, "callout.withdrawn", {"callout": "00" * 32, "lang": "pl"}, status=422)
    assert body["error"]["field"] == "lang"  # a closing kind has no language: it is an unknown field there
    assert await own_events(api) == before


async def test_a_bad_lang_filter_is_refused_naming_it(api):
    for query in ("lang=PL", "lang=en_GB", "lang=" + "a" * 36, "lang=pl-x-ours"):
        resp = await api.get(f"/api/v1/callouts?{query}")
        assert resp.status == 400, query
        assert (await resp.json())["error"]["field"] == "lang", query
    resp = await api.get("/api/v1/reports?lang=pl-PL-PL")
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "lang"


async def test_the_openapi_description_documents_the_filter(api):
    spec = await (await api.get("/api/v1/openapi.json")).json()
    for path in ("/api/v1/callouts", "/api/v1/reports", "/api/v1/comments", "/api/v1/search"):
        [lang] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "lang"]
        assert lang["in"] == "query" and lang["schema"]["maxLength"] == 35 and "canonical case" in lang["description"]
