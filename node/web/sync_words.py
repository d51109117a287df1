"""Peers and sync in plain words for the page: who (by group name), how they are, when last heard from, what went wrong.

The federation reports peers as JSON for machines (protocol/stats.py); members are not network engineers, so the
page says "last heard from 2 minutes ago" and "could not connect: the other node may be switched off", and keeps
the technical detail behind a disclosure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.support import NullTranslations

from ..i18n import N_, translations

ENGLISH = translations("en")

QUIET_AFTER_S = 15 * 60  # a peer not heard from for this long does not count as reachable for the feed's note

# The first pattern found in a sync error (lower-cased) decides the words; the order matters.
_ERRORS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("name or service not known", "nodename nor servname", "temporary failure in name resolution", "getaddrinfo"),
        N_("its address could not be found (a typing mistake in the address, or no internet here)"),
    ),
    (
        ("connection refused", "cannot connect", "connect call failed", "clientconnectorerror"),
        N_("could not connect: the other node may be switched off, or its address has changed"),
    ),
    (("timeout", "timed out", "no reply"), N_("it did not answer in time (a slow or busy connection)")),
    (("certificate", "ssl"), N_("its secure connection could not be checked (an HTTPS certificate problem at its end)")),
    (("http 4", "http 5", "redirect", "not a peer message"), N_("the address answered, but not as a Solidarity Network node")),
    (("larger than",), N_("it sent more than this node accepts in one reply")),
    (("malformed", "signature", "decode", "not a valid"), N_("it sent something this node could not check, so it was refused")),
    (("protocol 1", "version"), N_("it runs an older version that cannot exchange this node's history")),
)

_STATES = {
    "healthy": N_("Working"),
    "backoff": N_("Not reachable just now"),
    "open": N_("Not reachable for a while"),
    "banned": N_("Refused for misbehaving"),
}


def ago(seconds: float | None, tr: NullTranslations = ENGLISH) -> str:
    """Return how long ago, in words ("just now", "2 minutes ago", "3 hours ago", "5 days ago"; "never" for None)."""
    if seconds is None:
        return tr.gettext("never")
    s = int(seconds)
    if s >= 86_400:
        return tr.ngettext("%(n)s day ago", "%(n)s days ago", s // 86_400) % {"n": s // 86_400}
    if s >= 3_600:
        return tr.ngettext("%(n)s hour ago", "%(n)s hours ago", s // 3_600) % {"n": s // 3_600}
    if s >= 60:
        return tr.ngettext("%(n)s minute ago", "%(n)s minutes ago", s // 60) % {"n": s // 60}
    return tr.gettext("just now")


def in_words(seconds: float, tr: NullTranslations = ENGLISH) -> str:
    """Return a coming delay in words ("in 40 seconds", "in 3 minutes")."""
    s = max(int(seconds), 1)
    if s < 60:
        return tr.ngettext("in %(n)s second", "in %(n)s seconds", s) % {"n": s}
    n = (s + 59) // 60
    return tr.ngettext("in %(n)s minute", "in %(n)s minutes", n) % {"n": n}


def plain_error(error: str | None, tr: NullTranslations = ENGLISH) -> str | None:
    """Return a sync error in words a member understands (None if there was none)."""
    if not error:
        return None
    low = error.lower()
    for needles, words in _ERRORS:
        if any(n in low for n in needles):
            return tr.gettext(words)
    return tr.gettext("the last exchange with it failed")


@dataclass(frozen=True, slots=True)
class PeerLine:
    """One peer as the page shows it."""

    name: str  # the group's name, else its address
    url: str
    group_id: str | None
    state: str  # in words
    ok: bool
    heard: str  # "last heard from ..." in words
    problem: str | None  # the last error in words, while it is not working
    retry: str | None  # when it is tried again, while not working
    chosen: bool


def peer_line(peer: dict[str, Any], names: dict[str, str], tr: NullTranslations = ENGLISH) -> PeerLine:
    """Return a peer's health JSON (protocol/stats.py) in words, named by its group's name where known."""
    ok = peer["state"] == "healthy" and not peer.get("failures")
    gid = peer.get("group_id")
    retry = peer.get("retry_in_seconds") or 0
    return PeerLine(
        name=(names.get(gid) if gid else None) or peer["url"],
        url=peer["url"],
        group_id=gid,
        state=tr.gettext(_STATES[peer["state"]]) if peer["state"] in _STATES else peer["state"],
        ok=ok,
        heard=ago(peer.get("seconds_since_success"), tr),
        problem=None if ok else plain_error(peer.get("last_sync_error") or peer.get("last_reason"), tr),
        retry=None if ok or not retry else in_words(retry, tr),
        chosen=bool(peer.get("chosen")),
    )


def reach_note(peers: list[dict[str, Any]] | None, tr: NullTranslations = ENGLISH) -> str | None:
    """Return a note for the feed when the node cannot reach any peer (None when one answered lately, or no federation)."""
    if peers is None:
        return None
    if not peers:
        return tr.gettext(
            "This node has no other nodes to talk to yet, so it does not hear other groups' callouts and does not pass yours on."
        )
    heard = [p["seconds_since_success"] for p in peers if p.get("seconds_since_success") is not None]
    if any(p["state"] == "healthy" and not p.get("failures") for p in peers) or any(s < QUIET_AFTER_S for s in heard):
        return None
    if heard:
        return tr.gettext(
            "This node cannot reach any other node right now (last heard from one %(ago)s): other groups' new callouts "
            "may not arrive here, and yours wait here until a connection is back."
        ) % {"ago": ago(min(heard), tr)}
    return tr.gettext(
        "This node cannot reach any other node right now: other groups' new callouts may not arrive here, "
        "and yours wait here until a connection is back."
    )
