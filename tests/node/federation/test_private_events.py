"""Private callouts across three real nodes in a line A-B-C (issue 20's done-when, in process).

tests/node/web/test_browser_private.py does the same in a browser.
"""

from __future__ import annotations

import json

import aiohttp

from events.readmodel.digest import combine_groups
from events.readmodel.projection import CALLOUTS, PLEDGES
from node.private_events import private_callout, private_callouts

CALLOUT = {
    "title": "Bailiffs at Elm Street, 6am",
    "text": "Door blockade; keep it quiet.",
    "needs": ["people"],
    "urgency": "critical",
}


async def _get(url: str, token: str) -> tuple[int, str]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session, session.get(url) as resp:
        return resp.status, await resp.text()


async def test_callout_private_to_c_crosses_b_unread(cluster):
    for _ in range(3):
        cluster.add()
    cluster.link(0, 1)
    cluster.link(1, 2)
    await cluster.start()
    a, b, c = cluster.nodes
    for node in (a, b, c):
        await node.service.ensure_encryption_key()
    await cluster.wait_quiet()

    event = await a.service.publish_private("callout.published", CALLOUT, [c.service.identity.public_key])
    assert event.kind == "sealed"
    await cluster.wait_until(lambda: cluster.has_event(c, event.id), what="sealed callout at C")
    await cluster.wait_quiet()
    await c.service.refresh()

    # C reads it, marked private to A and C; A reads its own; B holds, verified and relayed it, and reads nothing.
    seen = await c.service.private_query(lambda private, public: private_callout(private, event.id))
    assert seen is not None and seen.callout.doc["title"] == CALLOUT["title"]
    assert set(seen.private_to) == {a.service.identity.public_key, c.service.identity.public_key}
    assert await a.service.private_query(lambda private, public: private_callout(private, event.id)) is not None
    assert await b.service.private_query(lambda private, public: private_callouts(private)) == []
    assert await cluster.has_event(b, event.id)
    for node in (a, b, c):
        assert await node.service.query(lambda v: [p.doc.get("title") for p in v.scan(CALLOUTS)]) == []
    for path in ("/api/v1/callouts", "/api/v1/search?q=Bailiffs", f"/api/v1/callouts/{event.id.hex()}"):
        status, body = await _get(b.url + path, b.token)
        assert "Bailiffs" not in body and "Elm Street" not in body, (path, status)

    # members read it through the private API: C's token, not B's; no token, no answer
    status, body = await _get(f"{c.url}/api/v1/private/callouts", c.token)
    assert status == 200 and [x["title"] for x in json.loads(body)["callouts"]] == [CALLOUT["title"]]
    assert sorted(json.loads(body)["callouts"][0]["private_to"]) == sorted(g.hex() for g in seen.private_to)
    status, body = await _get(f"{b.url}/api/v1/private/callouts", b.token)
    assert status == 200 and json.loads(body)["callouts"] == []
    status, _ = await _get(f"{c.url}/api/v1/private/callouts/{event.id.hex()}", "")
    assert status == 401
    status, _ = await _get(f"{b.url}/api/v1/private/callouts/{event.id.hex()}", b.token)
    assert status == 404

    # C pledges through the ordinary publish: the pledge goes out sealed, to A and C only.
    pledge = await c.service.publish("pledge.made", {"callout": event.id.hex(), "need": "people", "offer": "Six of us at 5:30"})
    assert pledge.kind == "sealed"
    await cluster.wait_until(lambda: cluster.has_event(a, pledge.id), what="sealed pledge at A")
    await cluster.wait_quiet()
    await a.service.refresh()
    at_a = await a.service.private_query(lambda private, public: private_callout(private, event.id))
    assert [p.doc["offer"] for p in at_a.pledges] == ["Six of us at 5:30"]
    status, body = await _get(f"{a.url}/api/v1/private/callouts/{event.id.hex()}", a.token)
    assert status == 200 and [p["offer"] for p in json.loads(body)["pledges"]] == ["Six of us at 5:30"]
    assert await b.service.private_query(lambda private, public: list(private.scan(PLEDGES))) == []
    for node in (a, b, c):
        assert await node.service.query(lambda v: list(v.scan(PLEDGES))) == []

    digests = {await node.service.digest() for node in (a, b, c)}
    assert len(digests) == 1, digests
    # A and C read the same sealed events: their private read models agree, document for document (and B has none)
    private = {}
    for node in (a, b, c):
        _, groups = await node.service.astore.read(node.service.read_models.private_views.digest_state)
        private[node.name] = combine_groups(groups)
    assert private[a.name] == private[c.name] != private[b.name] == combine_groups([])


async def test_rotated_encryption_key_still_opens_older_events_and_a_removed_group_reads_no_later_one(cluster):
    for _ in range(3):
        cluster.add()
    cluster.link(0, 1)
    cluster.link(1, 2)
    await cluster.start()
    a, b, c = cluster.nodes
    for node in (a, b, c):
        await node.service.ensure_encryption_key()
    await cluster.wait_quiet()
    first = await a.service.publish_private(
        "callout.published", CALLOUT, [b.service.identity.public_key, c.service.identity.public_key]
    )
    await c.service.rotate_encryption_key()
    await cluster.wait_quiet()
    # the update goes to the callout's recipients (b, c): sealed to c's new key, which c's ring holds with the old one
    await a.service.publish("callout.updated", {"callout": first.id.hex(), "text": "Moved to 5:30am"})
    await cluster.wait_quiet()
    for node in (b, c):
        await node.service.refresh()
        seen = await node.service.private_query(lambda private, public: private_callout(private, first.id))
        assert seen.callout.doc["text"] == "Moved to 5:30am"
    assert len(c.service.encryption_keys.pairs()) == 2
    # a later callout to c only: b (removed from the list) holds it, cannot read it
    second = await a.service.publish_private("callout.published", {**CALLOUT, "title": "Second"}, [c.service.identity.public_key])
    await cluster.wait_quiet()
    await b.service.refresh()
    assert await cluster.has_event(b, second.id)
    assert await b.service.private_query(lambda private, public: private_callout(private, second.id)) is None
    assert len({await n.service.digest() for n in (a, b, c)}) == 1
