"""Times in a real browser (issue 17, point 1): entered and shown in the node's zone, the same in every locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from events.readmodel.projection import ASSEMBLIES
from node import queries

from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium, serving
from .test_browser import log_in

pytestmark = pytest.mark.browser


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("width", "viewport", "locale", "timezone"),
    [("desktop", DESKTOP, "en-US", "America/Los_Angeles"), ("phone", PHONE, "de-DE", "Asia/Tokyo")],
)
async def test_assemblies_are_entered_and_shown_in_the_nodes_zone(node, width, viewport, locale, timezone):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with serving(node.service) as base, chromium() as browser:
        # the browser's own locale and zone differ from the node's (Europe/London): neither may leak into the times
        context = await browser.new_context(viewport=viewport, locale=locale, timezone_id=timezone)
        page = await context.new_page()
        await log_in(page, base, node.token)
        for title, typed, stored, shown in (
            ("Summer assembly", "2031-07-01T19:00", ms(2031, 7, 1, 18, 0), "Tue 1 Jul 2031, 19:00 BST (UTC+01:00)"),
            ("Winter assembly", "2031-12-02T19:00", ms(2031, 12, 2, 19, 0), "Tue 2 Dec 2031, 19:00 GMT (UTC+00:00)"),
        ):
            await page.goto(f"{base}/publish/assembly.scheduled")
            assert "Europe/London" in await page.locator("#f-starts_at-help").inner_text()
            await page.get_by_label("Title").fill(title)
            await page.get_by_label("Starts").fill(typed)
            await page.get_by_role("button", name="Publish").click()
            await page.wait_for_url(re.compile(r".*/assemblies$"))
            card = page.locator("section.assembly", has_text=title)
            assert shown in await card.inner_text()
            docs = (await node.service.query(queries.list_docs, ASSEMBLIES)).items
            assert [d["starts_at"] for d in docs if d["title"] == title] == [stored]
        await page.screenshot(path=str(SCREENSHOTS / f"times-assemblies-{width}.png"), full_page=True)

        # a time the clocks skip is refused next to the field, keeping what was typed, and stores nothing
        before = await node.count()
        await page.goto(f"{base}/publish/assembly.scheduled")
        await page.get_by_label("Title").fill("Dawn assembly")
        await page.get_by_label("Starts").fill("2031-03-30T01:30")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Publish").click()
        assert (await posted.value).status == 422
        starts = page.locator(".field.has-error", has=page.locator("#f-starts_at"))
        assert "does not exist in Europe/London" in await starts.locator(".error").inner_text()
        assert await page.get_by_label("Starts").input_value() == "2031-03-30T01:30"
        assert await node.count() == before
        await page.screenshot(path=str(SCREENSHOTS / f"times-gap-error-{width}.png"), full_page=True)
        await context.close()
