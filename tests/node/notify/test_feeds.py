"""Calendar and Atom feeds, read back with independent parsers (icalendar, feedparser) as a calendar app would."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
from icalendar import Calendar

from node.members import ACCOUNTS
from node.notices import Source
from node.notify import NOTIFY

from ..web.conftest import csrf_of

START = 1_900_000_000_000  # 2030-03-17


async def _log_in(client, name: str) -> None:
    page = await client.get("/login")
    form = {"csrf": csrf_of(await page.text()), "name": name, "secret": "a good password", "next": "/"}
    assert (await client.post("/login", data=form)).status == 200


def _events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


async def test_the_node_calendar_follows_updates_and_cancellations(client, node, node_factory):
    service = node.service
    leith = node.service.identity.group_id
    callout = await service.publish(
        "callout.published",
        {"title": "Eviction at 7am", "text": "Bodies at the door", "needs": ["people"], "urgency": "critical",
         "where": "12 Leith Walk", "starts_at": START, "ends_at": START + 3_600_000},
    )  # fmt: skip
    undated = await service.publish("callout.published", {"title": "Money", "text": "t", "needs": ["money"]})
    assembly = await service.publish("assembly.scheduled", {"title": "Spring assembly", "starts_at": START, "where": "Hall"})
    other, _ = node_factory("Glasgow Renters")
    theirs = await other.publish("callout.published", {"title": "Their call", "text": "t", "needs": ["people"],
                                                        "starts_at": START + 86_400_000})  # fmt: skip
    await service.ingest([e for _, e in await other.astore.notifications(0, 10)], source=Source.PEER)

    resp = await client.get("/calendar.ics")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/calendar")
    host = client.server.host
    events = _events(await resp.read())
    assert set(events) == {f"{callout.id.hex()}@{host}", f"{assembly.id.hex()}@{host}", f"{theirs.id.hex()}@{host}"}
    assert f"{undated.id.hex()}@{host}" not in events  # (no time: nothing to put in a calendar)
    entry = events[f"{callout.id.hex()}@{host}"]
    assert str(entry["SUMMARY"]) == "[Critical] Eviction at 7am (Leith Tenants)"
    assert str(entry["LOCATION"]) == "12 Leith Walk" and str(entry["STATUS"]) == "CONFIRMED"
    assert entry.decoded("DTSTART") == datetime.fromtimestamp(START / 1000, UTC)
    assert entry.decoded("DTEND") == datetime.fromtimestamp(START / 1000 + 3600, UTC)
    assert f"/callouts/{callout.id.hex()}" in str(entry["URL"]) and "Bodies at the door" in str(entry["DESCRIPTION"])
    assert int(entry["SEQUENCE"]) == 0

    await service.publish("callout.updated", {"callout": callout.id.hex(), "where": "14 Leith Walk"})
    await service.publish("callout.withdrawn", {"callout": callout.id.hex(), "reason": "they backed off"})
    events = _events(await (await client.get("/calendar.ics")).read())
    entry = events[f"{callout.id.hex()}@{host}"]  # the same UID: the calendar changes the entry it holds
    assert str(entry["LOCATION"]) == "14 Leith Walk" and str(entry["STATUS"]) == "CANCELLED"
    assert int(entry["SEQUENCE"]) == 2

    group = _events(await (await client.get(f"/groups/{leith}/calendar.ics")).read())
    assert set(group) == {f"{callout.id.hex()}@{host}", f"{assembly.id.hex()}@{host}"}
    assert (await client.get("/groups/not-a-group/calendar.ics")).status == 400


async def test_a_members_private_calendar_link_shows_who_made_what_and_can_be_revoked(client, node):
    app = client.server.app
    accounts = app[ACCOUNTS]
    _, link = accounts.invite("Orla", "organiser", "orla@example.org")
    accounts.accept(link, "a good password")
    await _log_in(client, "Orla")
    csrf = csrf_of(await (await client.get("/account/notifications")).text())
    published = await client.post("/publish/assembly.scheduled", data={"csrf": csrf, "title": "Members' assembly",
                                                                        "starts_at": "2030-03-17T19:00"})  # fmt: skip
    assert published.status == 200, await published.text()
    made = await client.post("/account/calendar", data={"csrf": csrf})
    assert made.status == 201
    url = next(line for line in (await made.text()).split('"') if "/calendar/snc_" in line)
    path = url[url.index("/calendar/") :]
    resp = await client.get(path)
    assert resp.status == 200 and "private" in resp.headers["Cache-Control"]
    (entry,) = _events(await resp.read()).values()
    assert "Made through this node by Orla (session)" in str(entry["DESCRIPTION"])
    public = _events(await (await client.get("/calendar.ics")).read())
    assert "Orla" not in str(next(iter(public.values()))["DESCRIPTION"])  # who did what is the group's own

    assert (await client.post("/account/calendar/revoke", data={"csrf": csrf})).status == 200
    gone = await client.get(path)
    assert gone.status == 410 and "not known" in await gone.text()
    assert app[NOTIFY].calendar_member(path.rsplit("/", 1)[1]) is None


async def test_atom_feeds_of_callouts_reports_and_decisions_parse(client, node, node_factory):
    service = node.service
    await service.publish("callout.published", {"title": "Bodies needed", "text": "Leith", "needs": ["people"],
                                                "urgency": "high", "where": "Leith"})  # fmt: skip
    await service.publish("callout.published", {"title": "Money needed", "text": "rent", "needs": ["money"], "where": "Govan"})
    report = await service.publish("report.published", {"title": "We stopped it", "text": "Fifty of us came",
                                                        "lessons": ["come early"]})  # fmt: skip
    await service.publish("decision.recorded", {"text": "We go on rent strike in May", "outcome": "adopted"})

    resp = await client.get("/feeds/callouts.atom")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(await resp.read())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == ["[High] Bodies needed", "Money needed"]
    first = feed.entries[0]
    assert first.id.startswith("urn:solnet:event:") and first.link.endswith("/callouts/" + first.id.rsplit(":", 1)[1])
    assert first.author == "Leith Tenants" and {t.term for t in first.tags} >= {"people", "urgency:high"}

    filtered = feedparser.parse(await (await client.get("/feeds/callouts.atom?need=money")).read())
    assert [e.title for e in filtered.entries] == ["Money needed"]
    by_area = feedparser.parse(await (await client.get("/feeds/callouts.atom?area=leith")).read())
    assert [e.title for e in by_area.entries] == ["[High] Bodies needed"]
    assert (await client.get("/feeds/callouts.atom?need=snacks")).status == 400

    reports = feedparser.parse(await (await client.get("/feeds/reports.atom")).read())
    assert not reports.bozo and [e.title for e in reports.entries] == ["We stopped it"]
    assert reports.entries[0].id == f"urn:solnet:event:{report.id.hex()}" and "come early" in reports.entries[0].content[0].value
    decisions = feedparser.parse(await (await client.get("/feeds/decisions.atom")).read())
    assert not decisions.bozo and [e.title for e in decisions.entries] == ["We go on rent strike in May"]


async def test_what_is_new_since_the_last_visit(client, node):
    accounts = client.server.app[ACCOUNTS]
    member, link = accounts.invite("Orla", "member", None)
    accounts.accept(link, "a good password")
    await _log_in(client, "Orla")
    first = await (await client.get("/")).text()
    assert "New since your last visit" not in first
    notes = client.server.app[NOTIFY]
    seen = notes.choices(member.id).seen
    with notes.db.tx("moving the visit back") as tx:  # the visit ended an hour ago
        tx.run(f"UPDATE {notes.prefs.t} SET seen = ? WHERE member_id = ?", (seen - 3_600_000, member.id))
    await node.service.publish("callout.published", {"title": "Fresh call", "text": "t", "needs": ["people"]})
    html = await (await client.get("/")).text()
    news = html.split("New since your last visit")[1].split("</section>")[0]
    assert "Fresh call" in news
    again = await (await client.get("/")).text()  # the same visit: still measured from the one before
    assert "New since your last visit" in again


async def test_an_atom_entry_carries_the_language_its_post_says(client, node):
    service = node.service
    await service.publish("callout.published", {"title": "Furgonetka", "text": "Pilne", "needs": ["materials"], "lang": "pl"})
    await service.publish("callout.published", {"title": "Van", "text": "Urgent", "needs": ["materials"]})
    await service.publish("report.published", {"title": "أسبوع", "text": "نص", "lang": "ar"})
    await service.publish("decision.recorded", {"text": "Huelga de alquileres", "outcome": "adopted", "lang": "es"})
    body = await (await client.get("/feeds/callouts.atom")).read()
    callouts = feedparser.parse(body)
    assert not callouts.bozo, callouts.bozo_exception
    said = {e.title: (e.title_detail.language, e.content[0].language) for e in callouts.entries}
    assert said["Furgonetka"] == ("pl", "pl")
    assert said["Van"] == (None, None) and body.count(b"xml:lang") == 1  # a post that says none: no language
    reports = feedparser.parse(await (await client.get("/feeds/reports.atom")).read())
    assert [(e.title, e.content[0].language) for e in reports.entries] == [("أسبوع", "ar")]
    decisions = feedparser.parse(await (await client.get("/feeds/decisions.atom")).read())
    assert [e.content[0].language for e in decisions.entries] == ["es"]
