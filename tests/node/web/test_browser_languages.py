"""Every page in each shipped language at phone width, in a real browser (Debian's Chromium via Playwright) against
a real node; Arabic is laid out right to left. Screenshots: test-results/screenshots/lang-<code>-<page>.png."""

from __future__ import annotations

import pytest

from node.i18n import LANGUAGES, translations

from .browser import PHONE, SCREENSHOTS, chromium, serving
from .test_browser import log_in
from .test_pages import publish_world

pytestmark = pytest.mark.browser


async def _pages(node) -> dict[str, str]:
    world = await publish_world(node)
    soon, campaign = world["soon"].id.hex(), world["campaign"].id.hex()
    report = (await node.service.publish("report.published", {"title": "Week two", "text": "Busy"})).id.hex()
    july = {"title": "July", "starts_at": "2031-07-10T18:00+00:00"}
    assembly = (await node.service.publish("assembly.scheduled", july)).id.hex()
    proposal = (await node.service.publish("proposal.tabled", {"title": "March", "text": "Go", "assembly": assembly})).id.hex()
    decided = {"text": "We march", "proposal": proposal, "outcome": "adopted"}
    decision = (await node.service.publish("decision.recorded", decided)).id.hex()
    august = {"title": "August", "starts_at": "2031-08-10T18:00+00:00"}
    cancelled = (await node.service.publish("assembly.scheduled", august)).id.hex()
    await node.service.publish("assembly.cancelled", {"assembly": cancelled, "reason": "The hall is closed"})
    group = node.service.group_id
    return {
        "feed": "/",
        "callout": f"/callouts/{soon}",
        "campaigns": "/campaigns",
        "campaign": f"/campaigns/{campaign}",
        "reports": "/reports",
        "report": f"/reports/{report}",
        "groups": "/groups",
        "group": f"/groups/{group}",
        "assemblies": "/assemblies",
        "assembly": f"/assemblies/{assembly}",
        "proposal": f"/proposals/{proposal}",
        "decision": f"/decisions/{decision}",
        "assembly-cancelled": f"/assemblies/{cancelled}",
        "private": "/private",
        "event": f"/events/{soon}",
        "search": "/search?q=picket",
        "node": "/node",
        "not-found": f"/callouts/{'0' * 64}",
        "publish-index": "/publish",
        "publish": "/publish/callout.published",
        "redact": f"/redact/{soon}",
        "activity": "/activity",
        "account": "/account",
        "notifications": "/account/notifications",
        "members": "/members",
        "settings": "/settings",
        "key": "/key",
    }


async def test_every_page_in_every_language_at_phone_width_arabic_right_to_left(node):
    pages = await _pages(node)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with serving(node.service) as base, chromium() as browser:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        login_page = await browser.new_page(viewport=PHONE)
        await login_page.goto(f"{base}/login")
        assert await login_page.get_attribute("html", "lang") == "en"
        await login_page.close()
        await log_in(page, base, node.token)
        for lang in LANGUAGES:
            await page.goto(f"{base}/groups")
            await page.locator(f'nav.language-switch a[hreflang="{lang.code}"]').click()  # the switch on every page
            await page.wait_for_url(f"{base}/groups")
            for name, path in pages.items():
                response = await page.goto(base + path)
                assert response.status in (200, 404), (lang.code, name, response.status)
                assert await page.get_attribute("html", "lang") == lang.code, (lang.code, name)
                direction = await page.evaluate("getComputedStyle(document.querySelector('main')).direction")
                assert direction == lang.dir, (lang.code, name, direction)
                wide = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert wide <= 1, f"{lang.code} {name}: {wide}px wider than the phone"
                if name == "assembly-cancelled":  # main's notices are in the page's language too
                    notice = await page.locator("p.ended .badge").inner_text()
                    assert notice == translations(lang.code).gettext("Cancelled"), (lang.code, notice)
                current = page.locator("nav.language-switch a[aria-current='true']")
                assert await current.get_attribute("hreflang") == lang.code
                await page.screenshot(path=str(SCREENSHOTS / f"lang-{lang.code}-{name}.png"), full_page=True)
        await context.close()
    for lang in LANGUAGES:
        for name in pages:
            assert (SCREENSHOTS / f"lang-{lang.code}-{name}.png").stat().st_size > 5000
