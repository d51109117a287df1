"""A realistic history as a bundle, built once and cached: many groups publishing a mix of kinds over two years.

    from history import history_bundle
    path = history_bundle(events=200_000, groups=500)   # bench/.cache/history-200000-500.bundle

Each group's log starts with its profile; then callouts (some of a campaign), pledges to other groups' callouts,
reports, assemblies, proposals, positions on other groups' proposals, decisions, and now and then a callout
marked met, a pledge withdrawn or a new profile. Groups publish in turns of 50 events, the way a node that
gathered them from peers would have stored (and exported) them. Deterministic: the same arguments give the
same bytes, so the cache can be trusted across runs.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events import Event, Identity, create_event
from events.bundle import BundleHead, write_bundle
from events.kinds import build_payload

CACHE = Path(__file__).resolve().parent / ".cache"
T0 = 1_700_000_000_000
TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000
TURN = 50
NEEDS = ("people", "money", "skills", "materials", "signatures", "other")
AREAS = ("Hackney", "Lewisham", "Brixton", "Camden", "Newham", "Peckham", "Tottenham", "Walthamstow")
TEXT = "We need hands for the food bank on Saturday and a van to move the donated furniture. " * 3


def _fields(rng: random.Random, g: int, i: int, when: int, own: dict, shared: dict) -> tuple[str, dict]:
    """Return the kind and fields of group g's i-th event (i > 0) at time `when`."""
    roll = rng.random()
    if roll < 0.22 or not shared["callouts"]:
        fields = {
            "title": f"Callout {g}.{i}",
            "text": TEXT,
            "needs": rng.sample(NEEDS, 2),
            "urgency": rng.choice(("low", "normal", "high", "critical")),
        }
        fields.update(where=rng.choice(AREAS), starts_at=when + 86_400_000)
        if own["campaigns"] and rng.random() < 0.3:
            fields["campaign"] = rng.choice(own["campaigns"])
        return "callout.published", fields
    if roll < 0.47:
        return "pledge.made", {
            "callout": rng.choice(shared["callouts"][-2000:]),
            "need": "people",
            "offer": "Four of us, Saturday",
        }
    if roll < 0.60:
        return "report.published", {"title": f"Report {g}.{i}", "text": TEXT, "lessons": ["start earlier", "bring water"]}
    if roll < 0.65:
        return "assembly.scheduled", {
            "title": f"Assembly {g}.{i}",
            "starts_at": when + 7 * 86_400_000,
            "where": rng.choice(AREAS),
        }
    if roll < 0.71 or not shared["proposals"]:
        return "proposal.tabled", {"title": f"Proposal {g}.{i}", "text": TEXT}
    if roll < 0.85:
        return "position.taken", {
            "proposal": rng.choice(shared["proposals"][-2000:]),
            "position": rng.choice(("agree", "stand_aside", "block")),
        }
    if roll < 0.89:
        return "decision.recorded", {"text": "Agreed to join the rent strike", "outcome": "adopted"}
    if roll < 0.92:
        return "campaign.created", {"title": f"Campaign {g}.{i}", "description": TEXT, "area": rng.choice(AREAS)}
    if roll < 0.96 and own["callouts"]:
        return "callout.fulfilled", {"callout": own["callouts"].pop(0), "note": "thanks all"}
    if roll < 0.98 and own["pledges"]:
        return "pledge.withdrawn", {"pledge": own["pledges"].pop(0), "reason": "van broke down"}
    return "group.profile", {"name": f"Group {g}", "description": TEXT, "area": rng.choice(AREAS)}


def _stream(events: int, groups: int, seed: int):
    rng = random.Random(seed)
    people = [Identity.from_seed(b"hist" + g.to_bytes(4, "big") * 7) for g in range(groups)]
    per = events // groups
    heads: list[Event | None] = [None] * groups
    owns = [{"callouts": [], "pledges": [], "campaigns": []} for _ in range(groups)]
    shared: dict[str, list[bytes]] = {"callouts": [], "proposals": []}
    for start in range(0, per, TURN):
        for g, person in enumerate(people):
            for i in range(start, min(start + TURN, per)):
                when = T0 + TWO_YEARS_MS * i // per + g
                if i == 0:
                    kind, fields = "group.profile", {"name": f"Group {g}", "description": TEXT, "area": AREAS[g % len(AREAS)]}
                else:
                    kind, fields = _fields(rng, g, i, when, owns[g], shared)
                event = create_event(person, kind=kind, payload=build_payload(kind, fields), timestamp=when, previous=heads[g])
                heads[g] = event
                if kind == "callout.published":
                    shared["callouts"].append(event.id)
                    owns[g]["callouts"].append(event.id)
                elif kind == "proposal.tabled":
                    shared["proposals"].append(event.id)
                elif kind == "pledge.made":
                    owns[g]["pledges"].append(event.id)
                elif kind == "campaign.created":
                    owns[g]["campaigns"].append(event.id)
                yield event


def history_bundle(events: int = 200_000, groups: int = 500, seed: int = 11) -> Path:
    """Return the path of the cached bundle of `events` events from `groups` groups, writing it first if missing."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"history-{events}-{groups}-{seed}.bundle"
    if path.exists():
        return path
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        for piece in write_bundle(BundleHead("bench", T0 + TWO_YEARS_MS), _stream(events, groups, seed)):
            out.write(piece)
    tmp.replace(path)
    return path


if __name__ == "__main__":
    print(history_bundle(*(int(a) for a in sys.argv[1:3])))
