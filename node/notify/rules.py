"""What a stored event means for mail: whether it is an urgent callout, and which digest section it joins.

The digest is one table, SECTIONS: a kind joins the digest by a line here (its section, title, whether only
events about our own group's things count, the line shown and where it links). Comments on proposals, when they
exist, join as `Section("Comments on our proposals", "comment.posted", N_("%(author)s: %(text)s"), "/assemblies",
"proposal")`. A line is a message id: what it needs is kept when the event arrives (`line_data`) and it is worded
when the digest is made, in each member's language (`render_line`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from events import Event
from events.errors import EventError
from events.kinds import valid_payload_value

from ..i18n import N_, format_when, translations

URGENT = frozenset({"high", "critical"})
LINE_MAX = 300


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the daily digest: the events of `kind` (about one of our group's things when `ours` names the
    payload field that refers to it), each shown as `line` (a message id over the payload's fields by name, plus
    `author`) linking to `link` (a `str.format` template over the payload's fields, refs as hex, plus `id`). A digest
    item is kept under its section's kind."""

    title: str
    kind: str
    line: str
    link: str
    ours: str | None = None


ASSEMBLY_LINE = N_("%(author)s: %(title)s, %(starts_at)s")
SECTIONS: tuple[Section, ...] = (
    Section(N_("New callouts"), "callout.published", N_("%(author)s: %(title)s (%(urgency)s)"), "/callouts/{id}"),
    Section(
        N_("Pledges on our callouts"), "pledge.made", N_("%(author)s pledged %(need)s: %(offer)s"), "/callouts/{callout}",
        "callout",
    ),
    Section(
        N_("Positions on our proposals"), "position.taken", N_("%(author)s: %(position)s %(reason)s"), "/assemblies",
        "proposal",
    ),
    Section(N_("Assemblies called"), "assembly.scheduled", ASSEMBLY_LINE, "/assemblies"),
)  # fmt: skip
CHOICES = frozenset({"urgency", "need", "position"})
"""The payload fields a line shows that are choice values, worded per language as the forms word them."""
TIMES = frozenset({"starts_at"})
"""The payload fields a line shows that are times (ms), worded per language in the node's time zone."""
_NAMES = re.compile(r"%\((\w+)\)s")
"""The digest's sections, in the order a digest shows them (titles are message ids, translated per member)."""

BY_KIND: Mapping[str, tuple[Section, ...]] = {k: tuple(s for s in SECTIONS if s.kind == k) for k in {s.kind for s in SECTIONS}}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def payload_of(event: Event) -> dict[str, Any] | None:
    """Return the event's payload if it is a valid one of a known kind, else None (redacted, unknown or invalid)."""
    if event.payload is None:
        return None
    try:
        return valid_payload_value(event.kind, event.payload)
    except EventError:
        return None


def is_urgent(event: Event, payload: dict[str, Any] | None) -> bool:
    """True iff the event publishes a callout of high or critical urgency (what members may get at once)."""
    return event.kind == "callout.published" and payload is not None and payload.get("urgency") in URGENT


def fill(template: str, event: Event, payload: Mapping[str, Any], author: str) -> str:
    """Return `template` (a link) filled in from the payload (refs as hex), the event id and the author."""
    values = _Blank({k: v.hex() if isinstance(v, bytes) else v for k, v in payload.items()})
    values.update(id=event.id.hex(), author=author)
    return " ".join(template.format_map(values).split())[:LINE_MAX]


def line_data(line: str, payload: Mapping[str, Any], author: str) -> str:
    """Return what a digest line needs to be worded later in any language (JSON): its message id, the author's name
    and the payload's values it names, texts cut to LINE_MAX."""
    values: dict[str, Any] = {}
    for name in _NAMES.findall(line):
        value = author if name == "author" else payload.get(name)
        if isinstance(value, bytes):
            value = value.hex()
        elif isinstance(value, str):
            value = value[:LINE_MAX]
        elif isinstance(value, bool) or not isinstance(value, int):
            value = "" if value is None else str(value)[:LINE_MAX]
        values[name] = value
    return json.dumps({"line": line, "values": values}, ensure_ascii=False, separators=(",", ":"))


def render_line(data: str, code: str, zone: ZoneInfo) -> str:
    """Return a digest line (`line_data`'s JSON) worded in language `code`, times in `zone`."""
    found = json.loads(data)
    tr = translations(code)
    values = _Blank()
    for name, value in found["values"].items():
        if name in TIMES:
            values[name] = format_when(value, zone, code)
        elif name in CHOICES and value:
            label = tr.gettext(str(value).replace("_", " ").capitalize())  # (the forms' label of the choice)
            values[name] = label[:1].lower() + label[1:]  # (mid-sentence)
        else:
            values[name] = value
    if not values.get("author"):
        values["author"] = tr.gettext("A group")
    return " ".join((tr.gettext(found["line"]) % values).split())[:LINE_MAX]


def refers_to(section: Section, payload: Mapping[str, Any]) -> bytes | None:
    """Return the id of the event whose author must be our group for the event to count, or None if any counts."""
    if section.ours is None:
        return None
    ref = payload.get(section.ours)
    return ref if isinstance(ref, bytes) else b""
