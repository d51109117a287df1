"""What NodeService tells its listeners about newly stored events: which events, and where they came from.

Each stored event is told once, with its source, so a listener decides from the notice alone. Federation
pushes to peers what this node published or imported and what another process stored, and leaves what the
sync agent ingested from a peer to the agent, which relays it by its own rules (never back to the sender).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from events import Event


class Source(enum.Enum):
    """Where newly stored events came from."""

    PUBLISHED = "published"  # this node signed them (`NodeService.publish`)
    INGESTED = "ingested"  # this process stored them from no peer (`NodeService.ingest` called directly: an import)
    PEER = "peer"  # the sync agent ingested them from a peer
    EXTERNAL = "external"  # another process stored them on the same store (`NodeService.poll_external`)


@dataclass(frozen=True, slots=True)
class Stored:
    """Events newly stored on this node, in the order they were stored, and their source."""

    events: tuple[Event, ...]
    source: Source


Listener = Callable[[Stored], Awaitable[None]]
"""Told about every stored event once, by NodeService, once the store holds it."""
