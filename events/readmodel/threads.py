"""Threads: which comments show in an item's thread, as a pure function of the comment and its parent.

A comment names the event it replies to (`on`) and, when that is another comment, the item the thread is about
(`root`); its document's ref is that item, so a thread is one list by ref. A reply shows once its parent is
there and is a comment of the same thread, so a reply that arrives before its parent shows as soon as the
parent does, on every node alike (docs/KINDS.md, "Threads").
"""

from __future__ import annotations

from typing import Any

from .view import Put


def thread_of(comment: Put | dict[str, Any]) -> bytes:
    """Return the id of the item whose thread a comment belongs to."""
    doc = comment.doc if isinstance(comment, Put) else comment
    return doc.get("root") or doc["on"]


def shows_in(root: bytes, comment: dict[str, Any], parent: dict[str, Any] | None) -> bool:
    """True iff `comment` shows in the thread of `root`, given its parent comment's document (None: not held)."""
    if thread_of(comment) != root:
        return False
    if comment["on"] == root:
        return "root" not in comment or comment["root"] == root
    return parent is not None and parent.get("id") == comment["on"] and "on" in parent and thread_of(parent) == root


__all__ = ["shows_in", "thread_of"]
