"""Threads and proposal processes on one real node: replies find their thread, blocked groups are hidden, threads are
paged newest activity first, positions that would not count are refused, proposal and assembly pages and the API."""

from __future__ import annotations

import itertools
import re

from events import Identity, create_event_from_value
from events.kinds import build_value

from .conftest import login

OUTSIDERS = [Identity.from_seed(bytes([40 + i]) * 32) for i in range(2)]
CLOCK = itertools.count(1_760_000_000_000, 1000)  # every outsider event a second after the one before, in creation order


class Outsider:
    """Another group's log, built event by event and handed to the node as if gossip brought it."""

    def __init__(self, identity: Identity, name: str):
        self.identity = identity
        self.events = []
        self.add("group.profile", {"name": name})

    def add(self, kind: str, fields: dict):
        previous = self.events[-1] if self.events else None
        value = build_value(kind, fields)
        event = create_event_from_value(self.identity, kind=kind, value=value, timestamp=next(CLOCK), previous=previous)
        self.events.append(event)
        return event


async def thread_of(client, item: str, query: str = "") -> dict:
    resp = await client.get(f"/api/v1/threads/{item}{query}")
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_a_reply_shows_once_its_parent_arrives_and_own_replies_find_their_thread(client, node):
    callout = (await node.service.publish("callout.published", {"title": "Vans", "text": "Need a van", "needs": "materials"})).id
    b, c = Outsider(OUTSIDERS[0], "Portobello Food Bank"), Outsider(OUTSIDERS[1], "Granton Library")
    top = b.add("comment.posted", {"on": callout, "text": "When?"})
    reply = c.add("comment.posted", {"on": top.id, "root": callout, "text": "Tuesday, we heard"})
    await node.service.ingest(c.events)
    assert (await thread_of(client, callout.hex()))["comments"] == []  # the reply waits for its parent
    await node.service.ingest(b.events)
    comments = (await thread_of(client, callout.hex()))["comments"]
    assert [x["id"] for x in comments] == [reply.id.hex(), top.id.hex()]
    assert comments[0]["reply_to"] == {"id": top.id.hex(), "author_name": "Portobello Food Bank", "excerpt": "When?"}

    ours = await node.service.publish("comment.posted", {"on": reply.id.hex(), "text": "We can drive"})
    assert ours.payload_value()["root"] == callout  # filled from the parent's thread
    page = await (await client.get(f"/callouts/{callout.hex()}")).text()
    assert "We can drive" in page and "in reply to" in page and "Tuesday, we heard" in page


async def test_blocked_groups_comments_are_hidden(client, node):
    campaign = (await node.service.publish("campaign.created", {"title": "Save the library"})).id.hex()
    b, c = Outsider(OUTSIDERS[0], "Trolls Inc"), Outsider(OUTSIDERS[1], "Granton Library")
    spam = b.add("comment.posted", {"on": campaign, "text": "spam spam"})
    c.add("comment.posted", {"on": spam.id, "root": campaign, "text": "please stop"})
    fine = c.add("comment.posted", {"on": campaign, "text": "count us in"})
    await node.service.ingest(b.events + c.events)
    assert len((await thread_of(client, campaign))["comments"]) == 3
    assert "spam spam" in await (await client.get(f"/campaigns/{campaign}")).text()
    await node.service.publish("graph.block", {"group": b.identity.group_id})
    assert [x["id"] for x in (await thread_of(client, campaign))["comments"]] == [fine.id.hex()]  # the reply goes too
    page = await (await client.get(f"/campaigns/{campaign}")).text()
    assert "spam spam" not in page and "please stop" not in page and "count us in" in page


async def test_a_thread_is_paged_newest_activity_first_and_has_forms(client, node):
    report = (await node.service.publish("report.published", {"title": "How the picket went", "text": "Well"})).id.hex()
    ids = [(await node.service.publish("comment.posted", {"on": report, "text": f"note {i}"})).id.hex() for i in range(23)]
    first = await thread_of(client, report, "?limit=10")
    assert [x["id"] for x in first["comments"]] == ids[::-1][:10] and first["next"]
    second = await thread_of(client, report, f"?limit=10&cursor={first['next']}")
    assert [x["id"] for x in second["comments"]] == ids[::-1][10:20]
    await node.service.publish("comment.updated", {"comment": ids[0], "text": "note 0, edited"})
    assert (await thread_of(client, report, "?limit=1"))["comments"][0]["text"] == "note 0, edited"  # newest activity
    csrf = await login(client, node.token)
    page = await (await client.get(f"/events/{report}")).text()  # a report's thread lives on its event page
    assert "How the picket went" in page and page.count('<li class="comment"') == 20 and "Older comments" in page
    assert f'name="csrf" value="{csrf}"' in page and "Post comment" in page and "Post reply" in page
    older = re.search(r'href="([^"]*thread=[^"]+)"', page).group(1).replace("&amp;", "&")
    page = await (await client.get(older)).text()
    assert page.count('<li class="comment"') == 3
    resp = await client.post(
        "/publish/comment.withdrawn", data={"csrf": csrf, "comment": ids[1], "next": f"/events/{report}"}, allow_redirects=False
    )
    assert resp.status == 303
    withdrawn = (await thread_of(client, report, "?limit=1"))["comments"][0]
    assert withdrawn["status"] == "withdrawn" and "text" not in withdrawn


