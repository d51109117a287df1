"""The read benchmark's history: a realistic network of ~500 London groups over two years, as a log bundle.

Made once per (events, groups) and cached under bench/.cache/ (gitignored). Group activity is skewed (a few busy
groups, many quiet ones, like a real network) and the mix covers every read model: profiles, campaigns and their
updates, callouts with needs, urgency, places and times (some updated, fulfilled or withdrawn), pledges to other
groups' callouts (some fulfilled or withdrawn), reports back, assemblies, proposals, positions on other groups'
proposals, decisions and follows. Deterministic: the same arguments give the same bundle.
"""

from __future__ import annotations

import random
import sys
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events import Event, Identity, create_event, group_id_text
from events.bundle import BundleHead, write_bundle
from events.kinds import NEEDS, URGENCIES, build_payload

CACHE = Path(__file__).resolve().parent / ".cache"
T0 = 1_767_225_600_000  # 2026-01-01, the network's first day
SPAN_MS = 2 * 365 * 24 * 3600 * 1000
AREAS = ("Hackney", "Tower Hamlets", "Lewisham", "Southwark", "Lambeth", "Haringey", "Newham", "Camden", "Brent", "Croydon")
WORDS = [
    "tenants",
    "rent",
    "strike",
    "eviction",
    "bailiffs",
    "repairs",
    "damp",
    "council",
    "estate",
    "library",
    "occupation",
    "river",
    "air",
    "solidarity",
]

# kind -> weight in the mix (a quiet group's log has the same mix, only shorter)
MIX = {
    "callout.published": 16,
    "pledge.made": 28,
    "callout.updated": 3,
    "callout.fulfilled": 3,
    "callout.withdrawn": 1,
    "pledge.fulfilled": 4,
    "pledge.withdrawn": 2,
    "report.published": 8,
    "campaign.created": 2,
    "campaign.updated": 1,
    "assembly.scheduled": 3,
    "proposal.tabled": 4,
    "position.taken": 14,
    "decision.recorded": 3,
    "graph.follow": 3,
    "group.profile": 1,
}


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


