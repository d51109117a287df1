"""Finding things (issue 17, point 5): search across the network's writing, the Reports page, a group's page with its
pledges and positions, decisions linked both ways, links in text made clickable safely, "Link to this" boxes, the Met
badge; over HTTP here and in a real browser at desktop and phone widths."""

from __future__ import annotations

import re

import pytest

from events import Identity

from ..conftest import publish_as
from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium, serving

CALLOUT = {"needs": "people", "urgency": "high"}


async def publish_world(node) -> dict[str, str]:
    """Publish one of everything searchable, with a word or two in common; return their ids by name."""
    svc = node.service
    other = Identity.from_seed(b"o" * 32)
    theirs = await publish_as(
        svc, other, "callout.published", {**CALLOUT, "title": "Food bank van needed", "text": "Saturday run"}
    )
    campaign = await svc.publish(
        "campaign.created", {"title": "Rent strike at Leith Walk", "description": "Details: https://example.org/strike."}
    )
    met = await svc.publish(
        "callout.published",
        {**CALLOUT, "title": "Pickets for the food bank", "text": "See https://example.org/a?b=1&c=2 <b>now</b>"},
    )
    await svc.publish("callout.fulfilled", {"callout": met.id.hex(), "note": "eleven came"})
    await svc.publish("pledge.made", {"callout": theirs.id.hex(), "need": "people", "offer": "Two drivers"})
    report = await svc.publish(
        "report.published",
        {
            "title": "How the eviction was stopped",
            "text": "We blocked the door from 6am.",
            "lessons": ["Phone trees beat group chats", "Bring the food bank flyers"],
            "campaign": campaign.id.hex(),
        },
    )
    assembly = await svc.publish("assembly.scheduled", {"title": "Tenants' assembly", "starts_at": "2099-01-01T18:00+00:00"})
    proposal = await publish_as(
        svc, other, "proposal.tabled", {"title": "Join the rent strike", "text": "All in", "assembly": assembly.id.hex()}
    )
    await svc.publish("position.taken", {"proposal": proposal.id.hex(), "position": "agree", "reason": "solidarity"})
    decision = await svc.publish(
        "decision.recorded",
        {"text": "We join the rent strike", "proposal": proposal.id.hex(), "campaign": campaign.id.hex(), "outcome": "adopted"},
    )
    return {
        "theirs": theirs.id.hex(),
        "campaign": campaign.id.hex(),
        "met": met.id.hex(),
        "report": report.id.hex(),
        "proposal": proposal.id.hex(),
        "decision": decision.id.hex(),
    }


async def test_search_finds_every_kind_newest_first_a_page_at_a_time(node, client):
    ids = await publish_world(node)
    body = await (await client.get("/api/v1/search", params={"q": "food bank"})).json()
    kinds = [r["kind"] for r in body["results"]]
    assert kinds == ["report", "callout", "callout"]  # the report's lesson, our callout, theirs: newest first
    assert body["results"][0]["path"] == f"/reports/{ids['report']}"
    assert body["next"] is None
    first = await (await client.get("/api/v1/search", params={"q": "food", "limit": "2"})).json()
    rest = await (await client.get("/api/v1/search", params={"q": "food", "limit": "2", "cursor": first["next"]})).json()
    assert [r["id"] for r in first["results"] + rest["results"]] == [r["id"] for r in body["results"]]
    assert rest["next"] is None
    strike = await (await client.get("/api/v1/search", params={"q": "RENT strike"})).json()
    assert {r["kind"] for r in strike["results"]} == {"campaign", "proposal", "decision"}
    only = await (await client.get("/api/v1/search", params={"q": "rent strike", "in": "decision"})).json()
    assert [r["path"] for r in only["results"]] == [f"/decisions/{ids['decision']}"]  # its page links to its thread
    assert (await (await client.get("/api/v1/search", params={"q": "strike -decision -join"})).json())["results"][0][
        "kind"
    ] == "campaign"
    page = await (await client.get("/search", params={"q": '"phone trees"'})).text()
    assert "How the eviction was stopped" in page and "Lessons:" in page


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"q": ""}, "q must have 1 to 200 characters"),  # the API's declared bounds (node/api.py)
        ({"q": "x" * 201}, "q must have 1 to 200 characters"),
        ({"q": "-only -excluded"}, "at least one word"),
        ({"q": "a b c d e f g h i"}, "at most 8"),
        ({"q": "food", "in": "pledge"}, "in must be one of"),
        ({"q": "food", "cursor": "nonsense!"}, "cursor"),
    ],
)
async def test_a_bad_search_is_refused_in_words(node, client, params, words):
    resp = await client.get("/api/v1/search", params=params)
    assert resp.status == 400
    assert words in (await resp.json())["error"]["message"]
    shown = {**params, "q": params["q"] or "-x"}  # the page shows the empty form for an empty query, not an error
    page = await client.get("/search", params=shown)
    assert page.status == 400 and 'aria-invalid="true"' in await page.text()


