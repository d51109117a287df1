"""Atom feeds (written with `feedgen`) of callouts, reports back and decisions: one page of each list, as the
web page and the API read it (node/queries.py), so a feed costs what a page costs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator

from events.identity import group_id_text
from events.kinds.langtag import is_lang_tag

FEED_ITEMS = 50
TEXT_MAX = 4000
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class _EntryLang(BaseEntryExtension):
    """feedgen 1.0's entries have no language of their own (xml:lang is only the feed's, `FeedGenerator.language`;
    a link's `hreflang` is dropped from entries' links, lkiesow/python-feedgen#135): this entry extension, feedgen's
    way to add to an entry's XML, puts `xml:lang` on the <entry> of a post that says its language (RFC 4287 section
    2: it then holds for its title and content)."""

    def __init__(self) -> None:
        self.tag: str | None = None

    def lang(self, tag: str | None) -> None:
        """Set the entry's language tag (None: the entry says none and inherits the feed's)."""
        self.tag = tag

    def extend_atom(self, entry: Any) -> Any:
        if self.tag:
            entry.set(XML_LANG, self.tag)
        return entry


def _when(ms: Any) -> datetime:
    return datetime.fromtimestamp((ms if isinstance(ms, int) else 0) / 1000, UTC)


def _updated(item: dict[str, Any]) -> int:
    return max(v for v in (item.get("closed_at"), item.get("updated_at"), item.get("timestamp"), 0) if isinstance(v, int))


def atom_feed(items: list[dict[str, Any]], *, what: str, title: str, self_url: str, base_url: str, node_key: bytes) -> bytes:
    """Return an Atom feed of `items` (JSON documents as node/queries.py gives them) of kind `what` (callouts,
    reports or decisions): each entry's id is its event id as a URN, so it stays the same when it changes, and an
    entry whose post says its language carries it (`xml:lang` on the entry)."""
    feed = FeedGenerator()
    feed.id(f"urn:solnet:{group_id_text(node_key)}:{what}")
    feed.title(title)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=base_url + "/", rel="alternate", type="text/html")
    feed.updated(_when(max((_updated(i) for i in items), default=0)))
    feed.register_extension("post", BaseExtension, _EntryLang, atom=True, rss=False)
    for item in items:
        entry = feed.add_entry(order="append")
        entry.id(f"urn:solnet:event:{item['id']}")
        entry.title(_title(what, item))
        entry.updated(_when(_updated(item)))
        entry.published(_when(item.get("timestamp")))
        entry.author(name=item.get("author_name") or item["author"], uri=f"{base_url}/groups/{item['author']}")
        entry.link(href=_link(what, item, base_url), rel="alternate", type="text/html")
        entry.post.lang(item.get("lang") if is_lang_tag(item.get("lang")) else None)  # the post's, if it says one
        entry.content(_text(what, item)[:TEXT_MAX], type="text")
        if what == "callouts":
            for need in item.get("needs") or ():
                entry.category(term=need, label=need)
            entry.category(term=f"urgency:{item.get('urgency')}", label=str(item.get("urgency")))
    return feed.atom_str(pretty=True)


def _title(what: str, item: dict[str, Any]) -> str:
    if what == "decisions":
        text = " ".join(str(item.get("text", "")).split())
        return text[:80] + ("…" if len(text) > 80 else "")
    title = str(item.get("title", ""))
    if what == "callouts":
        status = item.get("status")
        prefix = f"[{str(item.get('urgency', '')).capitalize()}] " if item.get("urgency") in ("high", "critical") else ""
        return prefix + title + (f" ({status})" if status and status != "open" else "")
    return title


def _text(what: str, item: dict[str, Any]) -> str:
    if what == "callouts":
        facts = [("Where", item.get("where")), ("Needed", ", ".join(item.get("needs") or ()))]
        head = "".join(f"{k}: {v}\n" for k, v in facts if v)
        return f"{head}\n{item.get('text', '')}".strip()
    if what == "reports":
        lessons = "".join(f"- {lesson}\n" for lesson in item.get("lessons") or ())
        return f"{item.get('text', '')}\n\n{lessons}".strip()
    outcome = item.get("outcome")
    return f"{item.get('text', '')}" + (f"\n\nOutcome: {outcome}" if outcome else "")


def _link(what: str, item: dict[str, Any], base_url: str) -> str:
    if what == "callouts":
        return f"{base_url}/callouts/{item['id']}"
    campaign = item.get("campaign")
    if campaign:
        return f"{base_url}/campaigns/{campaign}"
    return f"{base_url}/assemblies" if what == "decisions" else f"{base_url}/groups/{item['author']}"