class Network:
    """The state the generator keeps to make references that make sense (recent callouts of others, own pledges...)."""

    def __init__(self, groups: int, seed: int):
        self.rng = random.Random(seed)
        self.ids = [Identity.from_seed(seed.to_bytes(2, "big") + i.to_bytes(4, "big") * 7 + b"rd") for i in range(groups)]
        self.last: list[Event | None] = [None] * groups
        self.callouts: deque[tuple[int, bytes]] = deque(maxlen=3000)  # (author index, id), network-wide, recent
        self.proposals: deque[tuple[int, bytes]] = deque(maxlen=1000)
        self.assemblies: deque[bytes] = deque(maxlen=300)
        self.own_callouts: list[list[bytes]] = [[] for _ in range(groups)]
        self.own_pledges: list[list[bytes]] = [[] for _ in range(groups)]
        self.own_campaigns: list[list[bytes]] = [[] for _ in range(groups)]

    def fields(self, g: int, kind: str, ts: int) -> dict | None:
        rng = self.rng
        if kind == "group.profile":
            return {"name": f"{rng.choice(AREAS)} {rng.choice(WORDS).title()} Group {g}", "description": _text(rng, 30),
                    "area": rng.choice(AREAS), "contact": f"group{g}@example.org"}  # fmt: skip
        if kind == "campaign.created":
            return {"title": f"Campaign: {_text(rng, 4)}", "description": _text(rng, 40), "area": rng.choice(AREAS)}
        if kind == "campaign.updated":
            own = self.own_campaigns[g]
            return {"campaign": rng.choice(own), "description": _text(rng, 30)} if own else None
        if kind == "callout.published":
            starts = ts + rng.randrange(3600_000, 30 * 86_400_000)
            fields = {"title": f"Callout: {_text(rng, 5)}", "text": _text(rng, 50),
                      "needs": sorted(rng.sample(NEEDS, rng.randint(1, 3))), "urgency": rng.choice(URGENCIES),
                      "where": f"{rng.choice(AREAS)}, {rng.randint(1, 200)} {rng.choice(WORDS).title()} Road",
                      "starts_at": starts, "ends_at": starts + 3 * 3600_000, "quantity": rng.randint(1, 40)}  # fmt: skip
            if self.own_campaigns[g] and rng.random() < 0.5:
                fields["campaign"] = rng.choice(self.own_campaigns[g][-5:])
            return fields
        if kind in ("callout.updated", "callout.fulfilled", "callout.withdrawn"):
            own = self.own_callouts[g]
            if not own:
                return None
            target = own.pop(rng.randrange(len(own))) if kind != "callout.updated" else rng.choice(own)
            if kind == "callout.updated":
                return {"callout": target, "text": _text(rng, 40), "urgency": rng.choice(URGENCIES)}
            return {"callout": target, ("note" if kind == "callout.fulfilled" else "reason"): _text(rng, 8)}
        if kind == "pledge.made":
            others = [c for c in list(self.callouts)[-200:] if c[0] != g]
            if not others:
                return None
            _, callout = rng.choice(others)
            return {"callout": callout, "need": rng.choice(NEEDS), "offer": _text(rng, 12), "quantity": rng.randint(1, 10)}
        if kind in ("pledge.fulfilled", "pledge.withdrawn"):
            own = self.own_pledges[g]
            if not own:
                return None
            return {"pledge": own.pop(rng.randrange(len(own))), ("note" if kind == "pledge.fulfilled" else "reason"): "done"}
        if kind == "report.published":
            fields = {"title": f"Report: {_text(rng, 5)}", "text": _text(rng, 80), "lessons": [_text(rng, 8), _text(rng, 8)]}
            if self.own_campaigns[g] and rng.random() < 0.5:
                fields["campaign"] = rng.choice(self.own_campaigns[g])
            return fields
        if kind == "assembly.scheduled":
            return {"title": f"Assembly: {_text(rng, 4)}", "starts_at": ts + rng.randrange(86_400_000, 40 * 86_400_000),
                    "where": rng.choice(AREAS), "agenda": _text(rng, 30)}  # fmt: skip
        if kind == "proposal.tabled":
            fields = {"title": f"Proposal: {_text(rng, 5)}", "text": _text(rng, 40)}
            if self.assemblies and rng.random() < 0.7:
                fields["assembly"] = rng.choice(list(self.assemblies)[-50:])
            return fields
        if kind == "position.taken":
            if not self.proposals:
                return None
            _, proposal = rng.choice(list(self.proposals)[-100:])
            weights = (8, 2, 1)
            return {"proposal": proposal, "position": rng.choices(("agree", "stand_aside", "block"), weights)[0],
                    "reason": _text(rng, 6)}  # fmt: skip
        if kind == "decision.recorded":
            fields: dict = {"text": _text(rng, 30), "outcome": "adopted"}
            if self.proposals and rng.random() < 0.6:
                fields["proposal"] = rng.choice(list(self.proposals)[-100:])[1]
            if self.own_campaigns[g] and rng.random() < 0.3:
                fields["campaign"] = rng.choice(self.own_campaigns[g])
            return fields
        if kind == "graph.follow":
            other = rng.randrange(len(self.ids))
            return {"group": self.ids[other].public_key} if other != g else None
        raise AssertionError(kind)

    def emit(self, g: int, kind: str, ts: int) -> Event | None:
        fields = self.fields(g, kind, ts)
        if fields is None:
            return None
        event = create_event(self.ids[g], kind=kind, payload=build_payload(kind, fields), timestamp=ts, previous=self.last[g])
        self.last[g] = event
        if kind == "callout.published":
            self.callouts.append((g, event.id))
            self.own_callouts[g].append(event.id)
        elif kind == "pledge.made":
            self.own_pledges[g].append(event.id)
        elif kind == "campaign.created":
            self.own_campaigns[g].append(event.id)
        elif kind == "proposal.tabled":
            self.proposals.append((g, event.id))
        elif kind == "assembly.scheduled":
            self.assemblies.append(event.id)
        return event


def generate(n_events: int, n_groups: int, seed: int = 7):
    """Yield the network's events in time order (each group's log in seq order)."""
    net = Network(n_groups, seed)
    rng = net.rng
    # activity ~ 1/rank^0.8: the busiest group publishes ~60x as much as the quietest
    weights = [1 / (i + 1) ** 0.8 for i in range(n_groups)]
    kinds, kind_weights = list(MIX), list(MIX.values())
    for g in range(n_groups):
        yield net.emit(g, "group.profile", T0 + g)
    made = n_groups
    step = SPAN_MS // max(1, n_events)
    ts = T0 + n_groups
    while made < n_events:
        ts += rng.randint(1, 2 * step)
        g = rng.choices(range(n_groups), weights)[0]
        event = net.emit(g, rng.choices(kinds, kind_weights)[0], ts)
        if event is not None:
            made += 1
            yield event


def bundle_path(n_events: int, n_groups: int) -> Path:
    """Return the cached bundle of this size, making it first if missing."""
    path = CACHE / f"network-{n_events}-{n_groups}.bundle"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    head = BundleHead(group_id_text(Identity.from_seed(b"\x01" * 32).public_key), T0 + SPAN_MS)
    with open(tmp, "wb") as fh:
        for chunk in write_bundle(head, generate(n_events, n_groups)):
            fh.write(chunk)
    tmp.replace(path)
    return path


if __name__ == "__main__":
    print(bundle_path(int(sys.argv[1]) if len(sys.argv) > 1 else 300_000, int(sys.argv[2]) if len(sys.argv) > 2 else 500))
