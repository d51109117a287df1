"""The node's status: what `solnet status`, GET /api/v1/node and the /node page show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from events import Identity, group_id_text

from .fork_state import ROTATED_AFTER_FORK, fork_states
from .readmodels import ReadModels
from .settings import SettingsKeeper
from .store import AsyncStore

VERSION = "0.1.0"
FORKED_SHOWN = 100  # forked groups named in the status (all are counted; /groups flags each)
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
        store = self.astore.store
        logs, events, proofs = await self.astore.read_sync(store.totals)
        own = await self.astore.read_sync(store.head, self.identity.public_key)
        authors = await self.astore.read_sync(store.forked_authors)
        rotated, _superseded = await self.astore.read_sync(store.rotation_marks, list(authors))
        states = await self.astore.read_sync(fork_states, store, sorted(authors & rotated)) if rotated else {}
        recovered = sorted(group_id_text(a) for a, state in states.items() if state == ROTATED_AFTER_FORK)
        forked = sorted(group_id_text(a) for a in authors if states.get(a) != ROTATED_AFTER_FORK)
        info: dict[str, Any] = {
            "group_id": self.identity.group_id,
            "name": self.settings.current.name,
            "version": VERSION,
            "events": events,
            "own_events": own.seq if own is not None else 0,
            "groups": logs,
            "forked_groups": forked[:FORKED_SHOWN],
            "forked_group_count": len(forked),
            "rotated_after_fork_groups": recovered[:FORKED_SHOWN],
            "fork_proofs": proofs,
            "state_digest": await self.read_models.digest(),
            "state_digest_version": 2,
            "backend": type(self.astore.store).__name__,
        }
        for provider in self.providers:
            info.update(await provider())
        return info
