"""Upcoming and past (issue 17, point 4): ended callouts leave the open feed for its Past tab, assemblies split into
upcoming and past, undated callouts show their age; in a real browser at desktop and phone widths."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from node.web.local_time import age_text

from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium, serving

DAY = 86_400_000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


async def publish_times(node) -> None:
    now = int(time.time() * 1000)
    svc = node.service

    async def callout(title: str, urgency: str, **times: int) -> None:
        fields = {"title": title, "text": "x", "needs": "people", "urgency": urgency}
        await svc.publish("callout.published", {**fields, **{k: iso(v) for k, v in times.items()}})

    await callout("Ended last month", "critical", starts_at=now - 32 * DAY, ends_at=now - 31 * DAY)
    await callout("Started yesterday, no end", "critical", starts_at=now - DAY)
    await callout("Runs until next week", "high", starts_at=now - DAY, ends_at=now + 7 * DAY)
    await callout("Tomorrow morning", "normal", starts_at=now + DAY)
    await callout("Bail fund, any time", "low")
    await svc.publish("assembly.scheduled", {"title": "Assembly last spring", "starts_at": iso(now - 200 * DAY)})
    await svc.publish("assembly.scheduled", {"title": "Assembly next month", "starts_at": iso(now + 30 * DAY)})


def test_age_in_words():
    now = 10**12
    assert age_text(now - 21 * DAY, now) == "3 weeks ago"
    assert age_text(now - DAY, now) == "1 day ago"
    assert age_text(now - 90_000, now) == "1 minute ago"
    assert age_text(now + 5000, now) == "just now"
    assert age_text(now - 400 * DAY, now) == "1 year ago"
    assert age_text(None, now) == ""


async def test_feed_and_assemblies_pages_split_upcoming_and_past(node, client):
    await publish_times(node)
    feed = await (await client.get("/")).text()  # every open callout; the ended ones marked Over
    for title in ("Runs until next week", "Tomorrow morning", "Bail fund, any time", "Ended last month"):
        assert title in feed
    assert "Over</span>" in feed
    live = await (await client.get("/?when=upcoming")).text()
    for title in ("Runs until next week", "Tomorrow morning", "Bail fund, any time"):
        assert title in live
    for title in ("Ended last month", "Started yesterday, no end"):
        assert title not in live
    assert "posted <time" in live and "just now" in live
    assert (await client.get("/?when=upcoming&need=people")).status == 200
    past = await (await client.get("/?when=past")).text()
    assert "Ended last month" in past and "Started yesterday, no end" in past and "Over" in past
    assert "Tomorrow morning" not in past and "Bail fund, any time" not in past
    assert (await client.get("/?when=past&need=people")).status == 200
    assert (await client.get("/?need=skills")).status == 200  # the read benchmark's URLs keep working
    upcoming = await (await client.get("/assemblies")).text()
    assert "Assembly next month" in upcoming and "Assembly last spring" not in upcoming
    before = await (await client.get("/assemblies?when=past")).text()
    assert "Assembly last spring" in before and "Assembly next month" not in before


@pytest.mark.browser
@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
async def test_past_tabs_in_a_browser(node, width, viewport):
    await publish_times(node)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=viewport)
        await page.goto(base + "/")
        await page.get_by_role("navigation", name="Callouts").get_by_role("link", name="Not over").click()
        await page.wait_for_url(base + "/?when=upcoming")
        cards = page.locator("article.callout h2")
        titles = await cards.all_inner_texts()
        assert titles[0] == "Runs until next week"  # the month-old critical callout does not rank first here
        assert "Ended last month" not in titles and "Bail fund, any time" in titles
        undated = page.locator("article.callout", has_text="Bail fund, any time")
        assert "posted just now" in " ".join((await undated.inner_text()).split())
        await page.screenshot(path=str(SCREENSHOTS / f"feed-open-{width}.png"), full_page=True)

        tabs = page.get_by_role("navigation", name="Callouts")
        await tabs.get_by_role("link", name="Past").click()
        await page.wait_for_url(base + "/?when=past")
        assert await page.get_by_role("heading", level=1).inner_text() == "Past callouts across the network"
        titles = await page.locator("article.callout h2").all_inner_texts()
        assert set(titles) == {"Ended last month", "Started yesterday, no end"}
        await page.get_by_text("Filter callouts").click()  # the filters are folded away until asked for
        await page.get_by_label("Need").select_option("people")
        await page.get_by_role("button", name="Filter", exact=True).click()
        await page.wait_for_url(lambda url: "when=past" in url and "need=people" in url)
        assert len(await page.locator("article.callout h2").all_inner_texts()) == 2
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        await page.screenshot(path=str(SCREENSHOTS / f"feed-past-{width}.png"), full_page=True)

        await page.goto(base + "/assemblies")
        assert await page.locator("section.assembly h2").all_inner_texts() == ["Assembly next month"]
        await page.get_by_role("navigation", name="Assemblies").get_by_role("link", name="Past").click()
        await page.wait_for_url(base + "/assemblies?when=past")
        assert await page.locator("section.assembly h2").all_inner_texts() == ["Assembly last spring"]
        await page.screenshot(path=str(SCREENSHOTS / f"assemblies-past-{width}.png"), full_page=True)
