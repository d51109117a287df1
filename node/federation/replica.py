"""The node's store as protocol.Replica: ingest goes through NodeService, so read models and listeners follow."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from events import ChainHead, Event, ForkProof, Mode
from events.ingest import IngestResult
from protocol.ranges import Fingerprint, KeyRange

from ..notices import Source
from ..service import NodeService
from .frontier_index import FrontierIndex


class NodeReplica:
    """protocol.Replica over a NodeService: async store calls off the loop, HEAD-mode verification on ingest."""

    def __init__(self, service: NodeService, mode: Mode = Mode.HEAD):
        self.service = service
        self.mode = mode
        self.index = FrontierIndex(service.store)

    async def signing_keys(self, authors: Sequence[bytes]) -> dict[bytes, bytes]:
        """Return the key in force of each of `authors` whose log rotated (one read for all)."""
        heads = await self.service.astore.read_sync(self.service.store.key_heads, list(authors)) if authors else {}
        return {a: last.state.key for a, (last, rotation) in heads.items() if rotation is not None}

    async def heads_of(self, authors: Sequence[bytes]) -> dict[bytes, ChainHead]:
        """Return the newest stored event of each of `authors` that has one."""
        return await self.service.astore.read_sync(self.service.store.heads_of, list(authors))

    async def head_ranges(self, ranges: Sequence[KeyRange], limit: int) -> list[list[ChainHead]]:
        """Return, for each range, up to `limit` heads of the authors in it, ascending (from the store's author index)."""
        store, spans = self.service.store, list(ranges)
        return await self.service.astore.read_sync(lambda: [store.head_range(r.lo, r.hi, limit) for r in spans])

    async def fingerprints(self, ranges: Sequence[KeyRange]) -> list[Fingerprint]:
        """Return the fingerprint of the stored heads in each range (bucket sums kept by FrontierIndex)."""
        return await self.service.astore.read_sync(self.index.fingerprints, list(ranges))

    async def heads(self) -> Mapping[bytes, ChainHead]:
        """Return the newest stored event of every author."""
        return await self.service.astore.heads()

    async def read_log(self, author: bytes, from_seq: int, limit: int) -> list[Event]:
        """Return up to `limit` stored events of `author` from `from_seq` on."""
        return await self.service.astore.read_log(author, from_seq, limit)

    async def read_records(self, author: bytes, from_seq: int, limit: int) -> list[bytes]:
        """Return the stored record bytes of up to `limit` events of `author` (served without re-encoding)."""
        return await self.service.astore.read_sync(self.service.store.read_records, author, from_seq, limit)

    async def ingest(self, events: Sequence[Event]) -> IngestResult:
        """Store peers' valid events through the service (listeners told: from a peer; read models at `flush`).

        Returns the ingest decision. The agent relays what this stored, so listeners leave it alone.
        """
        return await self.service.ingest(events, self.mode, refresh=False, source=Source.PEER)

    async def flush(self) -> None:
        """Bring the read models up to what `ingest` stored (a pull projects once at its end, not per batch)."""
        await self.service.refresh_if_stale()

    async def fork_proofs(self, authors: Iterable[bytes] | None = None) -> list[ForkProof]:
        """Return one stored fork proof per forked author (only `authors` when given)."""
        wanted = None if authors is None else set(authors)
        first: dict[bytes, ForkProof] = {}
        for proof in await self.service.astore.fork_proofs():
            if (wanted is None or proof.author in wanted) and proof.author not in first:
                first[proof.author] = proof
        return list(first.values())

    async def add_fork_proof(self, proof: ForkProof) -> bool:
        """Store a verified fork proof; True iff it is the first held for its author."""
        forked = await self.service.astore.forked_authors()
        stored = await self.service.add_fork_proof(proof)
        return stored and proof.author not in forked
