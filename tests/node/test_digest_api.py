"""The state digest (version 2) and the group digests on a real server: what they are, and their pagination."""

from __future__ import annotations

from events import Identity, create_event, group_id_text
from events.kinds import build_payload
from events.readmodel.digest import group_digests, state_digest_v2
from events.readmodel.memory import replay

T0 = 1_700_000_000_000


def _profiles(count: int) -> list:
    events = []
    for n in range(count):
        who = Identity.from_seed(bytes([n + 40]) * 32)
        payload = build_payload("group.profile", {"name": f"Group {n}"})
        events.append(create_event(who, kind="group.profile", payload=payload, timestamp=T0 + n, previous=None))
    return events


async def _stored(api) -> list:
    store = api.service.read_models.store
    return [event for _, event in store.iter_notifications()]


async def test_the_digest_is_version_2_of_the_stored_events_and_follows_each_write(api):
    auth = api.auth
    first = await (await api.get("/api/v1/digest")).json()
    assert first == {"state_digest": state_digest_v2(replay(await _stored(api))), "version": 2}
    resp = await api.post("/api/v1/events", json={"kind": "group.profile", "payload": {"name": "Renamed"}}, headers=auth)
    assert resp.status == 201
    second = await (await api.get("/api/v1/digest")).json()
    assert second["state_digest"] == state_digest_v2(replay(await _stored(api))) != first["state_digest"]
    info = await (await api.get("/api/v1/node")).json()
    assert info["state_digest"] == second["state_digest"] and info["state_digest_version"] == 2


async def test_group_digests_are_paginated_and_say_which_group_differs(api):
    api.service.read_models.store.ingest(_profiles(5))
    await api.service.refresh()
    expected = group_digests(replay(await _stored(api)))
    assert len(expected) == 5
    seen, url = [], "/api/v1/digest/groups?limit=2"
    while url is not None:
        body = await (await api.get(url)).json()
        assert len(body["groups"]) <= 2 and body["version"] == 2
        seen += body["groups"]
        url = body["next"]
    assert seen == [{"group": group_id_text(a), "digest": d.hex()} for a, d in expected]
    default = await (await api.get("/api/v1/digest/groups")).json()
    assert default["groups"] == seen and default["next"] is None
    after = await (await api.get(f"/api/v1/digest/groups?after={seen[3]['group']}")).json()
    assert after["groups"] == seen[4:]


async def test_bad_pagination_parameters_are_a_clear_400(api):
    for query, field in (("after=nope", "after"), ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit")):
        resp = await api.get(f"/api/v1/digest/groups?{query}")
        body = await resp.json()
        assert resp.status == 400 and body["error"]["field"] == field, (query, body)
