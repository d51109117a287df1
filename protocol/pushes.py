"""What a node does with a push: replay check, admission, ingest, then pulls of what the pusher's heads announce.

One step of `SyncAgent.handle`, kept apart so the agent module stays one concept (serving and driving).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from events.outcome import CONFLICT, Rejection

from .admission import Admission
from .gossip import Gossip
from .messages import Ack, FrontierEntry, Push
from .peers import FORGED_POINTS, REPLAY_POINTS, PeerBook
from .policy import ReplicationPolicy
from .replica import IngestResult, Replica
from .transport import Origin


class PushHost(Protocol):
    """What handling a push uses of the agent (protocol/agent.py's SyncAgent)."""

    clock: Callable[[], float]
    book: PeerBook
    gossip: Gossip
    replica: Replica
    admission: Admission
    policy: ReplicationPolicy
    _acked: dict[str, OrderedDict[bytes, None]]
    _storing: int
    _pulling: dict[bytes, int]

    async def _flush_when_idle(self) -> None: ...

    def _after_ingest(self, result: IngestResult, origin: str | None) -> None: ...

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    async def _pull_announced(self, peer: str, heads: list[FrontierEntry]) -> None: ...


ACKED_MEMORY = 4096  # event ids acknowledged per origin, remembered to spot a replayed push


async def handle_push(agent: PushHost, origin: Origin, push: Push) -> Ack:
    """Store what `push` carries that the admission takes, acknowledge it, and start pulls of what it announces."""
    now = agent.clock()
    sender = origin.url
    acked = agent._acked.setdefault(origin.url or origin.key, OrderedDict())
    if push.events and all(e.id in acked for e in push.events):
        agent.book.penalise(origin.key, REPLAY_POINTS, "replayed a push this node already acknowledged", now)
        return Ack(0, len(push.events), 0, 0)
    if sender is not None:
        agent.gossip.learn_events(sender, push.events)
        agent.gossip.learn_heads(sender, push.heads)
    known = await agent.replica.heads_of(list({e.author for e in push.events})) if push.events else {}
    wanted = agent.admission.take_events(origin.key, sender, push.events, agent.policy, known)
    agent._storing += 1
    try:
        result = await agent.replica.ingest(wanted) if wanted else IngestResult()
    finally:
        agent._storing -= 1
    if wanted:
        await agent._flush_when_idle()
    # A conflict may be signed by a key that a rotation below it set, which the pusher holds and we lack
    # (docs/PROTOCOL.md §11.1): it is judged after a pull of that author from the pusher (which digs for the
    # rotation), not at once; a pusher that cannot be pulled from is charged at once.
    conflicts = [r for r in result.rejected if r.code == CONFLICT]
    forged = [r for r in result.misbehaviour if r.code not in ("seq_gap", CONFLICT)]
    if sender is None:
        forged += conflicts
    if forged:
        agent.book.penalise(origin.key, FORGED_POINTS, f"pushed invalid events ({forged[0].code})", now)
    for event in result.stored:
        acked[event.id] = None
    while len(acked) > ACKED_MEMORY:
        acked.popitem(last=False)
    agent._after_ingest(result, origin=sender)
    heads = await agent.replica.heads_of([e.author for e in push.heads])  # not the whole frontier per push
    offered = agent.admission.take_entries(origin.key, sender, push.heads, agent.policy, heads) if push.heads else []
    behind = {e.author: e for e in offered if e.author not in heads or heads[e.author].seq < e.seq}
    for r in result.rejected:
        if r.code in ("seq_gap", "broken_link", CONFLICT) and r.author not in behind:
            behind[r.author] = FrontierEntry(r.author, r.seq, r.event_id)
    fresh = [e for e in behind.values() if agent._pulling.get(e.author, 0) < e.seq]
    if fresh and sender is not None:  # a sender with no confirmed URL cannot be pulled from
        # Marked before the pull starts: announcements handled meanwhile must not start a second pull.
        for entry in fresh:
            agent._pulling[entry.author] = entry.seq
        pulled = {e.author for e in fresh}
        judged = [r for r in conflicts if r.author in pulled]
        agent._spawn(_pull_then_judge(agent, sender, origin.key, fresh, judged))
    return Ack(len(result.stored), result.duplicates, len(result.forks), len(result.rejected))


async def _pull_then_judge(
    agent: PushHost, sender: str, key: str, heads: list[FrontierEntry], conflicts: list[Rejection]
) -> None:
    """Pull what a push announced; then charge the pusher as a forger for a pushed conflict the pull did not explain
    (the event is still not ours: no rotation below it made its signature good)."""
    await agent._pull_announced(sender, heads)
    for conflict in conflicts:
        mine = await agent.replica.read_log(conflict.author, conflict.seq, 1)
        if not mine or mine[0].id != conflict.event_id:
            agent.book.penalise(key, FORGED_POINTS, f"pushed invalid events ({conflict.code})", agent.clock())
            return
