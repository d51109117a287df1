"""The JSON API on a real server: reads, the token-guarded write, and every rejection path storing nothing."""

from __future__ import annotations

import asyncio
import json

import pytest

from events import Identity
from node import queries

from .conftest import publish_as

CALLOUT = {
    "title": "Eviction resistance at 7am Tuesday",
    "text": "We need bodies at the door.",
    "needs": ["people"],
    "urgency": "critical",
    "where": "12 Elm Street",
}


async def publish(api, kind, payload, status=201):
    resp = await api.post("/api/v1/events", json={"kind": kind, "payload": payload}, headers=api.auth)
    body = await resp.json()
    assert resp.status == status, body
    return body


async def own_events(api) -> int:
    return (await (await api.get("/api/v1/node")).json())["own_events"]


async def test_publish_and_read_back(api):
    campaign = await publish(api, "campaign.created", {"title": "Save Elm Street"})
    callout = await publish(api, "callout.published", {**CALLOUT, "campaign": campaign["id"]})
    assert callout["kind"] == "callout.published" and callout["seq"] == 2
    pledge = {"callout": callout["id"], "need": "people", "offer": "five of us", "quantity": 5}
    await publish_as(api.service, Identity.generate(), "pledge.made", pledge)  # another group's pledge on our callout

    body = await (await api.get("/api/v1/callouts")).json()
    [listed] = body["callouts"]
    assert listed["title"] == CALLOUT["title"]
    assert listed["totals"]["pledges"] == 1 and listed["totals"]["needs"][0]["quantity"] == 5
    assert listed["pledges"][0]["offer"] == "five of us"

    one = await (await api.get(f"/api/v1/callouts/{callout['id']}")).json()
    assert one["campaign"] == campaign["id"]
    report = await publish(api, "report.published", {"title": "We won", "text": "Lessons", "campaign": campaign["id"]})
    decision = await publish(api, "decision.recorded", {"text": "Occupy the office", "campaign": campaign["id"]})
    camp = await (await api.get(f"/api/v1/campaigns/{campaign['id']}")).json()
    assert [c["id"] for c in camp["callouts"]] == [callout["id"]]
    assert [r["id"] for r in camp["reports"]] == [report["id"]]
    assert [d["id"] for d in camp["decisions"]] == [decision["id"]]

    event = await (await api.get(f"/api/v1/events/{callout['id']}")).json()
    assert event["payload"]["title"] == CALLOUT["title"] and event["author"] == api.service.group_id

    info = await (await api.get("/api/v1/node")).json()
    assert info["own_events"] == 4 and info["group_id"] == api.service.group_id  # the pledge is the other group's
    digest = await (await api.get("/api/v1/digest")).json()
    assert digest["state_digest"] == info["state_digest"] and len(digest["state_digest"]) == 64


async def test_filters(api):
    await publish(api, "callout.published", {**CALLOUT, "needs": ["money"], "urgency": "low", "where": "Leeds"})
    await publish(api, "callout.published", {**CALLOUT, "title": "Bodies", "where": "Bristol"})
    titles = [c["title"] for c in (await (await api.get("/api/v1/callouts")).json())["callouts"]]
    assert titles == ["Bodies", CALLOUT["title"]]  # critical before low
    money = (await (await api.get("/api/v1/callouts?need=money")).json())["callouts"]
    assert [c["where"] for c in money] == ["Leeds"]
    area = (await (await api.get("/api/v1/callouts?area=bristol")).json())["callouts"]
    assert [c["where"] for c in area] == ["Bristol"]
    mine = (await (await api.get(f"/api/v1/callouts?author={api.service.group_id}")).json())["callouts"]
    assert len(mine) == 2
    resp = await api.get("/api/v1/callouts?need=cake")
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "need"


