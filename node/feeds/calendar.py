"""Calendar feeds (RFC 5545, written with `icalendar`): the node's assemblies and dated callouts, all or one group's.

Each entry's UID is its event id (stable across updates); SEQUENCE counts the changes made to it, LAST-MODIFIED says
when the newest was made, and a withdrawn callout stays in the feed as STATUS:CANCELLED, so a calendar that
subscribed updates or cancels the entry it holds. Entries ended more than PAST_DAYS ago are left out; at most
LIMIT of each kind, read in the database as one page each (`calendar_items`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar
from icalendar import Event as VEvent

from events.readmodel.projection import ASSEMBLIES, CALLOUTS
from events.readmodel.view import Put

from ..queries import doc_json, names_of
from ..store.listing_sql import Where
from ..store.views import ViewStore

PAST_DAYS = 30
LIMIT = 300
ASSEMBLY_HOURS = 2  # an assembly has no end time: shown as this long
CALLOUT_HOURS = 2  # nor does a callout that gives only a start
DESCRIPTION_MAX = 4000
PRODID = "-//Solidarity Network//solnet calendar//EN"


def calendar_items(view: ViewStore, now_ms: int, author: bytes | None = None) -> list[dict[str, Any]]:
    """Return the assemblies and dated callouts to show (of `author` only if given), each as JSON with `collection`,
    `author_name` and `changes`, soonest first."""
    since = now_ms - PAST_DAYS * 86400 * 1000
    callouts = [p for p in view.page(CALLOUTS, Where(author=author, until_from=since), None, LIMIT) if _dated(p)]
    assemblies = view.page(ASSEMBLIES, Where(author=author, starts_from=since), None, LIMIT)
    puts = callouts + assemblies
    names = names_of(view, [p.author for p in puts])
    items = []
    for put in puts:
        item = {**doc_json(put), "collection": put.collection, "author_name": names.get(put.author, "")}
        item["changes"] = max(0, len(put.doc.get("log") or ()) - 1)
        items.append(item)
    return sorted(items, key=lambda i: (i.get("starts_at") or 0, i["id"]))


def _dated(put: Put) -> bool:
    return isinstance(put.doc.get("starts_at"), int)


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def ical_feed(
    items: list[dict[str, Any]], *, name: str, base_url: str, private: Mapping[str, str] | None = None, host: str = "solnet"
) -> bytes:
    """Return the calendar of `items` (from `calendar_items`) as iCalendar bytes; `private` adds, per event id, what
    only the group's members may read (who made it, through which way in)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for item in items:
        cal.add_component(_vevent(item, base_url, (private or {}).get(item["id"]), host))
    return cal.to_ical()


def _vevent(item: dict[str, Any], base_url: str, private: str | None, host: str) -> VEvent:
    callout = item["collection"] == CALLOUTS
    link = f"{base_url}/callouts/{item['id']}" if callout else f"{base_url}/assemblies"
    start = _utc(item["starts_at"])
    hours = CALLOUT_HOURS if callout else ASSEMBLY_HOURS
    end = _utc(item["ends_at"]) if isinstance(item.get("ends_at"), int) else start + timedelta(hours=hours)
    who = item.get("author_name") or item["author"]
    title = f"{item.get('title', '')} ({who})"
    if callout and item.get("urgency") in ("high", "critical"):
        title = f"[{str(item['urgency']).capitalize()}] {title}"
    text = str(item.get("text") or item.get("agenda") or "")
    if callout and item.get("needs"):
        text = f"Needed: {', '.join(item['needs'])}\n\n{text}"
    if private:
        text = f"{text}\n\n{private}"
    event = VEvent()
    event.add("uid", f"{item['id']}@{host}")
    event.add("dtstamp", _utc(item.get("updated_at") or item.get("closed_at") or item["timestamp"]))
    event.add("last-modified", _utc(item.get("closed_at") or item.get("updated_at") or item["timestamp"]))
    event.add("created", _utc(item["timestamp"]))
    event.add("sequence", item.get("changes", 0))
    event.add("dtstart", start)
    event.add("dtend", max(end, start))
    event.add("summary", title)
    event.add("description", f"{text[:DESCRIPTION_MAX]}\n\n{link}".strip())
    event.add("url", link)
    if item.get("where"):
        event.add("location", item["where"])
    event.add("status", "CANCELLED" if item.get("status") in ("withdrawn", "cancelled") else "CONFIRMED")
    event.add("categories", ["callout" if callout else "assembly"])
    return event
