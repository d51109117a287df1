"""Correcting and withdrawing from the page (issue 17, point 2): in a real browser, the author updates and cancels an
assembly, withdraws a proposal, updates a report and withdraws a decision; another group's node shows the same after
sync, without the author's actions."""

from __future__ import annotations

import pytest

from events.readmodel.projection import DECISIONS
from node import queries
from tests.node.federation.cluster import Cluster

from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium
from .test_browser import log_in
from .test_browser_federation import WebNode

pytestmark = pytest.mark.browser
DAY = 86_400_000


async def _confirm(page, summary: str, reason: str, button: str) -> None:
    """Open the confirmation under `summary`, give a reason and confirm; wait for the item's page to come back."""
    before = page.url
    await page.get_by_text(summary).click()
    await page.get_by_label("Reason (optional, shown to everyone)").fill(reason)
    await page.get_by_role("button", name=button).click()
    await page.wait_for_url(before)


async def test_an_author_corrects_and_withdraws_and_another_node_shows_it(tmp_path):
    cluster = Cluster(tmp_path, interval=0.3)
    a = WebNode(tmp_path / "a", "Leith Tenants", 0, cluster.config)
    b = WebNode(tmp_path / "b", "Portobello Food Bank", 1, cluster.config)
    cluster.nodes += [a, b]
    cluster.link(0, 1)
    await cluster.start()
    try:
        now = a.service.now()
        assembly = await a.service.publish(
            "assembly.scheduled", {"title": "Spring general assembly", "starts_at": now + 7 * DAY, "where": "Leith Hall"}
        )
        proposal = await a.service.publish(
            "proposal.tabled",
            {"title": "Rent strike in May", "text": "We stop paying.", "process": "consent", "assembly": assembly.id.hex()},
        )
        report = await a.service.publish(
            "report.published", {"title": "Door knocking on Easter Road", "text": "Forty doors.", "lessons": "Go in pairs"}
        )
        decision = await a.service.publish(
            "decision.recorded", {"text": "We join the city-wide strike.", "proposal": proposal.id.hex(), "outcome": "adopted"}
        )
        paths = {
            "assembly": f"/assemblies/{assembly.id.hex()}",
            "proposal": f"/proposals/{proposal.id.hex()}",
            "report": f"/reports/{report.id.hex()}",
            "decision": f"/decisions/{decision.id.hex()}",
        }
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        async with chromium() as browser:
            page = await browser.new_page(viewport=DESKTOP)
            await log_in(page, a.url, a.token)

            # the assembly: Update starts from the current values; then cancelled after a confirmation
            await page.goto(a.url + paths["assembly"])
            await page.get_by_role("link", name="Update").click()
            assert await page.get_by_label("Title").input_value() == "Spring general assembly"
            assert await page.get_by_label("Where").input_value() == "Leith Hall"
            await page.get_by_label("Where").fill("Leith Community Centre")
            await page.get_by_role("button", name="Publish").click()
            await page.wait_for_url(a.url + paths["assembly"])
            assert "Leith Community Centre" in await page.locator("article.assembly-page").inner_text()
            await _confirm(page, "Cancel this assembly…", "The hall is flooded", "Yes, cancel it")
            ended = page.get_by_role("status")
            assert "Cancelled" in await ended.inner_text() and "The hall is flooded" in await ended.inner_text()
            assert await page.get_by_role("link", name="Update").count() == 0  # over: only Redact is left
            assert await page.get_by_role("link", name="Table a proposal for it").count() == 0
            for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                await page.set_viewport_size(viewport)
                await page.screenshot(path=str(SCREENSHOTS / f"assembly-cancelled-{name}.png"), full_page=True)
            await page.set_viewport_size(DESKTOP)

            # the proposal: withdrawn; it takes no more positions and has no outcome
            await page.goto(a.url + paths["proposal"])
            await _confirm(page, "Withdraw this proposal…", "The landlord gave in", "Yes, withdraw it")
            article = await page.locator("article.proposal-page").inner_text()
            assert "Withdrawn" in article and "The landlord gave in" in article
            assert await page.get_by_role("button", name="Record our position").count() == 0
            assert await page.locator("#outcome").count() == 0
            await page.screenshot(path=str(SCREENSHOTS / "proposal-withdrawn-desktop.png"), full_page=True)

            # the report: updated from its current values (the lessons come back one per line)
            await page.goto(a.url + paths["report"])
            await page.get_by_role("link", name="Update").click()
            assert await page.get_by_label("Lessons learned").input_value() == "Go in pairs"
            await page.get_by_label("Title").fill("Door knocking on Easter Road and Albert Street")
            await page.get_by_label("Lessons learned").fill("Go in pairs\nBring leaflets in three languages")
            await page.get_by_role("button", name="Publish").click()
            await page.wait_for_url(a.url + paths["report"])
            assert await page.get_by_role("heading", name="Door knocking on Easter Road and Albert Street").count() == 1
            assert "Bring leaflets in three languages" in await page.locator("ul.lessons").inner_text()
            await page.screenshot(path=str(SCREENSHOTS / "report-updated-desktop.png"), full_page=True)

            # the decision: withdrawn; its page says so and its proposal no longer lists it
            await page.goto(a.url + paths["decision"])
            await _confirm(page, "Withdraw this decision…", "Recorded by mistake", "Yes, withdraw it")
            assert "Withdrawn" in await page.get_by_role("status").inner_text()
            await page.screenshot(path=str(SCREENSHOTS / "decision-withdrawn-desktop.png"), full_page=True)
            await page.goto(a.url + paths["proposal"])
            assert "No decision recorded yet." in await page.locator("section[aria-labelledby=decisions-h]").inner_text()
            assert (await a.service.query(queries.list_docs, DECISIONS)).items == []
            feed = await (await page.request.get(f"{a.url}/feeds/decisions.atom")).text()
            assert "<feed" in feed and "city-wide strike" not in feed  # it left the feed
            await page.goto(f"{a.url}/search?q=strike")
            results = await page.locator("main").inner_text()
            assert "Rent strike in May" in results and "city-wide strike" not in results  # and search

            # B's node, at phone width: the same after sync, and none of A's actions
            other = await browser.new_page(viewport=PHONE)
            await log_in(other, b.url, b.token)

            async def b_shows_everything() -> bool:
                await other.goto(b.url + paths["decision"])
                return await other.get_by_role("status").count() == 1

            await cluster.wait_until(b_shows_everything, 30, "B's node shows the withdrawn decision")
            await other.screenshot(path=str(SCREENSHOTS / "decision-withdrawn-other-node-phone.png"), full_page=True)
            await other.goto(b.url + paths["assembly"])
            text = await other.locator("main").inner_text()
            assert "Leith Community Centre" in text and "Cancelled" in text and "The hall is flooded" in text
            assert await other.get_by_role("link", name="Update").count() == 0
            assert await other.get_by_text("Cancel this assembly…").count() == 0
            await other.screenshot(path=str(SCREENSHOTS / "assembly-cancelled-other-node-phone.png"), full_page=True)
            await other.goto(b.url + paths["proposal"])
            assert "Withdrawn" in await other.locator("article.proposal-page").inner_text()
            assert await other.get_by_role("button", name="Record our position").count() == 0
            await other.goto(b.url + paths["report"])
            assert await other.get_by_role("heading", name="Door knocking on Easter Road and Albert Street").count() == 1
            await other.screenshot(path=str(SCREENSHOTS / "report-updated-other-node-phone.png"), full_page=True)
            await other.goto(f"{b.url}/assemblies")
            assert "cancelled" in await other.locator("main").inner_text()
            assert await a.service.digest() == await b.service.digest()  # the same read models on both nodes
        a.check()
        b.check()
    finally:
        await cluster.stop()