async def test_groups_and_profile(api):
    await publish(api, "group.profile", {"name": "Elm Street Tenants", "area": "Leeds"})
    groups = (await (await api.get("/api/v1/groups")).json())["groups"]
    assert groups[0]["name"] == "Elm Street Tenants" and groups[0]["forked"] is False
    one = await (await api.get(f"/api/v1/groups/{api.service.group_id}")).json()
    assert one["area"] == "Leeds"


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "unauthorized"), ({"Authorization": "Bearer wrong"}, "unauthorized"), ({"Authorization": "Basic x"}, "unauthorized")],
)
async def test_bad_token_stores_nothing(api, headers, code):
    resp = await api.post("/api/v1/events", json={"kind": "callout.published", "payload": CALLOUT}, headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == code
    assert await own_events(api) == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, "body"),
        (b"[1, 2]", 400, "body"),
        (json.dumps({"kind": "callout.published"}).encode(), 400, "payload"),
        (json.dumps({"kind": "callout.published", "payload": CALLOUT, "extra": 1}).encode(), 400, "extra"),
        (json.dumps({"kind": "no.such", "payload": {}}).encode(), 400, "kind"),
        (json.dumps({"kind": "callout.published", "payload": {**CALLOUT, "colour": "red"}}).encode(), 422, "colour"),
        (json.dumps({"kind": "callout.published", "payload": {**CALLOUT, "needs": ["cake"]}}).encode(), 422, "needs"),
        (json.dumps({"kind": "callout.published", "payload": {**CALLOUT, "title": "x" * 5000}}).encode(), 422, "title"),
        (
            json.dumps({"kind": "pledge.made", "payload": {"callout": "zz", "need": "people", "offer": "x"}}).encode(),
            422,
            "callout",
        ),
        (json.dumps({"kind": "callout.published", "payload": {**CALLOUT, "text": "y" * 200_000}}).encode(), 413, "body"),
    ],
)
async def test_bad_input_stores_nothing(api, body, status, field):
    headers = {**api.auth, "Content-Type": "application/json"}
    resp = await api.post("/api/v1/events", data=body, headers=headers)
    error = (await resp.json())["error"]
    assert resp.status == status, error
    assert error["field"] == field
    assert await own_events(api) == 0


async def test_not_found_and_bad_ids(api):
    resp = await api.get("/api/v1/events/" + "00" * 32)
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    resp = await api.get("/api/v1/callouts/xyz")
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "id"
    resp = await api.get("/api/v1/groups/sn_nope")
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "group_id"
    resp = await api.get("/api/v1/nothing-here")
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"


async def test_openapi_lists_every_route(api):
    doc = await (await api.get("/api/v1/openapi.json")).json()
    served = {r.resource.canonical for r in api.server.app.router.routes() if r.resource and r.method != "HEAD"}
    served = {p for p in served if p.startswith("/api/v1/") and p != "/api/v1/openapi.json"}
    assert served <= set(doc["paths"]), served - set(doc["paths"])


async def test_redaction_drops_the_payload_keeps_the_header(api):
    callout = await publish(api, "callout.published", CALLOUT)
    await publish(api, "log.redact", {"event": callout["id"], "reason": "posted the wrong address"})
    event = await (await api.get(f"/api/v1/events/{callout['id']}")).json()
    assert event["payload_dropped"] is True and event["payload"] is None
    assert event["header_hex"] and event["signature"]
    assert (await (await api.get("/api/v1/callouts?status=all")).json())["callouts"] == []
    # a second redaction of the same event, or one naming an event that is not ours, is refused
    again = await publish(api, "log.redact", {"event": callout["id"]}, status=409)
    assert again["error"]["field"] == "event" and again["error"]["code"] == "already_redacted"
    other = await publish(api, "log.redact", {"event": "ab" * 32}, status=404)
    assert other["error"]["field"] == "event"


async def test_key_rotation_cannot_be_published_yet(api):
    body = await publish(api, "key.commit", {"next": "00" * 32}, status=400)  # not a kind the document offers
    assert body["error"]["field"] == "kind"
    assert await own_events(api) == 0


