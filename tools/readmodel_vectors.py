"""Read-model vectors (docs/KINDS.md, "Read models"; docs/vectors/readmodels.json), written by tools/make_vectors.py.

Each case is an event sequence (records in seq order per author) with the documents it yields and the state
digests; tests/events/readmodel/test_readmodel_vectors.py replays them and audits them as a bundle.
"""

from __future__ import annotations

import hashlib
from typing import Any

from events import Event, Identity, create_event_from_value, encode_record
from events.readmodel import COLLECTIONS, state_digest, state_digest_v2
from events.readmodel.memory import replay
from events.readmodel.process import closing_tally, outcome, tally
from events.readmodel.projection import COMMENTS, POSITIONS, PROPOSALS
from events.readmodel.threads import shows_in

T0 = 1_700_000_000_000
LANG_ACCEPTED = ("pl", "bn", "ckb", "pt-BR", "sr-Latn", "es-419", "zh-Hant-TW", "de-CH-1996", "sl-rozaj-biske", "de-1996-1996")
LANG_REFUSED = (
    "PL",
    "pt-br",
    "sr-latn",
    "p",
    "polish",
    "en-US-u-ca-gregory",
    "en-x-private",
    "zh-yue",
    "en_GB",
    "pl ",
    "",
    "sl-rozaj-biske-abcde-fghij-klmno-pqrst",
)


def _ident(n: int) -> Identity:
    return Identity.from_seed(hashlib.sha256(f"solnet read model vector key {n}".encode()).digest())


class _Log:
    def __init__(self, ident: Identity):
        self.ident = ident
        self.events: list[Event] = []

    def add(self, kind: str, value: Any, at: int | None = None) -> Event:
        prev = self.events[-1] if self.events else None
        ts = T0 + 1000 * (len(self.events) + 1) if at is None else at
        event = create_event_from_value(self.ident, kind=kind, value=value, timestamp=ts, previous=prev)
        self.events.append(event)
        return event


def _case(name: str, rule: str, events: list[Event], tagged) -> dict:
    view = replay(events)
    documents = [
        {"collection": p.collection, "key": p.key.hex(), "author": p.author.hex(), "ref": tagged(p.ref), "doc": tagged(p.doc)}
        for c in COLLECTIONS
        for p in view.scan(c)
    ]
    case = {
        "name": name,
        "rule": rule,
        "records": [encode_record(e).hex() for e in events],
        "documents": documents,
        "state_digest_v1": state_digest(view),
        "state_digest_v2": state_digest_v2(view),
    }
    decided = {p.key.hex(): _decided(p, list(view.scan(POSITIONS, ref=p.key))) for p in view.scan(PROPOSALS)}
    threads: dict[str, list[str]] = {}
    for c in view.scan(COMMENTS):
        parent = view.get(COMMENTS, c.doc["on"])
        if c.ref is not None and shows_in(c.ref, c.doc, parent.doc if parent else None):
            threads.setdefault(c.ref.hex(), []).append(c.key.hex())
    if decided:
        case["proposals"] = decided  # tally (live and at closing) and outcome: events/readmodel/process.py
    if threads:
        case["threads"] = threads  # per item, the comments that show in its thread (by key)
    return case


def _decided(proposal: Any, positions: list) -> dict:
    def counts(t: Any) -> dict:
        return {"counts": dict(t.counts), "groups": [a.group.hex() for a in t.answers], "waiting": [g.hex() for g in t.waiting]}

    result = outcome(proposal, positions)
    return {
        "live": counts(tally(proposal, positions)),
        "at_closing": counts(closing_tally(proposal, positions)),
        "outcome": None
        if result is None
        else {"result": result.result, "groups": [g.hex() for g in result.groups], "option": result.option},
    }


