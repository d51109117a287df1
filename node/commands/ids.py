"""Event ids as people type them at the shell: the full 64 hex digits, or a unique prefix of at least 6."""

from __future__ import annotations

import re

from ..errors import RequestError
from ..service import NodeService

MIN_PREFIX = 6
"""Fewest hex digits of a prefix (`solnet list` prints 12)."""
CANDIDATES = 10
"""Most candidates named when a prefix is ambiguous (the store reads one more, to know there are more)."""
_HEX = re.compile(r"[0-9a-f]{1,64}")


async def resolve_event_id(service: NodeService, text: str, what: str = "EVENT_ID") -> bytes:
    """Return the id of the one stored event whose hex id starts with `text`; raise RequestError naming `what`.

    A full id is returned as given (stored or not: the caller says what a missing one means). A shorter prefix is
    looked up in the store's id index with a bounded range read: none or several matches are refused, the
    latter with the candidates listed.
    """
    prefix = text.strip().lower()
    if not _HEX.fullmatch(prefix):
        raise RequestError(
            f"{what} must be an event id (hex digits, at least {MIN_PREFIX}); got {text.strip()!r:.80}", field=what
        )
    if len(prefix) == 64:
        return bytes.fromhex(prefix)
    if len(prefix) < MIN_PREFIX:
        raise RequestError(f"{what} {prefix!r} is too short: give at least {MIN_PREFIX} hex digits of the id", field=what)
    found = await service.astore.ids_starting(prefix, CANDIDATES + 1)
    if not found:
        raise RequestError(f"no event in this node's store has an id starting {prefix}", field=what)
    if len(found) > 1:
        named = "\n  ".join(i.hex() for i in found[:CANDIDATES])
        count = f"more than {CANDIDATES}" if len(found) > CANDIDATES else str(len(found))
        raise RequestError(f"{what} {prefix} is ambiguous: {count} events start so; give more digits:\n  {named}", field=what)
    return found[0]
