"""The node's status: what `solnet status`, GET /api/v1/node and the /node page show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from events import Identity, group_id_text

from .readmodels import ReadModels
from .settings import SettingsKeeper
from .store import AsyncStore

VERSION = "0.1.0"
StatusProvider = Callable[[], Awaitable[dict[str, Any]]]


class NodeStatus:
    """Counts, forks and the state digest of one node, plus what each registered provider (federation) adds."""

    def __init__(self, astore: AsyncStore, identity: Identity, settings: SettingsKeeper, read_models: ReadModels):
        self.astore = astore
        self.identity = identity
        self.settings = settings
        self.read_models = read_models
        self.providers: list[StatusProvider] = []

    async def info(self) -> dict[str, Any]:
        """Return the node's status as JSON: identity, counts, forks, state digest, backend, then the providers'."""
        counts = await self.astore.counts()
        forked = await self.astore.forked_authors()
        info: dict[str, Any] = {
            "group_id": self.identity.group_id,
            "name": self.settings.current.name,
            "version": VERSION,
            "events": sum(counts.values()),
            "own_events": counts.get(self.identity.public_key, 0),
            "groups": len(counts),
            "forked_groups": sorted(group_id_text(a) for a in forked),
            "fork_proofs": len(await self.astore.fork_proofs()),
            "state_digest": await self.read_models.digest(),
            "state_digest_version": 2,
            "backend": type(self.astore.store).__name__,
        }
        for provider in self.providers:
            info.update(await provider())
        return info