def readmodel_cases(tagged) -> dict:
    """Return the document of docs/vectors/readmodels.json (`tagged`: the value notation of docs/vectors/README.md)."""
    a, b = _ident(1), _ident(2)
    cases = []

    log = _Log(a)
    camp = log.add("campaign.created", {"title": "Save Elm Street"})
    log.add("campaign.updated", {"campaign": camp.id, "area": "Elm St"})
    log.add("campaign.closed", {"campaign": camp.id, "outcome": "won"})
    log.add("campaign.updated", {"campaign": camp.id, "title": "too late"})
    cases.append(
        _case(
            "updated_at_and_closing",
            "updated_at: absent until the first applied *.updated, then its timestamp; closing sets closed_at, not "
            "updated_at; after closing an update has no effect but is in the log; the creating event is log[0]",
            log.events,
            tagged,
        )
    )
    log = _Log(a)
    call = log.add("callout.published", {"title": "t", "text": "x", "needs": ["people"], "urgency": "low", "starts_at": 5000})
    log.add("callout.updated", {"callout": call.id, "ends_at": 4000})
    cases.append(
        _case("skipped_update", "an update leaving ends_at < starts_at is skipped: no updated_at, in the log", log.events, tagged)
    )

    log = _Log(a)
    log.add("group.profile", {"name": "First", "area": "North"})
    log.add("group.profile", {"name": "Second"})
    cases.append(
        _case(
            "latest_and_first_timestamp",
            "profiles: id/seq/timestamp and fields of the newest event only; first_timestamp = log[0]'s timestamp",
            log.events,
            tagged,
        )
    )
    log = _Log(a)
    log.add("graph.block", {"group": b.public_key})
    log.add("graph.unfollow", {"group": b.public_key})
    cases.append(
        _case(
            "follow_without_effect",
            "follows: unfollow does not end a block, yet id/seq/timestamp come from that newest event",
            log.events,
            tagged,
        )
    )
    log = _Log(a)
    for name in ("\x1c", "\x85", "\u3000", "\u200b", "\ufeff", " \t\n"):
        log.add("report.published", {"title": name, "text": "x"})
    cases.append(
        _case(
            "blank_text",
            "blank = only White_Space code points: \\x85, \\u3000 and ' \\t\\n' are blank (ignored); \\x1c, \\u200b, "
            "\\ufeff are not (documents)",
            log.events,
            tagged,
        )
    )
    log = _Log(a)
    for tag in LANG_ACCEPTED + LANG_REFUSED:
        log.add("report.published", {"title": f"in {tag!r}", "text": "x", "lang": tag})
    callout = log.add("callout.published", {"title": "Van", "text": "Potrzebny van", "needs": ["materials"], "lang": "pl"})
    log.add("callout.updated", {"callout": callout.id, "text": "A van is needed", "lang": "en"})
    cases.append(
        _case(
            "lang",
            "lang: a BCP 47 tag in canonical case (accepted: documents) or refused, the whole payload ignored: other case, "
            "extension, private use, extlang, too long, an underscore, white space, empty (a repeated variant is "
            "well-formed: accepted); an update's lang sets the callout's",
            log.events,
            tagged,
        )
    )
    log = _Log(a)
    first = log.add("group.profile", {"name": "First"})
    log.add("group.profile", {"name": "Second"})
    log.add("log.redact", {"event": first.id})
    cases.append(_case("redact_first_profile", "redacting log[0] moves first_timestamp to the next event", log.events, tagged))

    c = _ident(3)
    la, lb, lc = _Log(a), _Log(b), _Log(c)
    callout = la.add("callout.published", {"title": "Vans", "text": "Need a van", "needs": ["materials"]})
    top = lb.add("comment.posted", {"on": callout.id, "text": "When?"})
    lc.add("comment.posted", {"on": top.id, "root": callout.id, "text": "Tuesday"})
    lc.add(
        "comment.posted",
        {
            "on": top.id,
            "root": top.id,
            "text": "its root is the comment itself: shown in that comment's own thread, not the callout's",
        },
    )
    lb.add("comment.updated", {"comment": top.id, "text": "When exactly?"})
    gone = lb.add("comment.posted", {"on": callout.id, "text": "oops"})
    lb.add("comment.withdrawn", {"comment": gone.id})
    cases.append(
        _case(
            "thread",
            "a comment's ref is its root (else `on`); a reply shows once its parent, a comment of the same thread, is "
            "there (C's reply is listed before B's comment); an edit sets updated_at; a withdrawal keeps the document",
            lc.events + la.events + lb.events,
            tagged,
        )
    )
    la, lb, lc = _Log(a), _Log(b), _Log(c)
    asked = [b.public_key, c.public_key]
    prop = la.add(
        "proposal.tabled",
        {"title": "Strike", "text": "From March", "process": "consensus", "asked": asked, "closes_at": T0 + 3500},
    )
    legacy = la.add("proposal.tabled", {"title": "Old style", "text": "No process"})
    lb.add("position.taken", {"proposal": prop.id, "position": "block"})  # T0+1000: no reason, does not count
    lb.add("position.taken", {"proposal": prop.id, "position": "agree"})  # T0+2000
    lc.add("position.taken", {"proposal": prop.id, "position": "block", "reason": "not voted yet"})  # T0+1000
    lc.add("position.taken", {"proposal": legacy.id, "position": "block"})  # T0+2000: counts, no process
    lc.add("position.taken", {"proposal": prop.id, "position": "agree"})  # T0+3000... still before closing
    lc.add("position.taken", {"proposal": prop.id, "position": "block", "reason": "changed our minds"})  # T0+4000: late
    cases.append(
        _case(
            "consensus_outcome",
            "a group's position is its newest by (timestamp, id) up to the closing time; a block needs a reason on a "
            "proposal with a process, not on one without; the live tally has C's late block, the outcome not",
            lb.events + lc.events + la.events,
            tagged,
        )
    )
    la, lb = _Log(a), _Log(b)
    meeting = la.add("assembly.scheduled", {"title": "General assembly", "starts_at": T0 + 86_400_000, "where": "Hall"})
    la.add("assembly.updated", {"assembly": meeting.id, "where": "Library"})
    lb.add("assembly.cancelled", {"assembly": meeting.id, "reason": "not B's to cancel"})
    la.add("assembly.cancelled", {"assembly": meeting.id, "reason": "Hall flooded"})
    la.add("assembly.updated", {"assembly": meeting.id, "title": "too late"})
    minutes = la.add("report.published", {"title": "Minutes", "text": "We met", "assembly": meeting.id})
    la.add("report.updated", {"report": minutes.id, "lessons": ["Book early"]})
    la.add("report.withdrawn", {"report": minutes.id})
    withdrawn = la.add("proposal.tabled", {"title": "Strike", "text": "In May", "process": "consent"})
    lb.add("position.taken", {"proposal": withdrawn.id, "position": "consent"})  # T0+2000: counts
    la.add("proposal.updated", {"proposal": withdrawn.id, "text": "In June", "closes_at": T0 + 20_000})
    la.add("proposal.withdrawn", {"proposal": withdrawn.id, "reason": "Landlord gave in"})  # T0+10000
    decision = la.add("decision.recorded", {"text": "We strike", "proposal": withdrawn.id, "outcome": "adopted"})
    la.add("decision.updated", {"decision": decision.id, "outcome": "deferred"})
    la.add("decision.withdrawn", {"decision": decision.id, "reason": "Recorded by mistake"})
    lb.add("position.taken", {"proposal": withdrawn.id, "position": "object", "reason": "too late"}, at=T0 + 12_000)
    cases.append(
        _case(
            "corrections_and_withdrawals",
            "assemblies, reports, proposals and decisions are lifecycles: only the author's updates apply (B's "
            "cancellation is ignored), a cancellation or withdrawal ends it (status, closed_at, reason) and a later "
            "update has no effect; a withdrawn proposal counts no position after its withdrawal and has no outcome",
            lb.events + la.events,
            tagged,
        )
    )
    return {"cases": cases}
