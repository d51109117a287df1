"""Who gets replicated (Admission), which learnt URLs may be contacted (protocol/urls.py), and the operator's peers."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from proto_helpers import identity, make_log

from protocol import OPEN, Admission, FrontierEntry, PeerBook, PeerInfo, PeerList, ProtocolError, ReplicationPolicy
from protocol.urls import address_allowed, learnt_url_problem

OWN, FOLLOWED, KNOWN = (bytes([n]) * 32 for n in (1, 2, 3))
POLICY = ReplicationPolicy.everyone(own=OWN, followed=[FOLLOWED])
CHOSEN = "http://chosen.test"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def entries(count: int, start: int = 10) -> list[FrontierEntry]:
    return [FrontierEntry(bytes([start + i]) * 32, 1, bytes(32)) for i in range(count)]


def test_trusted_mode_takes_new_authors_only_from_chosen_peers_within_the_quota():
    clock = Clock()
    admission = Admission(per_hour=3, chosen=lambda url: url == CHOSEN, held_authors=2, clock=clock)
    known = {KNOWN: None}
    offered = [FrontierEntry(a, 1, bytes(32)) for a in (OWN, FOLLOWED, KNOWN)] + entries(5)
    # A stranger (no confirmed URL) and a learnt peer: only what we hold, our own and the followed are taken.
    for key, url in (("remote:9.9.9.9", None), ("remote:8.8.8.8", "http://learnt.test")):
        taken = admission.take_entries(key, url, offered, POLICY, known)
        assert {e.author for e in taken} == {OWN, FOLLOWED, KNOWN}
    assert set(admission.quarantine) == {"remote:9.9.9.9", "http://learnt.test"}  # per origin
    assert len(admission.quarantine["remote:9.9.9.9"].authors) == 2 and admission.quarantine["remote:9.9.9.9"].dropped == 3
    # A chosen peer: three new authors an hour, then one more as the bucket refills.
    assert len(admission.take_entries("remote:1", CHOSEN, offered, POLICY, known)) == 3 + 3
    assert len(admission.take_entries("remote:1", CHOSEN, entries(5, 40), POLICY, known)) == 0
    clock.now += 1200.0
    assert len(admission.take_entries("remote:1", CHOSEN, entries(5, 40), POLICY, known)) == 1
    # Taken once, taken again (a push and the pull it starts count once).
    assert len(admission.take_entries("remote:1", CHOSEN, entries(5), POLICY, known)) == 3
    # A blocked author is never taken, whoever offers it.
    blocked = ReplicationPolicy.everyone(own=OWN, blocked=[bytes([10]) * 32])
    assert admission.take_entries("remote:1", CHOSEN, entries(1), blocked, known) == []


def test_quarantine_holds_a_few_events_and_an_admin_accepts_them():
    admission = Admission(held_authors=2, held_events=2)
    logs = [make_log(identity(80 + n), 3) for n in range(3)]
    pushed = [e for log in logs for e in log]
    assert admission.take_events("remote:7", None, pushed, POLICY, {}) == []
    box = admission.quarantine["remote:7"]
    assert [len(h.events) for h in box.authors.values()] == [2, 2] and box.dropped == 1
    first = logs[0][0].author
    events = admission.accept("remote:7", [first])
    assert [e.seq for e in events] == [1, 2] and first not in box.authors
    # Accepted: taken from anyone from now on.
    assert admission.take_events("remote:8", None, logs[0], POLICY, {}) == logs[0]
    assert admission.accept("remote:nobody") == []
    assert len(admission.accept("remote:7")) == 2 and "remote:7" not in admission.quarantine


def test_quarantine_keeps_at_most_its_origins_oldest_forgotten_first():
    admission = Admission(origins=3)
    for n in range(5):
        admission.take_entries(f"remote:{n}", None, entries(1), POLICY, {})
    assert list(admission.quarantine) == ["remote:2", "remote:3", "remote:4"]


def test_open_relay_takes_from_anyone_within_per_origin_quotas_and_holds_nothing():
    admission = Admission(mode=OPEN, per_hour=2)
    assert len(admission.take_entries("remote:1", None, entries(5), POLICY, {})) == 2
    assert len(admission.take_entries("remote:2", None, entries(5, 60), POLICY, {})) == 2
    assert admission.quarantine == {}
    assert len(Admission.everyone().take_entries("remote:3", None, entries(50, 100), POLICY, {})) == 50
    with pytest.raises(ProtocolError, match="replication mode"):
        Admission(mode="everything")


def test_the_operator_always_wins_a_full_peer_book():
    book = PeerBook(cap=3)
    assert book.merge(PeerList(tuple(PeerInfo(f"http://p{i}.test") for i in range(3)))) == 3
    assert not book.add("http://learnt.test")  # full, and nobody is dead: a learnt peer waits
    assert book.add("http://mine.test", chosen=True) and book.is_chosen("http://mine.test")
    assert len(book.urls()) == 3  # a learnt peer made room
    book.add("http://p9.test", chosen=True)
    book.add("http://p8.test", chosen=True)
    assert sorted(u for u in book.urls() if book.is_chosen(u)) == ["http://mine.test", "http://p8.test", "http://p9.test"]
    assert book.add("http://more.test", chosen=True) and len(book.urls()) == 4  # chosen ones alone may exceed the cap
    assert not book.add("http://learnt.test")
    # A learnt peer the operator then adds becomes chosen.
    book2 = PeerBook()
    book2.add("http://x.test")
    assert not book2.add("http://x.test", chosen=True) and book2.is_chosen("http://x.test")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://peer.example.org:8470", None),
        ("https://peer.example.org/solnet", None),
        ("http://93.184.216.34:8470", None),
        ("http://[2606:4700::1111]:80", None),
        ("ftp://peer.example.org", "is not http(s)"),
        ("http://user:pw@peer.example.org", "carries credentials"),
        ("http://peer.example.org/x?next=/admin", "has a query string or fragment"),
        ("http://peer.example.org/#frag", "has a query string or fragment"),
        ("http://127.0.0.1:8470", "non-public"),
        ("http://10.1.2.3", "non-public"),
        ("http://192.168.1.1", "non-public"),
        ("http://169.254.169.254/latest", "non-public"),
        ("http://100.64.0.1", "non-public"),
        ("http://224.0.0.1", "non-public"),
        ("http://240.0.0.1", "non-public"),
        ("http://0.0.0.0", "non-public"),
        ("http://[::1]:8470", "non-public"),
        ("http://[fe80::1]", "non-public"),
        ("http://[::ffff:127.0.0.1]", "non-public"),
        ("http://[fc00::1]", "non-public"),
        ("http://localhost:8470", "local host"),
        ("http://db.internal", "local host"),
        ("http://peer.example.org:0", "port 0"),
        ("http://peer.example.org:99999", "not a valid URL"),
        ("http:///nohost", "has no host"),
        ("http://peer\u00e9.org", "printable ASCII"),
    ],
)
def test_learnt_urls_must_be_plain_public_http(url, problem):
    found = learnt_url_problem(url)
    assert (found is None) if problem is None else (found is not None and problem in found), found


def test_private_ranges_only_when_allowed():
    assert learnt_url_problem("http://127.0.0.1:8470", allow_private=True) is None
    assert learnt_url_problem("http://127.0.0.1/x?y", allow_private=True) is not None  # syntax still applies
    assert not address_allowed(ipaddress.ip_address("224.0.0.1"), allow_private=True)
    assert address_allowed(ipaddress.ip_address("8.8.8.8"))


def test_quarantine_holds_at_most_its_bytes_per_origin():
    log = make_log(identity(90), 4)
    size = len(log[0].payload)
    admission = Admission(held_bytes=2 * size + size // 2)
    admission.take_events("remote:5", None, log, POLICY, {})
    box = admission.quarantine["remote:5"]
    assert len(box.authors[log[0].author].events) == 2 and box.held_bytes <= 2 * size + size // 2
    admission.accept("remote:5")
    assert "remote:5" not in admission.quarantine


def test_peer_url_vectors():
    """docs/vectors/peer_urls.json: the contract's verdicts on learnt URLs (tools/make_vectors.py writes them)."""
    path = Path(__file__).resolve().parents[2] / "docs" / "vectors" / "peer_urls.json"
    cases = json.loads(path.read_text())["cases"]
    assert len(cases) >= 50 and any(c["contact"] for c in cases) and not all(c["contact"] for c in cases)
    for case in cases:
        verdict = learnt_url_problem(case["url"], allow_private=case["allow_private"]) is None
        assert verdict == case["contact"], case
