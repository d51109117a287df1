"""Member accounts in a real browser (Debian's Chromium via Playwright) against a real node on loopback (issue 16)."""

from __future__ import annotations

import re
import time

import pytest

from events.readmodel.projection import CALLOUTS
from node import queries
from node.members import Accounts

from .browser import DESKTOP, chromium, serving
from .conftest import make_node

pytestmark = pytest.mark.browser
PASSWORD = "organise the block"


async def _choose_password(page, link: str) -> None:
    await page.goto(link)
    await page.locator("#f-password").fill(PASSWORD)
    await page.get_by_label("New password again").fill(PASSWORD)
    await page.get_by_role("button", name="Save the password and log in").click()


async def _invite(page, base: str, name: str, role: str) -> str:
    await page.goto(f"{base}/members")
    await page.get_by_label("Their name").fill(name)
    await page.get_by_label("Role", exact=True).select_option(role)
    await page.get_by_role("button", name="Invite").click()
    return await page.locator("#invite-url").input_value()


async def test_set_up_invite_publish_refuse_and_remove(tmp_path):
    node = make_node(tmp_path / "n", "placeholder")
    async with serving(node.service) as base, chromium() as browser:
        # -- the set-up link makes the first admin, names the group and sets the time zone
        setup = Accounts(node.service.store).setup_link()
        admin = await (await browser.new_context(viewport=DESKTOP)).new_page()
        await admin.goto(f"{base}/setup/{setup}")
        await admin.get_by_label("Group name").fill("Leith Tenants")
        await admin.get_by_label("Area").fill("Leith, Edinburgh")
        assert await admin.get_by_label("Time zone").input_value() == "Europe/London"
        await admin.get_by_label("Your name").fill("Ada")
        await admin.locator("#f-password").fill("first admin password")
        await admin.get_by_label("Password again").fill("first admin password")
        await admin.get_by_role("button", name="Set up the node").click()
        await admin.wait_for_url(f"{base}/members")
        assert await admin.get_by_role("link", name="Ada (admin)").is_visible()
        assert "Leith Tenants" in await admin.locator("header").inner_text()  # the node's name is the profile's

        # -- the admin invites an organiser, who chooses a password and publishes a callout
        link = await _invite(admin, base, "Orla", "organiser")
        assert link.startswith(f"{base}/invite/")
        organiser = await (await browser.new_context(viewport=DESKTOP)).new_page()
        await _choose_password(organiser, link)
        await organiser.wait_for_url(f"{base}/")
        assert await organiser.get_by_role("link", name="Orla (organiser)").is_visible()
        await organiser.get_by_role("link", name="Publish", exact=True).click()
        await organiser.get_by_role("link", name="Publish a callout").click()
        await organiser.get_by_label("Title").fill("Eviction watch on Easter Road")
        await organiser.get_by_label("Text").fill("Bailiffs at 7am.")
        await organiser.get_by_label("People").check()
        await organiser.get_by_role("button", name="Publish").click()
        await organiser.wait_for_url(re.compile(r".*/callouts/[0-9a-f]{64}$"))
        callout_id = organiser.url.rsplit("/", 1)[1]
        [stored] = (await node.service.query(queries.list_docs, CALLOUTS)).items
        assert stored["id"] == callout_id

        # -- who did what, shown to the group's members
        await admin.goto(f"{base}/activity")
        row = admin.locator("tr", has_text=callout_id[:10])
        assert "Orla" in await row.inner_text() and "published callout.published" in await row.inner_text()

        # -- a reused invitation is refused with a clear page
        again = await (await browser.new_context(viewport=DESKTOP)).new_page()
        response = await again.goto(link)
        assert response.status == 410
        assert await again.get_by_role("heading", level=1).inner_text() == "This link cannot be used"
        assert "used already" in await again.locator("main").inner_text()

        # -- a member cannot publish, and is told why
        member = await (await browser.new_context(viewport=DESKTOP)).new_page()
        await _choose_password(member, await _invite(admin, base, "Sam", "member"))
        await member.wait_for_url(f"{base}/")
        assert await member.get_by_role("link", name="Sam (member)").is_visible()
        assert await member.get_by_role("link", name="Publish", exact=True).count() == 0
        response = await member.goto(f"{base}/publish/callout.published")
        assert response.status == 403
        why = await member.locator("main").inner_text()
        assert "organisers and admins" in why and "Sam, who is member" in why
        before = await node.count()

        # -- removal logs the removed member out at once
        await admin.goto(f"{base}/members")
        await admin.get_by_role("button", name="Remove Sam").click()
        await admin.wait_for_url(f"{base}/members")
        assert await admin.locator("td", has_text="Sam").count() == 0
        await member.goto(f"{base}/activity")
        await member.wait_for_url(re.compile(r".*/login\?next=/activity$"))
        assert await member.get_by_role("link", name="Log in").is_visible()
        assert await node.count() == before

        # -- an expired invitation is refused with a clear page
        eight_days_ago = Accounts(node.service.store, clock=lambda: time.time() - 8 * 24 * 3600)
        _, late = eight_days_ago.invite("Lou", "member")  # good for 7 days from then
        response = await again.goto(f"{base}/invite/{late}")
        assert response.status == 410 and "expired" in await again.locator("main").inner_text()
