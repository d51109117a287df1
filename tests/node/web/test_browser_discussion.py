"""Three real federating nodes in a real browser: a consensus proposal from A asking B and C, a thread on it (B
comments, C replies to B), B agrees and C blocks; every node shows the same thread and tally, and after the
closing time the same outcome, which A records as the decision, pre-filled."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from node.app import create_app
from node.datadir import DEFAULT_TIME_ZONE
from node.federation import FederationConfig, federation_setup
from node.own_head import OwnHead
from node.service import NodeService, now_ms
from node.store import open_store
from node.web import setup_web
from tests.node.federation.cluster import Cluster

from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium
from .test_browser import log_in
from .test_browser_federation import WebNode

pytestmark = pytest.mark.browser
HOUR = 3600 * 1000


class Clock:
    """The nodes' shared clock: real time plus an offset the test moves forward (time passing, without waiting)."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return now_ms() + self.offset


class ClockedWebNode(WebNode):
    """A web node whose service reads `clock` (its events' timestamps and the pages' "now")."""

    clock: Clock

    async def start(self) -> None:
        data = self.data
        self.service = NodeService(
            store=open_store(data.path),
            identity=data.load_identity(),
            settings=data.settings(),
            data_dir=data,
            clock=self.clock,
            own_head=OwnHead(only_copy=True),
        )
        config = FederationConfig(own_url=self.url, peers=tuple(self.peers), seed=self.index, **self.config)
        self.app = create_app(self.service, extras=[federation_setup(config), setup_web])
        await self.service.publish("group.profile", {"name": self.name})
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()


