"""Publishing and reading private events (docs/KINDS.md, "Private events"): who may read, sealing, the private lists.

A private event is a `sealed` event whose inner document only its recipient groups open. Recipients are named
groups, or the groups we follow; our own group is always one (to read our own events back). An event that
answers or changes a private document (a pledge to a private callout, a comment in its thread, an update of
it) is private to that document's recipients, whatever the caller asked: an answer never leaks in public.
Blocking functions take a ViewReader and run on a reader thread (NodeService.query).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from events import group_id_text
from events.kinds.private import ENCRYPTION_KEYS
from events.readmodel.joins import graph_edges
from events.readmodel.listing import Where
from events.readmodel.private import PRIVATE_TO
from events.readmodel.projection import CALLOUTS, COMMENTS, PLEDGES
from events.readmodel.view import Put, ViewReader
from events.sealed import ENCRYPTION_KEY_KIND, MAX_SLOTS, PRIVATE_KINDS

from .errors import RequestError
from .references import ENTITIES

__all__ = ["ENCRYPTION_KEY_KIND", "FOLLOWED", "NoEncryptionKeyError", "PrivateCallout", "private_callout", "private_callouts"]

FOLLOWED = "followed"
"""The recipient list meaning "the groups we follow"."""
MAX_LISTED = 50
MAX_ANSWERS = 200


class NoEncryptionKeyError(RequestError):
    """A recipient group has not published an encryption key (`key.encryption`) that this node knows."""

    code = "no_encryption_key"


def answered_recipients(private: ViewReader, kind: str, value: dict[str, Any]) -> tuple[bytes, ...] | None:
    """Return the recipients of the private document an event of `kind` answers or changes, or None if it names none."""
    if kind not in PRIVATE_KINDS:
        return None
    for field in ("callout", "pledge", "comment", "root", "on"):
        target = value.get(field)
        if not isinstance(target, bytes):
            continue
        names = (ENTITIES[field],) if field in ENTITIES else (CALLOUTS, PLEDGES, COMMENTS)
        for name in names:
            found = private.get(name, target)
            if found is not None and PRIVATE_TO in found.doc:
                return tuple(found.doc[PRIVATE_TO])
    return None


def chosen_recipients(public: ViewReader, own: bytes, to: Sequence[bytes] | str) -> tuple[bytes, ...]:
    """Return the groups an event sent to `to` (group ids, or FOLLOWED) is private to: sorted, our own among them."""
    if isinstance(to, str) and to != FOLLOWED:
        raise RequestError(f"recipients are group ids or {FOLLOWED!r}", field="to")
    groups = graph_edges(public, own, "follow") if to == FOLLOWED else set(to)
    chosen = sorted({*groups, own})
    if len(chosen) < 2:
        raise RequestError("a private event needs at least one other group to be private to", field="to")
    if len(chosen) > MAX_SLOTS:
        raise RequestError(f"a private event has at most {MAX_SLOTS} recipients (ours included)", field="to")
    return tuple(chosen)


def encryption_keys_of(public: ViewReader, groups: Iterable[bytes]) -> list[bytes]:
    """Return the current encryption key of each group, in order; raise NoEncryptionKeyError naming those without."""
    keys, missing = [], []
    for group in groups:
        found = public.get(ENCRYPTION_KEYS, group)
        (keys.append(found.doc["key"]) if found is not None else missing.append(group_id_text(group)))
    if missing:
        raise NoEncryptionKeyError(
            f"no encryption key is known for {', '.join(missing)}: a group publishes one with `solnet key encryption` "
            "(or with its first private event); wait until it arrives here",
            field="to",
        )
    return keys


def own_key_published(public: ViewReader, own: bytes, key: bytes) -> bool:
    """True iff our group's newest `key.encryption` known here publishes `key`."""
    found = public.get(ENCRYPTION_KEYS, own)
    return found is not None and found.doc["key"] == key


@dataclass(frozen=True, slots=True)
class PrivateCallout:
    """A private callout as its recipients see it, with the pledges and comments answering it (private too)."""

    callout: Put
    pledges: tuple[Put, ...]
    comments: tuple[Put, ...]

    @property
    def private_to(self) -> tuple[bytes, ...]:
        """Return the groups it is private to."""
        return tuple(self.callout.doc[PRIVATE_TO])


def private_callouts(private: ViewReader, limit: int = MAX_LISTED) -> list[PrivateCallout]:
    """Return the newest private callouts (at most `limit`, up to MAX_LISTED), each with its first answers."""
    page = private.page(CALLOUTS, Where(), None, min(limit, MAX_LISTED))  # type: ignore[attr-defined]
    return [private_callout_of(private, put) for put in page]


def private_callout(private: ViewReader, callout_id: bytes) -> PrivateCallout | None:
    """Return one private callout with its first answers, or None if this node cannot read it."""
    put = private.get(CALLOUTS, callout_id)
    return None if put is None else private_callout_of(private, put)


def private_callout_of(private: ViewReader, put: Put) -> PrivateCallout:
    """Return the private callout `put` with up to MAX_ANSWERS pledges and comments answering it."""
    pledges = private.page(PLEDGES, Where(ref=put.key), None, MAX_ANSWERS)  # type: ignore[attr-defined]
    comments = private.page(COMMENTS, Where(ref=put.key), None, MAX_ANSWERS)  # type: ignore[attr-defined]
    return PrivateCallout(put, tuple(pledges), tuple(comments))