async def test_the_thread_s_forms_ask_a_comment_s_language_starting_at_the_page_s(client, node):
    report = (await node.service.publish("report.published", {"title": "Semana dos", "text": "Bien"})).id.hex()
    top = (await node.service.publish("comment.posted", {"on": report, "text": "¿Cuándo?"})).id.hex()
    csrf = await login(client, node.token)
    page = await (await client.get(f"/events/{report}", headers={"Accept-Language": "es"})).text()
    for fid in (f"comment-lang-{report}", f"reply-lang-{top}"):  # the comment box and the reply box under a comment
        select = re.search(rf'<select id="{fid}" name="lang"[^>]*>(.*?)</select>', page, re.S).group(1)
        assert '<option value="es" selected>Español</option>' in select and '<option value="pl">Polaco</option>' in select
        assert select.count(" selected") == 1 and f'<label class="inline" for="{fid}">Idioma</label>' in page
    english = await (await client.get(f"/events/{report}")).text()
    assert f'<select id="reply-lang-{top}"' in english and '<option value="en" selected>English</option>' in english
    before = await node.count()
    bad = {"csrf": csrf, "on": top, "root": report, "text": "El martes", "lang": "ES", "next": f"/events/{report}"}
    resp = await client.post("/publish/comment.posted", data=bad)
    assert resp.status == 422 and await node.count() == before  # a bad tag changes nothing
    resp = await client.post("/publish/comment.posted", data={**bad, "lang": "pl"}, allow_redirects=False)
    assert resp.status == 303 and await node.count() == before + 1
    reply = (await thread_of(client, report, "?limit=1"))["comments"][0]
    assert reply["text"] == "El martes" and reply["lang"] == "pl" and reply["reply_to"]["id"] == top