async def test_a_peers_redaction_drops_the_payload_here(node_factory):
    a, _ = node_factory("A")
    b, _ = node_factory("B")
    try:
        callout = await a.publish("callout.published", CALLOUT)
        await b.ingest([callout])  # B holds the callout with its payload, as gossip would deliver it
        assert (await b.astore.get(callout.id)).payload is not None
        assert len((await b.query(queries.list_callouts)).items) == 1

        redact = await a.publish("log.redact", {"event": callout.id.hex()})
        assert (await a.astore.get(callout.id)).payload is None  # A dropped its own payload
        result = await b.ingest([redact])
        assert [e.id for e in result.stored] == [redact.id]
        assert (await b.astore.get(callout.id)).payload is None  # and so did B; the header stays and verifies
        assert (await b.query(queries.list_callouts, status="all")).items == []
        assert await b.digest() == await a.digest()  # same events, same read models

        c, _ = node_factory("C")  # a node that only ever sees the header-only copy agrees too
        try:
            await c.ingest(await a.astore.read_log(a.identity.public_key, 1, 10))
            assert await c.digest() == await a.digest()
        finally:
            await c.close()
    finally:
        await a.close()
        await b.close()


async def test_a_large_publish_arriving_in_pieces_is_read_whole(api):
    # A 46 KB report whose body reaches the server as 1,000 bytes, a pause, then the rest (issue 13, item 4).
    payload = {"title": "What we learnt", "text": "x" * 9000, "lessons": ["organise early " * 66] * 36}
    body = json.dumps({"kind": "report.published", "payload": payload}).encode()
    assert len(body) > 40_000

    async def pieces():
        yield body[:1000]
        await asyncio.sleep(0.2)
        yield body[1000:]

    headers = {**api.auth, "Content-Type": "application/json"}
    resp = await api.post("/api/v1/events", data=pieces(), headers=headers)
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["kind"] == "report.published"
    assert await own_events(api) == 1


async def test_a_body_over_the_limit_in_pieces_is_refused_and_nothing_is_stored(api):
    async def pieces():
        yield b'{"kind": "report.published", "payload": {"title": "t", "text": "'
        for _ in range(200):
            yield b"y" * 1024
        yield b'"}}'

    resp = await api.post("/api/v1/events", data=pieces(), headers={**api.auth, "Content-Type": "application/json"})
    assert resp.status == 413
    assert await own_events(api) == 0


async def test_deeply_nested_json_is_a_clear_400_not_a_crash(api):
    body = b'{"kind": "report.published", "payload": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    resp = await api.post("/api/v1/events", data=body, headers={**api.auth, "Content-Type": "application/json"})
    assert resp.status == 400 and "nested too deeply" in (await resp.json())["error"]["message"]
    assert await own_events(api) == 0


async def test_lists_filter_and_page_with_cursors(api):
    campaign = await publish(api, "campaign.created", {"title": "Save Elm Street"})
    others = Identity.generate()  # pledges answer another group's callouts (node/references.py)
    callouts = [
        {"id": (await publish_as(api.service, others, "callout.published", {**CALLOUT, "title": f"Call {i}"})).id.hex()}
        for i in range(2)
    ]
    pledged = [
        await publish(api, "pledge.made", {"callout": callouts[i % 2]["id"], "need": "people", "offer": f"o{i}"})
        for i in range(5)
    ]
    await publish(api, "report.published", {"title": "Elsewhere", "text": "t"})
    report = await publish(api, "report.published", {"title": "Ours", "text": "t", "campaign": campaign["id"]})
    await publish(api, "decision.recorded", {"text": "no campaign"})
    decision = await publish(api, "decision.recorded", {"text": "ours", "campaign": campaign["id"]})

    async def walk(path: str) -> list[str]:
        ids, url = [], path
        while True:
            body = await (await api.get(url)).json()
            name = path.split("/")[3].split("?")[0]
            assert len(body[name]) <= 2
            ids += [item["id"] for item in body[name]]
            if body["next"] is None:
                return ids
            url = f"{path}&cursor={body['next']}"

    mine = [p["id"] for p in reversed(pledged) if p["payload"]["callout"] == callouts[0]["id"]]
    assert await walk(f"/api/v1/pledges?limit=2&callout={callouts[0]['id']}") == mine  # newest first, 2 a page
    assert len(await walk("/api/v1/pledges?limit=2")) == 5
    assert await walk(f"/api/v1/reports?limit=2&campaign={campaign['id']}") == [report["id"]]
    assert await walk(f"/api/v1/decisions?limit=2&campaign={campaign['id']}") == [decision["id"]]
    assert await walk("/api/v1/campaigns?limit=2&status=active") == [campaign["id"]]
    for bad, field in (("limit=0", "limit"), ("limit=201", "limit"), ("cursor=%21%21", "cursor"), ("callout=xyz", "callout")):
        resp = await api.get(f"/api/v1/pledges?{bad}")
        assert resp.status == 400 and (await resp.json())["error"]["field"] == field, bad