async def test_reports_report_group_and_campaign_pages(node, client):
    ids = await publish_world(node)
    reports = await (await client.get("/reports")).text()
    assert "Phone trees beat group chats" in reports and f'href="/reports/{ids["report"]}"' in reports
    report = await (await client.get(f"/reports/{ids['report']}")).text()
    assert "Lessons learned" in report and "Rent strike at Leith Walk" in report
    assert f'value="http://127.0.0.1:{client.port}/reports/{ids["report"]}"' in report  # "Link to this"
    assert (await client.get("/reports/" + "ab" * 32)).status == 404
    group = await (await client.get(f"/groups/{node.service.group_id}")).text()
    for words in ("Two drivers", "Food bank van needed", "Join the rent strike", "Agree", "How the eviction was stopped"):
        assert words in group, words
    campaign = await (await client.get(f"/campaigns/{ids['campaign']}")).text()
    assert f'id="d-{ids["decision"]}"' in campaign and f'href="/proposals/{ids["proposal"]}"' in campaign
    assemblies = await (await client.get("/assemblies")).text()
    assert f'href="/campaigns/{ids["campaign"]}#d-{ids["decision"]}"' in assemblies
    callout = await (await client.get(f"/callouts/{ids['met']}")).text()
    assert "badge ok fulfilled" in callout
    link = '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">https://example.org/a?b=1&amp;c=2</a>'
    assert link + " &lt;b&gt;now&lt;/b&gt;" in callout  # the link is made, the rest stays escaped
    assert '<a href="https://example.org/strike" rel="nofollow noopener noreferrer">' in campaign  # without its full stop
    feed = await (await client.get("/")).text()
    assert 'action="/search"' in feed and 'href="/reports"' in feed


@pytest.mark.browser
@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
async def test_finding_things_in_a_browser(node, width, viewport):
    ids = await publish_world(node)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with serving(node.service) as base, chromium() as browser:
        page = await browser.new_page(viewport=viewport)
        await page.goto(base + "/")
        await page.get_by_role("search").get_by_label("Search").fill("food bank")
        await page.get_by_role("search").get_by_role("button", name="Search").click()
        await page.wait_for_url(re.compile(r".*/search\?q=food\+bank"))
        titles = await page.locator("ol.results h3").all_inner_texts()
        assert titles == ["How the eviction was stopped", "Pickets for the food bank", "Food bank van needed"]
        assert await page.locator("ol.results .badge.fulfilled").count() == 1
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        await page.screenshot(path=str(SCREENSHOTS / f"search-{width}.png"), full_page=True)

        await page.get_by_label("Words to find").fill("-nothing")
        await page.get_by_role("button", name="Search", exact=True).last.click()
        assert "at least one word" in await page.get_by_role("alert").inner_text()
        await page.screenshot(path=str(SCREENSHOTS / f"search-error-{width}.png"), full_page=True)

        await page.get_by_role("link", name="Reports").click()
        await page.wait_for_url(base + "/reports")
        await page.get_by_role("link", name="How the eviction was stopped").click()
        await page.wait_for_url(base + f"/reports/{ids['report']}")
        await page.get_by_text("Link to this report").click()
        box = page.get_by_label("Select and copy this link")
        assert await box.input_value() == base + f"/reports/{ids['report']}"
        await page.screenshot(path=str(SCREENSHOTS / f"report-{width}.png"), full_page=True)

        await page.goto(base + f"/callouts/{ids['met']}")
        link = page.get_by_role("link", name="https://example.org/a?b=1&c=2")
        assert await link.get_attribute("rel") == "nofollow noopener noreferrer"
        assert await page.locator("b").count() == 0  # the text's <b> is shown, not obeyed
        await page.screenshot(path=str(SCREENSHOTS / f"callout-met-{width}.png"), full_page=True)

        await page.goto(base + f"/groups/{node.service.group_id}")
        pledges = page.get_by_role("region", name="Pledges")
        assert "Two drivers" in await pledges.inner_text()
        assert "Join the rent strike" in await page.get_by_role("region", name="Positions").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        await page.screenshot(path=str(SCREENSHOTS / f"group-doings-{width}.png"), full_page=True)
