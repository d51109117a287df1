"""A post's language on the web pages (aiohttp test server): attributes and label per reader, the filters, bad tags."""

from __future__ import annotations

import re

from events import Identity

from ..conftest import publish_as
from .conftest import login


async def test_the_label_names_the_language_in_the_readers_language_and_only_when_it_is_not_the_pages(client, node):
    await node.service.publish("report.published", {"title": "Tydzień drugi", "text": "Dużo pracy", "lang": "pl"})
    await publish_as(node.service, Identity.generate(), "report.published", {"title": "أسبوع", "text": "نص", "lang": "ar"})
    await node.service.publish("report.published", {"title": "Untold", "text": "No language"})
    english = await (await client.get("/reports")).text()
    assert '<div class="text" lang="pl" dir="auto">' in english and '<div class="text" lang="ar" dir="auto">' in english
    assert re.search(r'class="badge lang-label" title="pl">Polish<', english)
    assert re.search(r'class="badge lang-label" title="ar">Arabic<', english)
    assert english.count('dir="auto"') >= 4 and english.count("lang-label") == 2  # the untold one has neither
    arabic = await (await client.get("/reports", headers={"Accept-Language": "ar"})).text()
    assert re.search(r'title="pl">البولندية<', arabic)
    assert 'title="ar">' not in arabic  # Arabic on an Arabic page: no label
    polish = await (await client.get("/reports", headers={"Accept-Language": "pl"})).text()
    assert re.search(r'title="ar">Arabski<', polish) and 'title="pl">' not in polish


async def test_reports_and_the_feed_filter_by_language_and_a_bad_tag_is_shown_at_the_filter(client, node):
    await node.service.publish("report.published", {"title": "Tydzień drugi", "text": "Dużo pracy", "lang": "pl"})
    await node.service.publish("report.published", {"title": "Week two", "text": "Busy", "lang": "en"})
    await node.service.publish(
        "callout.published", {"title": "Furgonetka", "text": "Pilne", "needs": ["materials"], "lang": "pl"}
    )
    await node.service.publish("callout.published", {"title": "Van", "text": "Urgent", "needs": ["materials"]})
    page = await (await client.get("/reports?lang=pl")).text()
    assert "Tydzień drugi" in page and "Week two" not in page
    assert '<option value="pl" lang="pl" selected>Polish</option>' in page
    found = await (await client.get("/search?q=drugi&lang=pl")).text()
    assert "Tydzień drugi" in found and '<option value="pl" lang="pl" selected>' in found
    assert "Tydzień drugi" not in await (await client.get("/search?q=drugi&lang=en")).text()
    feed = await (await client.get("/?lang=pl")).text()
    assert "Furgonetka" in feed and ">Van<" not in feed
    for path in ("/reports?lang=PL", "/?lang=PL"):
        resp = await client.get(path)
        assert resp.status == 400, path
        assert "Must be written pl (BCP 47 case)" in await resp.text()
    spanish = await (await client.get("/?lang=PL", headers={"Accept-Language": "es"})).text()
    assert "Escríbelo como pl" in spanish


async def test_the_publish_form_offers_languages_named_for_the_reader_and_starts_in_the_pages(client, node):
    csrf = await login(client, node.token)
    form = await (await client.get("/publish/callout.published", headers={"Accept-Language": "es"})).text()
    assert re.search(r'<select[^>]*name="lang"', form)
    assert '<option value="es" selected>Español</option>' in form and '<option value="pl">Polaco</option>' in form
    update = await (await client.get("/publish/callout.updated", headers={"Accept-Language": "es"})).text()
    assert '<option value="es" selected>' not in update  # a correction does not say a language the post did not
    before = await node.count()
    data = {"csrf": csrf, "title": "Picket", "text": "Come", "needs": ["people"], "urgency": "high", "lang": "PL"}
    resp = await client.post("/publish/callout.published", data=data)
    assert resp.status == 422 and "Must be written pl (BCP 47 case)" in await resp.text()
    assert await node.count() == before
    resp = await client.post("/publish/callout.published", data={**data, "lang": "pl"}, allow_redirects=False)
    assert resp.status in (302, 303) and await node.count() == before + 1