async def test_a_method_not_allowed_says_which_are(api):
    resp = await api.put("/api/v1/callouts", json={})
    assert resp.status == 405 and set(resp.headers["Allow"].split(",")) >= {"GET"}
    assert (await resp.json())["error"]["code"] == "method_not_allowed"
    resp = await api.delete("/api/v1/peers")
    assert resp.status == 405 and {"GET", "POST"} <= set(resp.headers["Allow"].split(","))


async def test_what_the_document_allows_is_what_is_accepted(api):
    doc = await (await api.get("/api/v1/openapi.json")).json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/callouts"]["get"]["parameters"]}
    assert params["since"]["type"] == "integer" and params["author"]["pattern"].startswith("^sn_")
    assert doc["paths"]["/api/v1/callouts/{id}"]["get"]["parameters"][0]["schema"]["pattern"] == "^[0-9a-fA-F]{64}$"
    resp = await api.get("/api/v1/callouts/0")  # the example: refused, and the document says so by its pattern
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "id"
    assert (await api.get("/api/v1/callouts/" + "0" * 64)).status == 404
    for query, field in (
        ("since=soon", "since"),
        ("author=someone", "author"),
        ("limit=1&limit=2", "limit"),
        ("limit=", "limit"),
    ):
        resp = await api.get(f"/api/v1/callouts?{query}")
        assert resp.status == 400 and (await resp.json())["error"]["field"] == field, query
    assert (await api.get(f"/api/v1/callouts?since=0&author={api.service.group_id}")).status == 200
    publish = doc["paths"]["/api/v1/events"]["post"]
    assert (
        publish["security"] == [{"token": ["publish"]}]
        and "callout.published" in publish["requestBody"]["content"]["application/json"]["examples"]
    )


async def test_an_assembly_updated_cancelled_and_only_by_its_author(api):
    assembly = await publish(api, "assembly.scheduled", {"title": "AGM", "starts_at": 1_800_000_000_000, "where": "Hall"})
    await publish(api, "assembly.updated", {"assembly": assembly["id"], "where": "Library"})
    await publish(api, "assembly.cancelled", {"assembly": assembly["id"], "reason": "Flooded"})
    [shown] = (await (await api.get("/api/v1/assemblies")).json())["assemblies"]
    assert (shown["where"], shown["status"], shown["reason"]) == ("Library", "cancelled", "Flooded")
    ended = await own_events(api)
    again = (await publish(api, "assembly.updated", {"assembly": assembly["id"], "where": "Park"}, status=400))["error"]
    assert again["field"] == "assembly" and "is cancelled: it can no longer be changed" in again["message"]
    assert await own_events(api) == ended  # a change the read models would ignore is not signed
    theirs = await publish_as(api.service, Identity.generate(), "report.published", {"title": "Theirs", "text": "t"})
    before = await own_events(api)
    refused = (await publish(api, "report.withdrawn", {"report": theirs.id.hex()}, status=400))["error"]
    assert refused["field"] == "report" and "another group's" in refused["message"]
    assert await own_events(api) == before  # nothing signed or stored
    author = Identity.generate()
    proposal = await publish_as(api.service, author, "proposal.tabled", {"title": "Strike", "text": "t"})
    await publish_as(api.service, author, "proposal.withdrawn", {"proposal": proposal.id.hex()})
    late = (await publish(api, "position.taken", {"proposal": proposal.id.hex(), "position": "agree"}, status=400))["error"]
    assert late["field"] == "proposal" and "withdrawn" in late["message"]
    assert await own_events(api) == before
