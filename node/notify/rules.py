"""What a stored event means for mail: whether it is an urgent callout, and which digest section it joins.

The digest is one table, SECTIONS: a kind joins the digest by a line here (its section, title, whether only
events about our own group's things count, the line shown and where it links). Comments on proposals, when they
exist, join as `Section("Comments on our proposals", "comment.posted", "{author}: {text}", "/assemblies", "proposal")`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from events import Event
from events.errors import EventError
from events.kinds import valid_payload_value

from ..i18n import N_

URGENT = frozenset({"high", "critical"})
LINE_MAX = 300


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the daily digest: the events of `kind` (about one of our group's things when `ours` names the
    payload field that refers to it), each shown as `line` linking to `link` (both `str.format` templates over the
    payload's fields, refs as hex, plus `id` and `author`). A digest item is kept under its section's kind."""

    title: str
    kind: str
    line: str
    link: str
    ours: str | None = None


SECTIONS: tuple[Section, ...] = (
    Section(N_("New callouts"), "callout.published", "{author}: {title} ({urgency})", "/callouts/{id}"),
    Section(N_("Pledges on our callouts"), "pledge.made", "{author} pledged {need}: {offer}", "/callouts/{callout}", "callout"),
    Section(N_("Positions on our proposals"), "position.taken", "{author}: {position} {reason}", "/assemblies", "proposal"),
    Section(N_("Assemblies called"), "assembly.scheduled", "{author}: {title}, {starts_at}", "/assemblies"),
)  # fmt: skip
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


def fill(template: str, event: Event, payload: Mapping[str, Any], author: str, when: str = "") -> str:
    """Return `template` filled in from the payload (refs as hex, `starts_at` as `when`), the event id and the author."""
    values = _Blank({k: v.hex() if isinstance(v, bytes) else v for k, v in payload.items()})
    values.update(id=event.id.hex(), author=author or "A group")
    if when:
        values["starts_at"] = when
    text = " ".join(template.format_map(values).split())
    return text[:LINE_MAX]


def refers_to(section: Section, payload: Mapping[str, Any]) -> bytes | None:
    """Return the id of the event whose author must be our group for the event to count, or None if any counts."""
    if section.ours is None:
        return None
    ref = payload.get(section.ours)
    return ref if isinstance(ref, bytes) else b""
