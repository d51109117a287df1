"""Follow / Block buttons on a group's page; blocking hides what the node holds of the group from every page and list."""

from __future__ import annotations

import pytest

from events import Identity

from ..conftest import publish_as
from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium, serving
from .conftest import csrf_of, login, make_node

CALLOUT = {"title": "Picket at 7am", "text": "Bodies at the door", "needs": "people", "urgency": "critical"}


async def click(client, group_id: str, label: str) -> str:
    """Press the button `label` on the group's page (a real form post); return the page it leads to."""
    page = await (await client.get(f"/groups/{group_id}")).text()
    assert f">{label}</button>" in page, page
    kind = {"Follow": "graph.follow", "Unfollow": "graph.unfollow", "Block": "graph.block", "Unblock": "graph.unblock"}[label]
    resp = await client.post(f"/publish/{kind}", data={"csrf": csrf_of(page), "group": group_id, "next": f"/groups/{group_id}"})
    assert resp.status == 200 and resp.url.path == f"/groups/{group_id}", await resp.text()
    return await resp.text()


async def test_the_block_button_is_worded_as_blocking_a_group_not_as_a_position_on_a_proposal(client, node, tmp_path):
    other = make_node(tmp_path / "other", "Landlord's Front Group")
    await other.service.publish("group.profile", {"name": "Landlord's Front Group"})
    await node.service.ingest(await other.service.astore.read_log(other.service.identity.public_key, 1, 10))
    await login(client, node.token)
    # "Block" is also the consensus position (Polish "Blokuję", "I block"): the button has its own message (context "a group")
    for code, button, position in (("pl", "Zablokuj", "Blokuję"), ("ar", "حظر", "أعترض اعتراضًا حاسمًا"), ("en", "Block", "Block")):
        page = await (await client.get(f"/groups/{other.service.group_id}", headers={"Accept-Language": code})).text()
        assert f">{button}</button>" in page, code
        if position != button:
            assert position not in page, code


async def test_block_hides_a_group_everywhere_and_unblock_shows_it_again(client, node, tmp_path):
    other = make_node(tmp_path / "other", "Landlord's Front Group")
    svc = other.service
    await svc.publish("group.profile", {"name": "Landlord's Front Group"})
    fake = await svc.publish("callout.published", {**CALLOUT, "title": "A fake callout"})
    await svc.publish("campaign.created", {"title": "Their campaign"})
    ours = await node.service.publish("callout.published", CALLOUT)
    await svc.ingest(await node.service.astore.read_log(node.service.identity.public_key, 1, 10))  # they hold our callout
    await svc.publish("pledge.made", {"callout": ours.id.hex(), "need": "people", "offer": "Spam offer"})
    pledge = {"callout": ours.id.hex(), "need": "people", "offer": "Six stewards"}
    await publish_as(node.service, Identity.generate(), "pledge.made", pledge)  # a third group's
    await node.service.ingest(await svc.astore.read_log(svc.identity.public_key, 1, 10))
    digest = await node.service.digest()
    await login(client, node.token)
    gid = svc.group_id

    async def shown() -> dict:
        api = (await (await client.get("/api/v1/callouts")).json())["callouts"]
        mine = next(c for c in api if c["id"] == ours.id.hex())
        groups = [g["group_id"] for g in (await (await client.get("/api/v1/groups")).json())["groups"]]
        return {
            "feed": "A fake callout" in await (await client.get("/")).text(),
            "api": sorted(c["title"] for c in api),
            "pledges": mine["totals"]["pledges"],
            "our page": "Spam offer" in await (await client.get(f"/callouts/{ours.id.hex()}")).text(),
            "their callout": (await client.get(f"/callouts/{fake.id.hex()}")).status,
            "campaigns": "Their campaign" in await (await client.get("/campaigns")).text(),
            "directory": "Landlord" in await (await client.get("/groups")).text(),
            "groups api": gid in groups,
        }

    before = await shown()
    assert before == {
        "feed": True,
        "api": ["A fake callout", "Picket at 7am"],
        "pledges": 2,
        "our page": True,
        "their callout": 200,
        "campaigns": True,
        "directory": True,
        "groups api": True,
    }
    page = await click(client, gid, "Follow")
    assert ">Unfollow</button>" in page and "What following and blocking do" in page
    page = await click(client, gid, "Block")
    assert "You blocked this group" in page and ">Unblock</button>" in page and "Landlord&#39;s Front Group" in page
    assert await shown() == {
        "feed": False,
        "api": ["Picket at 7am"],
        "pledges": 1,
        "our page": False,
        "their callout": 404,
        "campaigns": False,
        "directory": False,
        "groups api": False,
    }
    assert await node.service.digest() != digest  # our follow and block are state; theirs did not change
    page = await click(client, gid, "Unblock")
    assert "You blocked this group" not in page and ">Block</button>" in page
    assert await shown() == before


async def test_block_and_follow_forms_choose_groups_by_name(client, node, tmp_path):
    other = make_node(tmp_path / "other", "Kennington Tenants")
    await other.service.publish("group.profile", {"name": "Kennington Tenants"})
    await node.service.ingest(await other.service.astore.read_log(other.service.identity.public_key, 1, 1))
    await login(client, node.token)
    for kind in ("graph.follow", "graph.block"):
        page = await (await client.get(f"/publish/{kind}")).text()
        assert f'<option value="{other.service.group_id}">Kennington Tenants</option>' in page
        assert f'<option value="{node.service.group_id}"' not in page  # not our own group


async def test_group_page_buttons_need_an_organiser(client, node, tmp_path):
    other = make_node(tmp_path / "other", "Kennington Tenants")
    await other.service.publish("group.profile", {"name": "Kennington Tenants"})
    await node.service.ingest(await other.service.astore.read_log(other.service.identity.public_key, 1, 1))
    page = await (await client.get(f"/groups/{other.service.group_id}")).text()
    assert ">Block</button>" not in page  # not logged in: nothing to press
    await login(client, node.token)
    own = await (await client.get(f"/groups/{node.service.group_id}")).text()
    assert ">Block</button>" not in own  # never on our own page


@pytest.mark.browser
@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
async def test_blocking_from_the_group_page_in_a_browser(node, tmp_path, width, viewport):
    other = make_node(tmp_path / "other", "Landlord's Front Group")
    await other.service.publish("group.profile", {"name": "Landlord's Front Group"})
    await other.service.publish("callout.published", {**CALLOUT, "title": "A fake callout"})
    await node.service.publish("callout.published", CALLOUT)
    await node.service.ingest(await other.service.astore.read_log(other.service.identity.public_key, 1, 10))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=viewport)
        await page.goto(base + "/login")
        await page.get_by_label("Password or API token").fill(node.token)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(base + "/")
        assert await page.get_by_text("A fake callout").count() == 1
        await page.goto(base + "/groups")
        await page.get_by_role("link", name="Landlord's Front Group").click()
        await page.get_by_text("What following and blocking do").click()
        assert "stops storing and relaying" in await page.locator("details", has_text="What following").inner_text()
        await page.get_by_role("button", name="Block", exact=True).click()
        await page.get_by_text("You blocked this group").wait_for()
        assert await page.get_by_role("button", name="Unblock").count() == 1
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        await page.screenshot(path=str(SCREENSHOTS / f"group-blocked-{width}.png"), full_page=True)
        await page.goto(base + "/")
        assert await page.get_by_text("A fake callout").count() == 0
        assert await page.get_by_text(CALLOUT["title"]).count() == 1
        await page.goto(base + "/groups")
        assert await page.get_by_role("link", name="Landlord's Front Group").count() == 0
