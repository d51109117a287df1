"""The web page in a real browser (Debian's Chromium via Playwright) against a real node server on loopback."""

from __future__ import annotations

import re

import pytest

from events import Identity
from events.readmodel.projection import CALLOUTS, PLEDGES
from node import queries

from ..conftest import publish_as
from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium, serving
from .test_pages import publish_world

pytestmark = pytest.mark.browser


async def log_in(page, base: str, secret: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Password or API token").fill(secret)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{base}/")
    assert await page.get_by_role("button", name="Log out").is_visible()


async def test_log_in_publish_a_callout_and_see_it_in_the_feed(node):
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        await log_in(page, base, node.token)
        await page.get_by_role("link", name="Publish", exact=True).click()
        await page.get_by_role("link", name="Publish a callout").click()
        await page.get_by_label("Title").fill("Eviction watch on Easter Road")
        await page.get_by_label("Text").fill("Bailiffs are expected at 7am; bring people and flasks.")
        await page.get_by_label("People").check()
        await page.get_by_label("Materials").check()
        await page.get_by_label("Urgency").select_option("critical")
        await page.get_by_label("Where").fill("Easter Road")
        await page.get_by_label("Starts").fill("2031-05-01T07:00")
        await page.get_by_role("button", name="Publish").click()
        await page.wait_for_url(re.compile(r".*/callouts/[0-9a-f]{64}$"))
        assert await page.get_by_role("heading", level=1).inner_text() == "Eviction watch on Easter Road"

        await page.get_by_role("link", name="Feed").click()
        card = page.locator("article.callout", has_text="Eviction watch on Easter Road")
        assert await card.count() == 1
        assert "Critical" in await card.inner_text() and "Easter Road" in await card.inner_text()
        [stored] = (await node.service.query(queries.list_docs, CALLOUTS)).items
        assert stored["needs"] == ["people", "materials"] and stored["urgency"] == "critical"


async def test_bad_form_shows_the_error_next_to_the_field_keeps_values_and_stores_nothing(node):
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        await log_in(page, base, node.token)
        before = await node.count()
        await page.goto(f"{base}/publish/callout.published")
        await page.get_by_label("Title").fill("Picket the landlord")
        await page.get_by_label("Text").fill("Bring banners")
        await page.get_by_label("People").check()
        await page.get_by_label("Starts").fill("2031-05-01T18:00")
        await page.get_by_label("Ends").fill("2031-05-01T17:00")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Publish").click()
        assert (await posted.value).status == 422

        ends = page.locator(".field.has-error", has=page.locator("#f-ends_at"))
        assert await ends.count() == 1
        assert "Before the start" in await ends.locator(".error").inner_text()
        assert await page.locator("#f-ends_at").get_attribute("aria-invalid") == "true"
        assert await page.locator(".field.has-error").count() == 1
        assert await page.get_by_label("Title").input_value() == "Picket the landlord"
        assert await page.get_by_label("Text").input_value() == "Bring banners"
        assert await page.get_by_label("People").is_checked()
        assert await page.get_by_label("Ends").input_value() == "2031-05-01T17:00"
        assert "Nothing was published" in await page.locator(".error-summary").inner_text()
        assert await node.count() == before

        # fixing the field publishes it
        await page.get_by_label("Ends").fill("2031-05-01T20:00")
        await page.get_by_role("button", name="Publish").click()
        await page.wait_for_url(re.compile(r".*/callouts/[0-9a-f]{64}$"))
        assert await node.count() == before + 1


async def test_a_post_without_the_csrf_token_is_refused(node):
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        await log_in(page, base, node.token)
        before = await node.count()
        await page.goto(f"{base}/publish/campaign.created")
        await page.get_by_label("Title").fill("Sneaky campaign")
        await page.evaluate("document.querySelector('main form input[name=csrf]').remove()")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Publish").click()
        assert (await posted.value).status == 403
        assert await page.get_by_role("heading", level=1).inner_text() == "Refused"

        await page.goto(f"{base}/publish/campaign.created")
        await page.get_by_label("Title").fill("Sneaky campaign")
        await page.evaluate("document.querySelector('main form input[name=csrf]').value = 'guessed'")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Publish").click()
        assert (await posted.value).status == 403
        assert await node.count() == before


