"""Forms show every error of a submit at once, and nonsense is refused with words (issue 17, point 6)."""

from __future__ import annotations

from events import Identity
from events.kinds import input_errors

from ..conftest import publish_as
from .conftest import csrf_of, login
from .test_forms import field_block


def test_input_errors_lists_every_bad_field_of_a_kind():
    errors = input_errors(
        "callout.published",
        {"title": "", "text": "x" * 20_000, "urgency": "panic", "needs": ["people"], "starts_at": "tomorrow"},
    )
    assert set(errors) == {"title", "text", "urgency", "starts_at"}
    assert errors["title"] == "title: required"
    assert input_errors("callout.published", {"title": "t", "text": "x", "needs": ["people"]}) == {}
    later = {
        "title": "t",
        "text": "x",
        "needs": "people",
        "starts_at": "2031-01-02T10:00+00:00",
        "ends_at": "2031-01-01T10:00+00:00",
    }
    assert set(input_errors("callout.published", later)) == {"ends_at"}


async def test_a_form_with_three_bad_fields_shows_all_three_and_stores_nothing(client, node):
    csrf = await login(client, node.token)
    before = await node.count()
    resp = await client.post(
        "/publish/callout.published",
        data={"csrf": csrf, "title": " ", "text": "x", "urgency": "panic", "starts_at": "2031-02-30T10:00"},
    )
    page = await resp.text()
    assert resp.status == 422
    for name in ("title", "urgency", "starts_at"):
        assert "Error:" in field_block(page, name), name
    assert page.count('<li><a href="#f-') >= 3  # the summary above the form links each one
    assert await node.count() == before


async def test_nonsense_references_are_refused_in_words_and_store_nothing(client, node):
    svc = node.service
    others = Identity.generate()
    theirs = await publish_as(svc, others, "callout.published", {"title": "Vans", "text": "x", "needs": "materials"})
    ours = await svc.publish("callout.published", {"title": "Ours", "text": "x", "needs": "people"})
    assembly = await svc.publish("assembly.scheduled", {"title": "June", "starts_at": "2031-06-01T18:00+00:00"})
    proposal = await svc.publish("proposal.tabled", {"title": "Escalate", "text": "x", "assembly": assembly.id.hex()})
    csrf = await login(client, node.token)
    before = await node.count()

    async def refused(kind: str, data: dict, field: str, words: str) -> None:
        resp = await client.post(f"/publish/{kind}", data={"csrf": csrf, **data})
        page = await resp.text()
        assert resp.status == 422, (kind, data)
        assert words in field_block(page, field), (kind, field)

    await refused(
        "position.taken", {"proposal": theirs.id.hex(), "position": "agree"}, "proposal", "This id is a callout, not a proposal"
    )
    unknown = "ab" * 32
    await refused(
        "pledge.made", {"callout": unknown, "need": "people", "offer": "x"}, "callout", "No callout with this id is known"
    )
    await refused(
        "pledge.made", {"callout": theirs.id.hex(), "need": "people", "offer": "x"}, "need", "asks for materials, not people"
    )
    await refused("pledge.made", {"callout": ours.id.hex(), "need": "people", "offer": "x"}, "callout", "your own group")
    assert await node.count() == before
    resp = await client.post("/publish/position.taken", data={"csrf": csrf, "proposal": proposal.id.hex(), "position": "agree"})
    assert resp.status == 200 and await node.count() == before + 1


async def test_the_api_refuses_nonsense_with_a_field_and_code(api):
    from tests.node.test_api import publish

    resp = await api.post(
        "/api/v1/events",
        json={"kind": "pledge.made", "payload": {"callout": "cd" * 32, "need": "people", "offer": "x"}},
        headers=api.auth,
    )
    body = await resp.json()
    assert resp.status == 400 and body["error"]["code"] == "bad_reference" and body["error"]["field"] == "callout"
    assert "no callout with this id is known" in body["error"]["message"]
    campaign = await publish(api, "campaign.created", {"title": "c"})
    resp = await api.post(
        "/api/v1/events",
        json={"kind": "callout.published", "payload": {"title": "t", "text": "x", "needs": ["people"], "campaign": "ef" * 32}},
        headers=api.auth,
    )
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "campaign"
    await publish(api, "callout.published", {"title": "t", "text": "x", "needs": ["people"], "campaign": campaign["id"]})


async def test_an_update_form_starts_from_the_current_values_of_our_own_entity(client, node):
    svc = node.service
    fields = {"title": "Vans for Saturday", "text": "Two vans", "needs": ["materials", "people"], "where": "Leith Walk"}
    ours = await svc.publish("callout.published", {**fields, "starts_at": "2031-07-01T09:00+01:00"})
    theirs = await publish_as(
        svc, Identity.generate(), "callout.published", {"title": "Not ours", "text": "x", "needs": "people"}
    )
    await login(client, node.token)
    page = await (await client.get(f"/publish/callout.updated?callout={ours.id.hex()}")).text()
    assert 'value="Vans for Saturday"' in field_block(page, "title") and "Two vans" in field_block(page, "text")
    assert 'value="Leith Walk"' in field_block(page, "where")
    assert 'value="2031-07-01T09:00"' in field_block(page, "starts_at")  # in the node's zone (BST)
    assert 'value="materials" id="f-needs-materials" checked' in page and 'value="money" id="f-needs-money">' in page
    blank = await (await client.get(f"/publish/callout.updated?callout={theirs.id.hex()}")).text()
    assert "Not ours" not in field_block(blank, "title")  # only our own entities start filled
    withdraw = await (await client.get(f"/publish/callout.withdrawn?callout={ours.id.hex()}")).text()
    assert "Vans for Saturday" not in field_block(withdraw, "reason")


async def test_an_organiser_redacts_an_own_event_from_the_page_after_reading_what_it_does(client, node):
    svc = node.service
    ours = await svc.publish("callout.published", {"title": "Wrong address posted", "text": "12 Elm St", "needs": "people"})
    theirs = await publish_as(
        svc, Identity.generate(), "callout.published", {"title": "Not ours", "text": "x", "needs": "people"}
    )
    assert (await client.get(f"/redact/{ours.id.hex()}", allow_redirects=False)).status in (302, 303)  # log in first
    await login(client, node.token)
    callout_page = await (await client.get(f"/callouts/{ours.id.hex()}")).text()
    assert f'href="/redact/{ours.id.hex()}"' in callout_page
    page = await (await client.get(f"/redact/{ours.id.hex()}")).text()
    assert "cannot take back copies" in page and "signed header stays" in page and "Wrong address posted" in page
    assert (await client.get(f"/redact/{theirs.id.hex()}")).status == 404  # only the group's own events
    before = await node.count()
    resp = await client.post(f"/redact/{ours.id.hex()}", data={"csrf": csrf_of(page), "reason": "wrong address"})
    assert resp.status == 200 and await node.count() == before + 1
    event = await svc.event(ours.id)
    assert event.payload is None  # dropped here at once
    again = await client.post(f"/redact/{ours.id.hex()}", data={"csrf": csrf_of(page), "reason": "again"})
    assert again.status == 422 and "Error:" in await again.text() and await node.count() == before + 1
