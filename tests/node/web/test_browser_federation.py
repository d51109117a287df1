"""Two real federating nodes in a real browser: B sees A's callout after gossip, pledges from B, A sees the pledge."""

from __future__ import annotations

import pytest
from aiohttp import web

from events.readmodel.projection import PLEDGES
from node import queries
from node.app import create_app
from node.federation import FederationConfig, federation_setup
from node.own_head import OwnHead
from node.service import NodeService
from node.store import open_store
from node.web import setup_web
from tests.node.federation.cluster import Cluster, Node

from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium
from .test_browser import log_in

pytestmark = pytest.mark.browser


class WebNode(Node):
    """A cluster node that also serves the web page."""

    async def start(self) -> None:
        data = self.data
        self.service = NodeService(
            store=open_store(data.path),
            identity=data.load_identity(),
            settings=data.settings(),
            data_dir=data,
            own_head=OwnHead(only_copy=True),
        )
        config = FederationConfig(own_url=self.url, peers=tuple(self.peers), seed=self.index, **self.config)
        self.app = create_app(self.service, extras=[federation_setup(config), setup_web])
        await self.service.publish("group.profile", {"name": self.name})
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()


async def test_callout_gossips_to_b_pledge_from_b_reaches_a(tmp_path):
    cluster = Cluster(tmp_path, interval=0.3)
    a = WebNode(tmp_path / "a", "Leith Tenants", 0, cluster.config)
    b = WebNode(tmp_path / "b", "Portobello Food Bank", 1, cluster.config)
    cluster.nodes += [a, b]
    cluster.link(0, 1)
    await cluster.start()
    try:
        async with chromium() as browser:
            page_a = await browser.new_page(viewport=DESKTOP)
            await log_in(page_a, a.url, a.token)
            await page_a.goto(f"{a.url}/publish/callout.published")
            await page_a.get_by_label("Title").fill("Stewards for Saturday's march")
            await page_a.get_by_label("Text").fill("We need people to steward the route.")
            await page_a.get_by_label("People").check()
            await page_a.get_by_label("Urgency").select_option("high")
            await page_a.get_by_role("button", name="Publish").click()
            await page_a.wait_for_url(f"{a.url}/callouts/*")
            callout_path = page_a.url[len(a.url) :]

            page_b = await browser.new_page(viewport=PHONE)

            async def b_feed_shows_it() -> bool:
                await page_b.goto(f"{b.url}/")
                return await page_b.get_by_role("link", name="Stewards for Saturday's march").count() == 1

            await cluster.wait_until(b_feed_shows_it, 20, "B's feed shows A's callout")
            card = page_b.locator("article.callout", has_text="Stewards for Saturday's march")
            assert "Leith Tenants" in await card.inner_text()

            await log_in(page_b, b.url, b.token)
            await page_b.goto(b.url + callout_path)
            await page_b.get_by_label("Need").select_option("people")
            await page_b.get_by_label("Offer").fill("Four volunteers with hi-vis vests")
            await page_b.get_by_label("How many").fill("4")
            await page_b.get_by_role("button", name="Pledge").click()
            await page_b.wait_for_url(f"{b.url}{callout_path}#pledges")

            async def a_shows_the_pledge() -> bool:
                await page_a.goto(a.url + callout_path)
                return "Four volunteers with hi-vis vests" in await page_a.locator("#pledges-section").inner_text()

            await cluster.wait_until(a_shows_the_pledge, 20, "A's callout page shows B's pledge")
            pledges = page_a.get_by_role("list", name="Pledges")
            assert "Portobello Food Bank" in await pledges.inner_text()
            [pledge] = (await a.service.query(queries.list_docs, PLEDGES)).items
            assert pledge["author"] == b.service.group_id and pledge["quantity"] == 4

            await page_a.goto(f"{a.url}/node")
            peers = await page_a.locator("#h-peers ~ *").all_inner_texts()
            assert any("Portobello Food Bank" in text and "Working" in text for text in peers)  # peers by name
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page_a.screenshot(path=str(SCREENSHOTS / "node-federated-desktop.png"), full_page=True)
            await page_a.goto(a.url + callout_path)
            await page_a.screenshot(path=str(SCREENSHOTS / "callout-pledged-desktop.png"), full_page=True)
        a.check()
        b.check()
    finally:
        await cluster.stop()
