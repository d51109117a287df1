"""A post's language in a real browser (Debian's Chromium via Playwright) at phone width: written from the form on an
English page, shown with lang/dir and a label naming it, and used as the feed's filter."""

from __future__ import annotations

import re

import pytest

from events.readmodel.projection import CALLOUTS
from node import queries

from .browser import PHONE, SCREENSHOTS, chromium, serving
from .test_browser import log_in

pytestmark = pytest.mark.browser


async def test_publish_in_polish_from_an_english_page_see_the_label_and_filter_by_language(node):
    await node.service.publish(
        "callout.published", {"title": "Van needed", "text": "Moving day", "needs": ["materials"], "lang": "en"}
    )
    await node.service.publish("callout.published", {"title": "Unsaid", "text": "No language given", "needs": ["money"]})
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=PHONE)
        await log_in(page, base, node.token)
        assert await page.get_attribute("html", "lang") == "en"
        await page.goto(f"{base}/publish/callout.published")
        language = page.get_by_label("Language of this post")
        assert await language.input_value() == "en"  # a new post starts in the page's language
        await page.get_by_label("Title").fill("Potrzebni ludzie na pikietę")
        await page.get_by_label("Text").fill("Komornik przyjdzie o 7 rano; przynieście termosy.")
        await page.get_by_label("People").check()
        await language.select_option("pl")
        await page.get_by_role("button", name="Publish").click()
        await page.wait_for_url(re.compile(r".*/callouts/[0-9a-f]{64}$"))

        heading = page.get_by_role("heading", level=1)
        assert await heading.inner_text() == "Potrzebni ludzie na pikietę"
        assert await heading.get_attribute("lang") == "pl" and await heading.get_attribute("dir") == "auto"
        assert await page.locator("div.text").get_attribute("lang") == "pl"
        assert await page.locator(".lang-label").inner_text() == "Polish"  # named in the reader's language
        [stored] = (await node.service.query(queries.list_callouts, status="open", lang="pl")).items
        assert stored["title"] == "Potrzebni ludzie na pikietę" and stored["lang"] == "pl"

        await page.goto(f"{base}/")
        english_card = page.locator("article.callout", has_text="Van needed")
        assert await english_card.locator(".lang-label").count() == 0  # English on an English page: no label
        assert await english_card.locator("h2").get_attribute("lang") == "en"
        assert await page.locator("article.callout", has_text="Unsaid").locator("h2").get_attribute("lang") is None
        await page.locator("details.filters-box summary").click()
        await page.locator("select#q-lang").select_option("pl")
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_url(re.compile(r".*[?&]lang=pl(&|$)"))
        cards = page.locator("article.callout")
        assert await cards.count() == 1
        assert await cards.locator("h2").get_attribute("lang") == "pl"
        assert await cards.locator(".lang-label").inner_text() == "Polish"
        assert await page.locator("select#q-lang").input_value() == "pl"  # the filter stays chosen
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "post-lang-feed-filtered.png"), full_page=True)
        assert len((await node.service.query(queries.list_docs, CALLOUTS)).items) == 3