async def test_an_item_with_its_own_page_is_sent_there(client, node):
    callout = (await node.service.publish("callout.published", {"title": "Vans", "text": "x", "needs": "materials"})).id.hex()
    resp = await client.get(f"/events/{callout}", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == f"/callouts/{callout}"
    assert (await client.get(f"/events/{'ab' * 32}")).status == 404


async def test_positions_that_would_not_count_are_refused(client, node):
    me = node.service.group_id
    consensus = (await node.service.publish("proposal.tabled", {"title": "Strike", "text": "x", "process": "consensus"})).id.hex()
    vote = await node.service.publish(
        "proposal.tabled", {"title": "When", "text": "x", "process": "vote", "options": "March\nApril"}
    )
    others = await node.service.publish(
        "proposal.tabled", {"title": "Theirs", "text": "x", "process": "consent", "asked": OUTSIDERS[0].group_id}
    )
    closed = await node.service.publish("proposal.tabled", {"title": "Old", "text": "x", "process": "consent", "closes_at": 1})
    headers = {"Authorization": f"Bearer {node.token}"}
    cases = [
        ({"proposal": consensus, "position": "block"}, "reason"),
        ({"proposal": consensus, "position": "consent"}, "position"),
        ({"proposal": vote.id.hex(), "position": "vote", "option": "May"}, "option"),
        ({"proposal": others.id.hex(), "position": "consent"}, "position"),
        ({"proposal": closed.id.hex(), "position": "consent"}, "position"),
    ]
    before = await node.count()
    for payload, field in cases:
        resp = await client.post("/api/v1/events", json={"kind": "position.taken", "payload": payload}, headers=headers)
        assert resp.status == 400, payload
        assert (await resp.json())["error"]["field"] == field, payload
    csrf = await login(client, node.token)
    resp = await client.post("/publish/position.taken", data={"csrf": csrf, "proposal": consensus, "position": "block"})
    assert resp.status == 422 and "needs a reason" in await resp.text()
    assert await node.count() == before
    resp = await client.post(
        "/publish/position.taken",
        data={"csrf": csrf, "proposal": consensus, "position": "block", "reason": "not yet", "next": "/x"},
        allow_redirects=False,
    )
    assert resp.status == 303
    proposal = await (await client.get(f"/api/v1/proposals/{consensus}")).json()
    assert proposal["process"] == "consensus" and proposal["closed"] is False and proposal["outcome"] is None
    assert {"position": "block", "count": 1} in proposal["tally"]
    assert [(a["group"], a["reason"]) for a in proposal["answers"]] == [(me, "not yet")]


async def test_closed_proposal_shows_outcome_and_who_did_not_answer(client, node):
    b = Outsider(OUTSIDERS[0], "Portobello Food Bank")
    asked = f"{OUTSIDERS[0].group_id}\n{OUTSIDERS[1].group_id}"
    proposal = await node.service.publish(
        "proposal.tabled", {"title": "Strike", "text": "x", "process": "consent", "asked": asked, "closes_at": 1_770_000_000_000}
    )
    b.add("position.taken", {"proposal": proposal.id, "position": "object", "reason": "too soon"})
    b.add("position.taken", {"proposal": proposal.id, "position": "consent"})  # later, still before closing
    await node.service.ingest(b.events)
    found = await (await client.get(f"/api/v1/proposals/{proposal.id.hex()}")).json()
    assert found["closed"] is True
    assert found["outcome"]["result"] == "consented" and found["outcome"]["decision"] == "adopted"
    assert [w["group"] for w in found["waiting"]] == [OUTSIDERS[1].group_id]
    assert [(h["name"], h["position"]) for h in found["history"]] == [
        ("Portobello Food Bank", "object"),
        ("Portobello Food Bank", "consent"),
    ]
    await login(client, node.token)
    page = await (await client.get(f"/proposals/{proposal.id.hex()}")).text()
    assert "Consented (no objection)" in page and "Record the decision" in page and "Not yet answered" in page
    assert "Record our position" not in page


async def test_a_blocked_proposal_s_outcome_is_worded_in_the_page_s_language_and_the_api_s_stays(client, node):
    b = Outsider(OUTSIDERS[0], "Granton Library Occupation")
    proposal = await node.service.publish(
        "proposal.tabled", {"title": "Huelga", "text": "x", "process": "consensus", "closes_at": 1_770_000_000_000}
    )
    b.add("position.taken", {"proposal": proposal.id, "position": "block", "reason": "todavía no"})
    await node.service.ingest(b.events)
    found = await (await client.get(f"/api/v1/proposals/{proposal.id.hex()}")).json()
    assert found["outcome"]["summary"] == "Blocked by Granton Library Occupation"  # (the API's words stay)
    await login(client, node.token)
    await client.get("/language", params={"lang": "es"})
    page = await (await client.get(f"/proposals/{proposal.id.hex()}")).text()
    outcome = re.search(r'<p class="outcome"><strong>(.*?)</strong>', page).group(1)
    assert outcome == "Bloqueada por Granton Library Occupation"
    assert "Huelga: Bloqueada por Granton Library Occupation (Granton Library Occupation: todavía no)." in page
    assert "Blocked by" not in page


async def test_assembly_page_lists_agenda_minutes_and_decisions(client, node):
    assembly = (await node.service.publish("assembly.scheduled", {"title": "June assembly", "starts_at": 1_900_000_000_000})).id
    proposal = await node.service.publish("proposal.tabled", {"title": "Escalate", "text": "x", "assembly": assembly.hex()})
    await node.service.publish("report.published", {"title": "Minutes of June", "text": "We met", "assembly": assembly.hex()})
    await node.service.publish("decision.recorded", {"text": "We escalate", "proposal": proposal.id.hex(), "outcome": "adopted"})
    await node.service.publish("decision.recorded", {"text": "Next one in July", "assembly": assembly.hex()})
    page = await (await client.get(f"/assemblies/{assembly.hex()}")).text()
    for text in ("June assembly", "Escalate", "Minutes of June", "We escalate", "Next one in July", "Discussion"):
        assert text in page, text
    found = await (await client.get(f"/api/v1/assemblies/{assembly.hex()}")).json()
    assert [m["title"] for m in found["minutes"]] == ["Minutes of June"]
    assert {d["text"] for d in found["decisions"]} == {"We escalate", "Next one in July"}
    assert f'href="/assemblies/{assembly.hex()}"' in await (await client.get("/assemblies")).text()
