"""The invitation button and the first-run page in a real browser: a new node behind NAT joins with one code.

The hub's admin makes an invitation on the node page; the new node's set-up page takes the code; afterwards the
hub knows the new node as a chosen subscriber, the new node follows the hub and gets its callouts by push
(anti-entropy every 10 minutes here).
"""

from __future__ import annotations

import time

import pytest

from node.members import ACCOUNTS
from protocol.subscription import subscriber_address
from tests.node.federation.cluster import Cluster

from .browser import DESKTOP, chromium
from .test_browser import log_in
from .test_browser_federation import WebNode

pytestmark = pytest.mark.browser
CALLOUT = {"title": "Bodies at the door, 7am", "text": "We need people.", "needs": ["people"]}


async def test_an_admin_invites_and_a_new_node_joins_on_its_set_up_page(tmp_path):
    cluster = Cluster(tmp_path, interval=600.0)
    hub = WebNode(tmp_path / "hub", "Leith Tenants", 0, cluster.config)
    home = WebNode(tmp_path / "home", "placeholder", 1, cluster.config)
    cluster.nodes += [hub, home]
    await cluster.start()
    try:
        async with chromium() as browser:
            admin = await browser.new_page(viewport=DESKTOP)
            await log_in(admin, hub.url, hub.token)
            await admin.goto(f"{hub.url}/node")
            await admin.get_by_label("How many nodes may use it").fill("1")
            await admin.get_by_role("button", name="Invite a group's node").click()
            code = (await admin.locator("#invitation-code").inner_text()).strip()
            assert code.startswith("snj1-")

            setup = home.app[ACCOUNTS].setup_link()  # type: ignore[index]
            newcomer = await browser.new_page(viewport=DESKTOP)
            await newcomer.goto(f"{home.url}/setup/{setup}")
            await newcomer.get_by_label("Group name").fill("Portobello Food Bank")
            await newcomer.get_by_label("Invitation code from another group's node").fill(code)
            await newcomer.get_by_label("Your name").fill("Ada")
            await newcomer.locator("#f-password").fill("first admin password")
            await newcomer.get_by_label("Password again").fill("first admin password")
            await newcomer.get_by_role("button", name="Set up the node").click()
            await newcomer.wait_for_url(f"{home.url}/members")

            home_group = home.data.load_identity().public_key
            assert hub.federation.book.is_chosen(subscriber_address(home_group))
            assert home.data.settings().subscribe == (hub.url,)
            await cluster.wait_until(
                lambda: subscriber_address(home_group) in hub.federation.subscriptions.served, 10, "subscribed"
            )
            await cluster.wait_until(lambda: home.federation.agent.policy.chosen_author(hub_group(hub)), 5, "following")
            await cluster.wait_quiet([hub, home], 10)
            started = time.monotonic()
            event = await hub.publish("callout.published", CALLOUT)
            await cluster.wait_until(lambda: cluster.has_event(home, event.id), 5, "the hub's callout at home")
            assert time.monotonic() - started < 1.0

            # The link's page tells whoever opens it how to use the code.
            await newcomer.goto(f"{hub.url}/join/{code}")
            assert "solnet init" in await newcomer.locator("pre").inner_text()
    finally:
        await cluster.stop()
    for node in cluster.nodes:
        node.check()


def hub_group(hub: WebNode) -> bytes:
    return hub.data.load_identity().public_key
