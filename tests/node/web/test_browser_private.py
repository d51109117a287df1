"""A private callout in a real browser, three real nodes in a line A-B-C: A's organiser publishes it to C from the
page; C's member sees it marked private to A and C and pledges; B's member and C's visitors see nothing of it; A
reads the pledge."""

from __future__ import annotations

import pytest

from node.private_events import private_callout
from tests.node.federation.cluster import Cluster

from .browser import DESKTOP, chromium
from .test_browser import log_in

pytestmark = pytest.mark.browser
CALLOUT = {
    "title": "Bailiffs at Elm Street",
    "text": "Door blockade at 6am; tell no one else.",
    "needs": ["people"],
    "urgency": "critical",
}


async def test_member_of_c_sees_the_private_callout_marked_and_pledges(tmp_path):
    cluster = Cluster(tmp_path, interval=0.3)
    a, b, c = (cluster.add(name) for name in ("Leith Tenants", "Relay Collective", "Portobello Renters"))
    for node in (a, b, c):
        node.web = True
    cluster.link(0, 1)
    cluster.link(1, 2)
    await cluster.start()
    try:
        for node in (a, b, c):
            await node.service.ensure_encryption_key()
        await cluster.wait_quiet()
        async with chromium() as browser:
            page_a = await browser.new_page(viewport=DESKTOP)
            await log_in(page_a, a.url, a.token)
            await page_a.goto(f"{a.url}/private")
            await page_a.get_by_label("Title").fill(CALLOUT["title"])
            await page_a.get_by_label("Text").fill(CALLOUT["text"])
            await page_a.get_by_label("people").check()
            await page_a.get_by_label("Urgency").select_option("critical")
            await page_a.get_by_label("Other groups").fill(c.service.group_id)
            await page_a.get_by_role("button", name="Publish privately").click()
            await page_a.wait_for_url(f"{a.url}/private/*")
            event_id = bytes.fromhex(page_a.url.rsplit("/", 1)[1])
            assert await page_a.locator("[data-private-to]").count() == 1
            event = await a.service.event(event_id)
            assert event.kind == "sealed"
            await cluster.wait_until(lambda: cluster.has_event(c, event.id), what="the sealed callout at C")
            await c.service.refresh()

            visitor = await browser.new_page(viewport=DESKTOP)
            await visitor.goto(f"{c.url}/private/{event.id.hex()}")
            assert "/login" in visitor.url and "Elm Street" not in await visitor.content()

            page_c = await browser.new_page(viewport=DESKTOP)
            await log_in(page_c, c.url, c.token)
            await page_c.goto(f"{c.url}/private")
            item = page_c.locator("ul.private-callouts li", has_text=CALLOUT["title"])
            assert "Private to: Leith Tenants, Portobello Renters" in await item.inner_text() or (
                "Private to: Portobello Renters, Leith Tenants" in await item.inner_text()
            )
            await item.get_by_role("link", name=CALLOUT["title"]).click()
            await page_c.wait_for_url(f"{c.url}/private/{event.id.hex()}")
            assert await page_c.locator("[data-private-to]").count() == 1
            await page_c.get_by_label("Need").select_option("people")
            await page_c.get_by_label("What is offered").fill("Six of us from 5:30")
            await page_c.get_by_role("button", name="Pledge privately").click()
            await page_c.wait_for_url(f"{c.url}/private/{event.id.hex()}")
            assert "Six of us from 5:30" in await page_c.locator("ul.pledges").inner_text()
            await page_c.get_by_label("Comment (private too)").fill("Bring a flask")
            await page_c.get_by_role("button", name="Comment privately").click()
            await page_c.wait_for_url(f"{c.url}/private/{event.id.hex()}")
            assert "Bring a flask" in await page_c.locator("ul.comments").inner_text()

            page_b = await browser.new_page(viewport=DESKTOP)
            await log_in(page_b, b.url, b.token)
            await page_b.goto(f"{b.url}/private")
            assert "None yet." in await page_b.content()
            for path in ("/", "/callouts", "/search?q=Elm", f"/events/{event.id.hex()}"):
                await page_b.goto(b.url + path)
                assert "Elm Street" not in await page_b.content(), path

        async def a_reads_the_pledge() -> bool:
            await a.service.refresh()
            seen = await a.service.private_query(lambda private, public: private_callout(private, event.id))
            return [p.doc["offer"] for p in seen.pledges] == ["Six of us from 5:30"]

        await cluster.wait_until(a_reads_the_pledge, 20, "A reads C's pledge")
        assert await b.service.private_query(lambda private, public: private_callout(private, event.id)) is None
        await cluster.wait_quiet()
        assert len({await n.service.digest() for n in (a, b, c)}) == 1
    finally:
        await cluster.stop()
    for node in cluster.nodes:
        node.check()
