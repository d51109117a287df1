"""Confirming the node's own head from a process that does not serve (`solnet publish`): one sync per peer.

The serving node confirms its head in its first gossip round (node/federation/scheduler.py); a CLI command
that signs an event runs the same sync once, for the group's own log only, before it publishes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiohttp

from protocol import ReplicationPolicy

from ..service import NodeService
from .scheduler import Federation, FederationConfig, peers_from

CONFIRM_TIMEOUT = 5.0
"""Seconds each peer request may take when the CLI confirms its head."""


async def confirm_own_head(service: NodeService, peers: Sequence[str], *, timeout: float = CONFIRM_TIMEOUT) -> list[str]:
    """Sync the group's own log once with every peer (at once, bounded by `timeout` per request); return who answered.

    The service's OwnHead records each answer, and what the peers hold of our log, for the check before signing.
    """
    urls = peers_from(peers)
    if not urls:
        return []
    own = service.identity.public_key
    federation = Federation(service, FederationConfig(own_url="", peers=urls, peer_exchange=False, timeout=timeout))
    federation.agent.policy = ReplicationPolicy.following((), own=own)  # our own log only: this is not a sync round
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        federation.transport.session = session
        for url in urls:
            federation.book.add(url)
        service.own_head.add_holders(federation.own_seq_holder)
        reports = await asyncio.gather(*(federation.sync_with(url) for url in urls))
        await federation.agent.cancel()  # relays of what was pulled: the peers it came from hold it already
    return [r.peer for r in reports if r.complete]