async def test_logout_works(node):
    async with serving(node.service) as base, chromium() as browser:
        context = await browser.new_context(viewport=DESKTOP)
        page = await context.new_page()
        await log_in(page, base, node.token)
        [cookie] = [c for c in await context.cookies() if c["name"] == "solnet_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        await page.get_by_role("button", name="Log out").click()
        await page.wait_for_url(f"{base}/")
        assert await page.get_by_role("link", name="Log in").is_visible()
        assert await page.get_by_role("link", name="Publish", exact=True).count() == 0
        await page.goto(f"{base}/publish/callout.published")
        assert page.url.startswith(f"{base}/login?next=/publish/callout.published")


async def test_pledge_from_the_callout_page(node):
    fields = {"title": "Van for the food bank", "text": "Saturday run", "needs": "materials", "urgency": "high"}
    callout = await publish_as(node.service, Identity.generate(), "callout.published", fields)  # another group's
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=PHONE)
        await page.goto(f"{base}/callouts/{callout.id.hex()}")
        await page.get_by_role("link", name="Log in", exact=True).last.click()
        await page.get_by_label("Password or API token").fill(node.token)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(f"{base}/callouts/{callout.id.hex()}")
        await page.get_by_label("Need").select_option("materials")
        await page.get_by_label("Offer").fill("Our transit van, 9am to 1pm")
        await page.get_by_label("How many").fill("1")
        await page.get_by_role("button", name="Pledge").click()
        await page.wait_for_url(re.compile(r".*#pledges$"))
        pledges = page.get_by_role("list", name="Pledges")
        assert "Our transit van, 9am to 1pm" in await pledges.inner_text()
        assert "1 pledge from 1 group" in await page.locator(".totals").inner_text()
        [pledge] = (await node.service.query(queries.list_docs, PLEDGES)).items
        assert pledge["callout"] == callout.id.hex()


async def test_keyboard_labels_and_no_outside_requests(node):
    await publish_world(node)
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=PHONE)
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        await log_in(page, base, node.token)
        for path in ("/", "/publish/callout.published", "/assemblies", "/login", "/node", "/groups"):
            await page.goto(base + path)
            unlabelled = await page.evaluate(
                """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""
            )
            assert unlabelled == [], (path, unlabelled)
            assert await page.locator("h1").count() == 1, path
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        await page.goto(base + "/")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
        await page.keyboard.press("Enter")
        assert page.url.endswith("#main")
        assert outside == []


async def test_screenshots_of_the_main_pages(node):
    world = await publish_world(node)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with serving(node.service) as base, chromium() as browser:
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = await browser.new_page(viewport=viewport)
            shots = {
                "feed": "/",
                "callout": f"/callouts/{world['soon'].id.hex()}",
                "campaign": f"/campaigns/{world['campaign'].id.hex()}",
                "groups": "/groups",
                "assemblies": "/assemblies",
                "node": "/node",
                "login": "/login",
            }
            for name, path in shots.items():
                await page.goto(base + path)
                await page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
            await log_in(page, base, node.token)
            await page.goto(f"{base}/publish/callout.published")
            await page.get_by_label("Title").fill("Picket")
            await page.get_by_label("Text").fill("Bring banners")
            await page.get_by_label("People").check()
            await page.get_by_label("Starts").fill("2031-05-01T18:00")
            await page.get_by_label("Ends").fill("2031-05-01T17:00")
            await page.get_by_role("button", name="Publish").click()
            await page.locator(".error-summary").wait_for()
            await page.locator("#f-ends_at").scroll_into_view_if_needed()
            await page.screenshot(path=str(SCREENSHOTS / f"form-error-{width}.png"), full_page=True)
            await page.close()
    for name in ("feed", "callout", "campaign", "groups", "assemblies", "node", "login", "form-error"):
        for width in ("desktop", "phone"):
            assert (SCREENSHOTS / f"{name}-{width}.png").stat().st_size > 5000
