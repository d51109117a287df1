"""Threads of comments on any item: a page of the thread, newest activity first.

Blocking, like node/queries.py. One indexed query for the page (the comments whose ref is the item), one for
the parents of the replies on it, one for names. Blocked groups' comments are left out by the view queries get
(node/store/hiding.py), in SQL; a reply to one of them shows no more than a reply whose parent has not arrived.
"""

from __future__ import annotations

from typing import Any

from events.readmodel.projection import COMMENTS
from events.readmodel.threads import shows_in

from .paging import FIRST_PAGE, Page, PageRequest
from .queries import doc_json, names_of, page_of, parse_event_id
from .store.listing_sql import Where
from .store.views import ViewStore

EXCERPT = 140  # characters of a parent comment quoted above a reply


def get_thread(view: ViewStore, item_id: str, request: PageRequest = FIRST_PAGE) -> Page:
    """Return a page of the thread on the event `item_id` (any item), newest activity first.

    Replies whose parent this node does not show (not arrived yet, or a blocked group's) are left out; a
    withdrawn comment shows as withdrawn, without its text.
    """
    root = parse_event_id(item_id)
    puts, after = page_of(view, COMMENTS, Where(ref=root), request)
    parents = view.by_keys(COMMENTS, [p.doc["on"] for p in puts if p.doc["on"] != root])
    shown = [p for p in puts if shows_in(root, p.doc, _doc(parents.get(p.doc["on"])))]
    names = names_of(view, [p.author for p in shown] + [p.author for p in parents.values()])
    items = []
    for put in shown:
        item = {**doc_json(put), "author_name": names.get(put.author, "")}
        if item.get("status") == "withdrawn":
            item.pop("text", None)
        parent = parents.get(put.doc["on"])
        if parent is not None:
            text = "" if parent.doc.get("status") == "withdrawn" else str(parent.doc.get("text", ""))
            item["reply_to"] = {
                "id": parent.key.hex(),
                "author_name": names.get(parent.author, ""),
                "excerpt": text[:EXCERPT] + ("…" if len(text) > EXCERPT else ""),
            }
        items.append(item)
    return Page(items, after)


def _doc(put: Any) -> dict[str, Any] | None:
    return None if put is None else put.doc