def local_input(ms: int) -> str:
    """Return a datetime-local value (with seconds) in the nodes' time zone."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(DEFAULT_TIME_ZONE)).strftime("%Y-%m-%dT%H:%M:%S")


async def test_consensus_proposal_thread_tally_and_outcome_across_three_nodes(tmp_path):
    clock = Clock()
    cluster = Cluster(tmp_path, interval=0.3)
    names = ("Leith Tenants", "Portobello Food Bank", "Granton Library Occupation")
    a, b, c = (
        ClockedWebNode(tmp_path / x, name, i, cluster.config) for i, (x, name) in enumerate(zip("abc", names, strict=True))
    )
    for node in (a, b, c):
        node.clock = clock
    cluster.nodes += [a, b, c]
    cluster.link(0, 1)
    cluster.link(1, 2)
    cluster.link(0, 2)
    await cluster.start()
    nodes = (a, b, c)
    try:
        async with chromium() as browser:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            pa, pb, pc = [await browser.new_page(viewport=v) for v in (DESKTOP, PHONE, DESKTOP)]
            for page, node in zip((pa, pb, pc), nodes, strict=True):
                await log_in(page, node.url, node.token)

            # A tables a consensus proposal asking B and C, closing in an hour.
            closes = clock() + HOUR

            async def a_knows_b_and_c() -> bool:
                await pa.goto(f"{a.url}/publish/proposal.tabled")
                return [await pa.get_by_label(name).count() for name in names[1:]] == [1, 1]

            await cluster.wait_until(a_knows_b_and_c, 30, "A's proposal form offers B and C")
            await pa.get_by_label("Title").fill("Join the rent strike")
            await pa.get_by_label("Text").fill("We join the city-wide rent strike from March.")
            await pa.get_by_label("Process").select_option("consensus")
            await pa.get_by_label(names[1]).check()
            await pa.get_by_label(names[2]).check()
            await pa.get_by_label("Closes").fill(local_input(closes))
            await pa.get_by_role("button", name="Publish").click()
            await pa.wait_for_url(f"{a.url}/proposals/*")
            path = pa.url[len(a.url) :]
            assert "Not yet answered" in await pa.content()
            waiting = await pa.get_by_role("list", name="Not yet answered").inner_text()
            assert names[1] in waiting and names[2] in waiting

            async def shows(page, node, text: str) -> bool:
                await page.goto(node.url + path)
                return text in await page.locator("main").inner_text()

            # B comments and agrees.
            await cluster.wait_until(lambda: shows(pb, b, "Join the rent strike"), 30, "B shows A's proposal")
            await pb.get_by_label("Comment", exact=True).fill("Does this include the housing co-op's flats?")
            await pb.get_by_role("button", name="Post comment").click()
            await pb.wait_for_url(f"{b.url}{path}#thread")
            await pb.get_by_label("Agree").check()
            await pb.get_by_role("button", name="Record our position").click()
            await pb.wait_for_url(f"{b.url}{path}")

            # C replies to B's comment and blocks with a reason.
            await cluster.wait_until(lambda: shows(pc, c, "housing co-op's flats"), 30, "C shows B's comment")
            comment = pc.locator("li.comment", has_text="housing co-op's flats")
            await comment.get_by_text("Reply", exact=True).click()
            await comment.get_by_label("Your reply").fill("Only if the co-op's members vote for it.")
            await comment.get_by_role("button", name="Post reply").click()
            await pc.wait_for_url(f"{c.url}{path}#thread")
            await pc.get_by_label("Block").check()
            await pc.get_by_label("Reason").fill("our members have not voted yet")
            await pc.get_by_role("button", name="Record our position").click()
            await pc.wait_for_url(f"{c.url}{path}")

            # Every node shows the same thread and tally.
            pages = (pa, pb, pc)

            async def same_everywhere() -> bool:
                seen = []
                for page, node in zip(pages, nodes, strict=True):
                    await page.goto(node.url + path)
                    thread = await page.get_by_role("list", name="Comments").all_inner_texts()
                    tally = await page.get_by_role("list", name="Tally").inner_text()
                    seen.append((thread, tally))
                thread, tally = seen[0]
                return (
                    all(s == seen[0] for s in seen)
                    and "Agree: 1" in tally
                    and "Block: 1" in tally
                    and "in reply to Portobello Food Bank" in thread[0]
                )

            await cluster.wait_until(same_everywhere, 30, "the same thread and tally on every node")
            for path_checked in (path, "/publish/proposal.tabled"):  # on B's phone: labelled, one h1, no sideways scroll
                await pb.goto(b.url + path_checked)
                if path_checked == path:
                    await pb.locator("details.reply summary").first.click()  # a reply form open, to check it too
                unlabelled = await pb.evaluate(
                    """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""
                )
                assert unlabelled == [] and await pb.locator("h1").count() == 1, (path_checked, unlabelled)
                assert await pb.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, path_checked
            await pb.goto(b.url + path)
            await pb.screenshot(path=str(SCREENSHOTS / "proposal-open-phone.png"), full_page=True)
            newest, oldest = await pa.locator("li.comment").all_inner_texts()  # newest activity first
            assert newest.startswith(names[2]) and "Only if the co-op's members" in newest
            assert oldest.startswith(names[1]) and "in reply to" not in oldest
            assert "Not yet answered" not in await pa.locator("main").inner_text()
            assert "Outcome" not in await pa.locator("main").inner_text()

            # The closing time passes: every node shows the same outcome.
            clock.offset = HOUR + 60_000
            for page, node in zip(pages, nodes, strict=True):
                await page.goto(node.url + path)
                outcome = await page.locator("#outcome").inner_text()
                assert f"Blocked by {names[2]}" in outcome, node.name
                assert await page.get_by_role("button", name="Record our position").count() == 0

            # A records the decision, pre-filled from the outcome.
            await pa.goto(a.url + path)
            form = pa.get_by_role("region", name="Record the decision")
            text = await form.get_by_label("Text").input_value()
            assert f"Blocked by {names[2]}" in text and "our members have not voted yet" in text
            assert await form.get_by_label("Outcome").input_value() == "rejected"
            assert await pb.get_by_role("button", name="Record the decision").count() == 0  # not B's proposal
            await pa.get_by_role("button", name="Record the decision").click()
            await pa.wait_for_url(f"{a.url}{path}")
            decisions = pa.locator("section", has=pa.get_by_role("heading", name="Decisions"))
            assert f"Blocked by {names[2]}" in await decisions.inner_text()
            await cluster.wait_until(lambda: shows(pc, c, "Rejected"), 30, "C shows A's decision")
            await pc.screenshot(path=str(SCREENSHOTS / "proposal-decided-desktop.png"), full_page=True)
        for node in nodes:
            node.check()
    finally:
        await cluster.stop()
