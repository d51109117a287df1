"""The seam between pure projections and the place read models are kept.

A projection reads the current documents through a `ViewReader` and returns `Change`s; the node applies
them in one transaction together with the tracking position (node/), an auditor to a scratch store.
Documents are maps of canonical-msgpack values. Every document has a `collection`, a `key` (bytes, unique
in its collection), the `author` whose event wrote it, and an optional `ref` (the id of the thing it hangs
from: a pledge's callout, a callout's campaign, a position's proposal) so that stores can index it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Put:
    """Create or replace one document."""

    collection: str
    key: bytes
    author: bytes
    ref: bytes | None
    doc: dict[str, Any]


# A projection makes a Put for nearly every event: its slots are set through their descriptors rather than
# by the frozen __init__ (one object.__setattr__ call per field), the same value at about half the cost.
_new = object.__new__
_set_collection, _set_key, _set_author, _set_ref, _set_doc = (Put.__dict__[f.name].__set__ for f in fields(Put))


def make_put(collection: str, key: bytes, author: bytes, ref: bytes | None, doc: dict[str, Any]) -> Put:
    """Return Put(collection, key, author, ref, doc), built more cheaply (for hot paths)."""
    put = _new(Put)
    _set_collection(put, collection)
    _set_key(put, key)
    _set_author(put, author)
    _set_ref(put, ref)
    _set_doc(put, doc)
    return put


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove one document if it exists."""

    collection: str
    key: bytes


Change = Put | Delete


class ViewReader(Protocol):
    """Read access to the current read-model documents."""

    def get(self, collection: str, key: bytes) -> Put | None:
        """Return the stored document (as the Put that wrote it), or None."""
        ...

    def scan(self, collection: str, *, ref: bytes | None = None, author: bytes | None = None) -> Iterator[Put]:
        """Yield the documents of a collection, optionally only those with this ref and/or author, by key."""
        ...
