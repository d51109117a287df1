"""Every form's validation path: a bad field is shown next to that field, the values are kept, nothing is stored."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest

from events import Identity
from events.kinds import KINDS, FieldType
from events.readmodel.projection import ASSEMBLIES, CALLOUTS, CAMPAIGNS, PLEDGES, POSITIONS, PROPOSALS, REPORTS
from node import queries
from node.web.actions import FORM_KINDS

from ..conftest import publish_as
from .conftest import login

OTHERS = {"title": "Vans", "text": "Need a van"}  # another group's callout, for our pledges

MARK = "kept <value> & more"


def field_block(page: str, name: str) -> str:
    """Return the HTML of the form field block that holds the control named `name`."""
    blocks = re.findall(r'<div class="field[^"]*">.*?</div>\n(?=<div class="field|<div class="actions|\s*</form)', page, re.S)
    found = [b for b in blocks if f'name="{name}"' in b]
    assert found, f"no field {name} in the page"
    return found[0]


def first_required(kind: str) -> str:
    return next(f.name for f in KINDS[kind].fields if f.required)


def other_text(kind: str, skip: str) -> str | None:
    return next((f.name for f in KINDS[kind].fields if f.type is FieldType.TEXT and f.name != skip), None)


async def docs(node, collection):
    return (await node.service.query(queries.list_docs, collection)).items


@pytest.mark.parametrize("kind", FORM_KINDS)
async def test_each_form_renders_and_shows_a_missing_field_next_to_it(client, node, kind):
    csrf = await login(client, node.token)
    blank = await client.get(f"/publish/{kind}")
    assert blank.status == 200
    page = await blank.text()
    form = page[page.index('<form method="post" action="/publish/') :]
    assert f'<input type="hidden" name="csrf" value="{csrf}">' in form[: form.index("</form>")]
    for spec in KINDS[kind].fields:
        assert f'name="{spec.name}"' in page, spec.name
        assert f'for="f-{spec.name}"' in page or f'id="f-{spec.name}-' in page, spec.name  # a label or a fieldset
    missing = first_required(kind)
    kept = other_text(kind, missing)
    data = {"csrf": csrf}
    if kept:
        data[kept] = MARK
    before = await node.count()
    resp = await client.post(f"/publish/{kind}", data=data)
    page = await resp.text()
    assert resp.status == 422
    block = field_block(page, missing)
    assert 'class="error"' in block and "has-error" in block
    assert "Nothing was published" in page
    if kept:
        assert html.escape(MARK) in field_block(page, kept)
        assert 'class="error"' not in field_block(page, kept)
    assert await node.count() == before


async def test_callout_ending_before_it_starts(client, node):
    csrf = await login(client, node.token)
    data = {
        "csrf": csrf,
        "title": "Picket",
        "text": "Stand with us",
        "needs": ["people", "materials"],
        "urgency": "critical",
        "where": "Leith Walk",
        "starts_at": "2031-05-01T18:00",
        "ends_at": "2031-05-01T17:00",
        "quantity": "12",
    }
    before = await node.count()
    resp = await client.post("/publish/callout.published", data=data)
    page = await resp.text()
    assert resp.status == 422
    assert "Before the start" in field_block(page, "ends_at")
    assert 'value="2031-05-01T17:00"' in field_block(page, "ends_at")
    assert 'value="Picket"' in field_block(page, "title")
    assert 'value="people" id="f-needs-people" checked' in page and 'value="materials" id="f-needs-materials" checked' in page
    assert 'value="critical" selected' in page and 'value="12"' in page
    assert await node.count() == before and await docs(node, CALLOUTS) == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("title", "   ", "This is required"),
        ("quantity", "lots", "Must be an integer"),
        ("quantity", "0", "Must be between 1 and"),
        ("needs", ["bread"], "Each must be one of"),
        ("needs", [], "This is required"),
        ("urgency", "whenever", "Must be one of"),
        ("starts_at", "next tuesday", "ISO 8601"),
        ("campaign", "not-an-id", "64 hex digits"),
        ("title", "x" * 201, "more than 200"),
    ],
)
async def test_callout_field_errors(client, node, field, value, says):
    csrf = await login(client, node.token)
    data = {"csrf": csrf, "title": "Picket", "text": "Come", "needs": ["people"], "urgency": "high", field: value}
    resp = await client.post("/publish/callout.published", data=data)
    page = await resp.text()
    assert resp.status == 422
    assert says in field_block(page, field)
    assert await docs(node, CALLOUTS) == []


async def test_graph_follow_refuses_a_bad_group_id(client, node):
    csrf = await login(client, node.token)
    resp = await client.post("/publish/graph.follow", data={"csrf": csrf, "group": "sn_nonsense"})
    assert resp.status == 422 and 'class="error"' in field_block(await resp.text(), "group")


async def test_report_lessons_are_lines_and_limited(client, node):
    csrf = await login(client, node.token)
    lessons = "\n".join(f"lesson {i}" for i in range(51))
    resp = await client.post("/publish/report.published", data={"csrf": csrf, "title": "T", "text": "x", "lessons": lessons})
    assert resp.status == 422 and "51 items" in field_block(await resp.text(), "lessons")
    resp = await client.post(
        "/publish/report.published", data={"csrf": csrf, "title": "Rent strike week", "text": "x", "lessons": "one\n\ntwo\n"}
    )
    assert resp.status == 200
    [report] = await docs(node, REPORTS)
    assert report["lessons"] == ["one", "two"]


async def test_publishing_each_main_kind_from_the_forms(client, node):
    csrf = await login(client, node.token)
    resp = await client.post(
        "/publish/campaign.created", data={"csrf": csrf, "title": "Rent strike", "area": "Leith"}, allow_redirects=False
    )
    [campaign] = await docs(node, CAMPAIGNS)
    assert resp.status == 303 and resp.headers["Location"] == f"/campaigns/{campaign['id']}"

    form = await (await client.get(f"/publish/callout.published?campaign={campaign['id']}")).text()
    assert f'value="{campaign["id"]}" selected' in form
    resp = await client.post(
        "/publish/callout.published",
        data={
            "csrf": csrf,
            "title": "Door knocking",
            "text": "Talk to neighbours",
            "needs": ["people"],
            "urgency": "normal",
            "campaign": campaign["id"],
            "starts_at": "2031-05-01T18:00",
        },
        allow_redirects=False,
    )
    [callout] = await docs(node, CALLOUTS)
    assert resp.headers["Location"] == f"/callouts/{callout['id']}"
    assert callout["campaign"] == campaign["id"]
    # read in the node's zone (Europe/London by default, BST in May), whatever the machine's zone
    assert callout["starts_at"] == int(datetime.fromisoformat("2031-05-01T18:00+01:00").timestamp() * 1000)

    theirs = await publish_as(node.service, Identity.generate(), "callout.published", {**OTHERS, "needs": "people"})
    resp = await client.post(
        f"/callouts/{theirs.id.hex()}/pledge",
        data={"csrf": csrf, "need": "people", "offer": "Three of us", "quantity": "3"},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == f"/callouts/{theirs.id.hex()}#pledges"
    [pledge] = await docs(node, PLEDGES)
    assert (pledge["callout"], pledge["quantity"], pledge["offer"]) == (theirs.id.hex(), 3, "Three of us")

    await client.post(
        "/publish/assembly.scheduled", data={"csrf": csrf, "title": "General assembly", "starts_at": "2031-06-01T19:00"}
    )
    [assembly] = await docs(node, ASSEMBLIES)
    await client.post(
        "/publish/proposal.tabled", data={"csrf": csrf, "title": "Escalate", "text": "Go on strike", "assembly": assembly["id"]}
    )
    [proposal] = await docs(node, PROPOSALS)
    resp = await client.post(
        "/publish/position.taken",
        data={"csrf": csrf, "proposal": proposal["id"], "position": "stand_aside", "next": f"/assemblies#p-{proposal['id']}"},
        allow_redirects=False,
    )
    assert resp.headers["Location"] == f"/assemblies#p-{proposal['id']}"
    [position] = await docs(node, POSITIONS)
    assert position["position"] == "stand_aside"
    page = await (await client.get("/assemblies")).text()
    assert "Stand aside: 1" in page and "Escalate" in page


async def test_pledge_error_is_shown_on_the_callout_page(client, node):
    callout = await publish_as(node.service, Identity.generate(), "callout.published", {**OTHERS, "needs": "materials"})
    csrf = await login(client, node.token)
    before = await node.count()
    resp = await client.post(f"/callouts/{callout.id.hex()}/pledge", data={"csrf": csrf, "need": "materials", "offer": " "})
    page = await resp.text()
    assert resp.status == 422 and "<h1>Vans</h1>" in page
    assert "This is required" in field_block(page, "offer")
    assert 'value="materials" selected' in page
    assert await node.count() == before


async def test_profile_form_starts_from_the_current_profile(client, node):
    csrf = await login(client, node.token)
    page = await (await client.get("/publish/group.profile")).text()
    assert 'value="Leith Tenants"' in field_block(page, "name") and "Leith, Edinburgh" in field_block(page, "area")
    resp = await client.post("/publish/group.profile", data={"csrf": csrf, "name": "Leith Tenants Union", "area": "Leith"})
    assert resp.status == 200
    # the node is called what its group's newest profile says (issue 16: they never diverge)
    assert (await node.service.info())["name"] == "Leith Tenants Union"
    groups = await (await client.get("/groups")).text()
    assert "Leith Tenants Union" in groups


async def test_unknown_or_system_kind_has_no_form(client, node):
    csrf = await login(client, node.token)
    for kind in ("key.rotate", "log.redact", "nope"):
        assert (await client.get(f"/publish/{kind}")).status == 404
        assert (await client.post(f"/publish/{kind}", data={"csrf": csrf})).status == 404


async def test_next_after_publishing_cannot_leave_the_node(client, node):
    csrf = await login(client, node.token)
    resp = await client.post(
        "/publish/campaign.created", data={"csrf": csrf, "title": "X", "next": "//evil.example/"}, allow_redirects=False
    )
    assert resp.status == 303 and resp.headers["Location"].startswith("/campaigns/")
