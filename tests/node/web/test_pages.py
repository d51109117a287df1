"""The public pages: the feed's order and filters, callouts with pledges, campaigns, groups (forks flagged), assemblies, node."""

from __future__ import annotations

from events import Identity, create_event_from_value
from events.kinds import build_value

from ..conftest import publish_as
from .conftest import make_node


async def publish_world(node):
    """Publish a campaign, three callouts of different urgency and times, a pledge, a report, an assembly."""
    svc = node.service
    campaign = await svc.publish("campaign.created", {"title": "Rent strike", "area": "Leith"})
    late = await svc.publish(
        "callout.published",
        {"title": "Late picket", "text": "x", "needs": "people", "urgency": "high", "starts_at": "2031-06-02T10:00+00:00"},
    )
    soon = await svc.publish(
        "callout.published",
        {
            "title": "Soon picket",
            "text": "x",
            "needs": "people",
            "urgency": "high",
            "starts_at": "2031-06-01T10:00+00:00",
            "campaign": campaign.id.hex(),
            "where": "Leith Walk",
        },
    )
    money = await svc.publish("callout.published", {"title": "Bail fund", "text": "x", "needs": "money", "urgency": "critical"})
    calm = await svc.publish("callout.published", {"title": "Leaflets", "text": "x", "needs": "skills", "urgency": "low"})
    helpers = Identity.generate()  # a pledge is another group's offer (node/references.py)
    await publish_as(
        svc, helpers, "pledge.made", {"callout": soon.id.hex(), "need": "people", "offer": "Six stewards", "quantity": 6}
    )
    await svc.publish("report.published", {"title": "Week one", "text": "It went well", "campaign": campaign.id.hex()})
    assembly = await svc.publish("assembly.scheduled", {"title": "June assembly", "starts_at": "2031-06-10T18:00+00:00"})
    proposal = await svc.publish("proposal.tabled", {"title": "Escalate", "text": "More", "assembly": assembly.id.hex()})
    await svc.publish("position.taken", {"proposal": proposal.id.hex(), "position": "block", "reason": "too soon"})
    await svc.publish("decision.recorded", {"text": "Deferred to July", "proposal": proposal.id.hex(), "outcome": "deferred"})
    return {"campaign": campaign, "late": late, "soon": soon, "money": money, "calm": calm}


async def test_feed_orders_most_urgent_then_soonest(client, node):
    await publish_world(node)
    page = await (await client.get("/")).text()
    order = [page.index(t) for t in ("Bail fund", "Soon picket", "Late picket", "Leaflets")]
    assert order == sorted(order)
    assert "Six stewards" in page and "4 open callouts" in page


async def test_feed_filters(client, node):
    w = await publish_world(node)
    page = await (await client.get("/?need=money")).text()
    assert "Bail fund" in page and "Soon picket" not in page and 'value="money" selected' in page
    page = await (await client.get("/?area=leith+walk")).text()
    assert "Soon picket" in page and "Late picket" not in page
    page = await (await client.get(f"/?campaign={w['campaign'].id.hex()}")).text()
    assert "Soon picket" in page and "Bail fund" not in page
    page = await (await client.get("/?date=2031-06-02")).text()
    assert "Late picket" in page and "Soon picket" not in page and "Bail fund" not in page  # undated: from when published
    page = await (await client.get("/?date=2099-01-01")).text()
    assert "No open callouts match these filters" in page


async def test_bad_filters_are_shown_next_to_the_filter(client, node):
    await publish_world(node)
    resp = await client.get("/?date=soon")
    page = await resp.text()
    assert resp.status == 400 and 'class="error"' in page and "2025-05-01" in page
    resp = await client.get("/?campaign=zz")
    assert resp.status == 400 and "64 hex digits" in await resp.text()


async def test_callout_page_shows_pledges_and_asks_to_log_in(client, node):
    w = await publish_world(node)
    page = await (await client.get(f"/callouts/{w['soon'].id.hex()}")).text()
    assert "<h1>Soon picket</h1>" in page and "Six stewards" in page and "1 pledge from 1 group" in page
    assert f"/login?next=/callouts/{w['soon'].id.hex()}" in page and 'name="offer"' not in page


async def test_missing_and_malformed_ids_are_html_errors(client):
    resp = await client.get("/callouts/" + "ab" * 32)
    assert resp.status == 404 and resp.content_type == "text/html" and "<h1>Not found</h1>" in await resp.text()
    resp = await client.get("/campaigns/xyz")
    assert resp.status == 400 and resp.content_type == "text/html"
    assert (await client.get("/groups/sn_nope")).status == 400


async def test_campaign_page_has_callouts_reports_and_decisions(client, node):
    w = await publish_world(node)
    page = await (await client.get(f"/campaigns/{w['campaign'].id.hex()}")).text()
    assert "<h1>Rent strike</h1>" in page and "Soon picket" in page and "Week one" in page
    assert "Late picket" not in page
    assert "Rent strike" in await (await client.get("/campaigns")).text()


async def test_assemblies_show_positions_tally_and_decisions(client, node):
    await publish_world(node)
    page = await (await client.get("/assemblies")).text()
    assert "June assembly" in page and "Proposal: Escalate" in page
    assert "Block: 1" in page and "too soon" in page and "Deferred to July" in page


async def test_groups_directory_warns_about_forked_groups(client, node, tmp_path):
    bad = Identity.generate()
    first = create_event_from_value(
        bad, kind="group.profile", value=build_value("group.profile", {"name": "Sketchy Co"}), timestamp=1, previous=None
    )
    a = create_event_from_value(bad, kind="test.note", value={"n": 1}, timestamp=2, previous=first)
    b = create_event_from_value(bad, kind="test.note", value={"n": 2}, timestamp=3, previous=first)
    await node.service.ingest([first, a])
    result = await node.service.ingest([b])
    assert result.forks
    page = await (await client.get("/groups")).text()
    sketchy = page[page.index("Sketchy Co") :]
    assert "log is forked" in sketchy[:800]
    assert page.count("log is forked") == 1
    page = await (await client.get(f"/groups/{bad.group_id}")).text()
    assert "log is forked" in page
    page = await (await client.get("/node")).text()
    assert bad.group_id in page and "1 group with a forked log" in page


async def test_group_page_shows_profile_and_own_links(client, node):
    await publish_world(node)
    page = await (await client.get(f"/groups/{node.service.group_id}")).text()
    assert "<h1>Leith Tenants</h1>" in page and "Leith, Edinburgh" in page and "Soon picket" in page


async def test_node_page_shows_counts_digest_and_federation_status(client, node):
    async def federation_status():
        return {"peers": [{"url": "http://127.0.0.1:9/", "healthy": False, "last_error": "refused"}], "sync": {"rounds": 3}}

    node.service.status_providers.append(federation_status)
    info = await node.service.info()
    page = await (await client.get("/node")).text()
    assert info["state_digest"] in page and node.service.group_id in page
    assert "http://127.0.0.1:9/" in page and "refused" in page and "Rounds" in page


async def test_two_nodes_share_nothing(tmp_path):
    """A sanity check of the fixture itself: two nodes made in one test have their own groups."""
    a, b = make_node(tmp_path / "x", "X"), make_node(tmp_path / "y", "Y")
    assert a.service.group_id != b.service.group_id
    await a.service.close()
    await b.service.close()
