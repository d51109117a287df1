"""Mail through a real SMTP server on loopback (aiosmtpd): urgent callouts from a peer, unsubscribing, the digest."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from node.http_errors import UNEXPECTED
from node.members import ACCOUNTS
from node.notices import Source
from node.notify import NOTIFY, Notifications
from node.notify.mailer import Mailer
from node.notify.setup import MAILER, mail_setup
from node.notify.smtp import SmtpConfig, parse_smtp_url, send
from node.web import setup_web

from ..conftest import make_service
from ..federation.cluster import Cluster
from .smtp_server import smtp_server

SENDER = "alerts@elm.example.org"


async def _wait(condition, timeout: float = 15.0, what: str = "condition") -> None:
    import asyncio

    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


def _member(app, name: str, email: str, **choices) -> str:
    """Add an active member with an email address and their notification choices; return their unsubscribe token."""
    accounts, notes = app[ACCOUNTS], app[NOTIFY]
    member, link = accounts.invite(name, "member", email)
    accounts.accept(link, "a good password")
    notes.choose(member.id, urgent=choices.get("urgent", False), digest=choices.get("digest", False),
                 areas=choices.get("areas", ""), needs=choices.get("needs", []))  # fmt: skip
    if choices.get("language"):
        accounts.set_language(member.id, choices["language"])
    return notes.choices(member.id).unsubscribe


async def test_a_critical_callout_from_a_peer_reaches_a_subscribed_inbox_within_seconds(tmp_path):
    with smtp_server() as (inbox, port):
        cluster = Cluster(tmp_path)
        try:
            peer, ours = cluster.add("Leith Tenants"), cluster.add("Elm Street")
            cluster.link(0, 1)
            smtp = SmtpConfig("127.0.0.1", port, SENDER)
            ours.extras = [lambda: setup_web, lambda: mail_setup(smtp, ours.url)]
            await cluster.start()
            orla = _member(ours.app, "Orla", "orla@example.org", urgent=True, areas="Leith", needs=["people"])
            _member(ours.app, "Gus", "gus@example.org", urgent=True, areas="Glasgow")  # another area
            _member(ours.app, "Dee", "dee@example.org", digest=True)  # the digest only
            _member(ours.app, "Sam", "sam@example.org", urgent=True)  # everything urgent
            _member(ours.app, "Noor", "noor@example.org", urgent=True, language="ar")  # in the language she chose
            mailer = ours.app[MAILER]
            await _wait(lambda: _true(mailer.passes >= 1), what="the mailer's first pass")

            await peer.publish("callout.published", {"title": "Bins", "text": "t", "needs": ["people"], "urgency": "normal",
                                                      "where": "Leith"})  # fmt: skip
            started = time.monotonic()
            event = await peer.publish(
                "callout.published",
                {"title": "Eviction at 7am", "text": "Bodies at the door", "needs": ["people"], "urgency": "critical",
                 "where": "12 Leith Walk, Edinburgh", "starts_at": 1_900_000_000_000},
            )  # fmt: skip
            got = await inbox.wait_for("orla@example.org", 1, timeout=10)
            took = got[0].at - started
            assert took < 5, f"the mail took {took:.2f} s"
            message = got[0].message
            assert message["Subject"] == "[Critical] Eviction at 7am (Leith Tenants)"
            assert str(message["List-Unsubscribe"]).strip() == f"<{ours.url}/unsubscribe/{orla}>"
            print(f"critical callout from the peer in the inbox after {took:.3f} s")
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            text = message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            assert "Bodies at the door" in text and f"{ours.url}/callouts/{event.id.hex()}" in text
            assert "Eviction at 7am" in html and f"{ours.url}/unsubscribe/{orla}" in html
            await inbox.wait_for("sam@example.org", 1)
            [arabic] = await inbox.wait_for("noor@example.org", 1)
            assert arabic.message["Subject"] == "[حرجة] Eviction at 7am (Leith Tenants)"
            arabic_text = arabic.message.get_body(("plain",)).get_content()
            assert "Leith Tenants بحاجة إلى مساعدة: Eviction at 7am" in arabic_text and "Bodies at the door" in arabic_text

            # one click (as a mail program does it, RFC 8058): Orla gets nothing more, Sam still does
            async with aiohttp.ClientSession() as http:
                resp = await http.post(f"{ours.url}/unsubscribe/{orla}", data="List-Unsubscribe=One-Click",
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
                assert resp.status == 200 and "Mail stopped" in await resp.text()
            await peer.publish("callout.published", {"title": "Second eviction", "text": "again", "needs": ["people"],
                                                      "urgency": "high", "where": "Leith"})  # fmt: skip
            await inbox.wait_for("sam@example.org", 2)
            for _ in range(2):
                await mailer.run_pass()
            assert len(inbox.to("orla@example.org")) == 1
            assert inbox.to("gus@example.org") == [] and inbox.to("dee@example.org") == []
            assert [r.message["Subject"] for r in inbox.to("sam@example.org")] == [
                "[Critical] Eviction at 7am (Leith Tenants)",
                "[High] Second eviction (Leith Tenants)",
            ]
        finally:
            await cluster.stop()
        for node in cluster.nodes:
            node.check()


async def _true(value: bool) -> bool:
    return value


class Clock:
    def __init__(self, when: datetime):
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now


async def test_the_digest_groups_a_days_events_in_sections(tmp_path):
    """Dee's digest of 3 May (sent at 07:00 on the 4th, London time) has the day's new callouts, the pledges on our
    callouts (not on others'), positions on our proposals and assemblies called; nothing is sent twice."""
    london = ZoneInfo("Europe/London")
    clock = Clock(datetime(2026, 5, 3, 9, 0, tzinfo=london))
    tuesday_ms = int(datetime(2026, 5, 5, 19, 0, tzinfo=london).timestamp() * 1000)
    ours, _ = make_service(tmp_path / "ours", "Elm Street")
    other, _ = make_service(tmp_path / "other", "Leith Tenants")
    await ours.publish("group.profile", {"name": "Elm Street"})
    await other.publish("group.profile", {"name": "Leith Tenants"})
    with smtp_server() as (inbox, port):
        notes = Notifications(ours.store)
        mailer = Mailer(ours, notes, SmtpConfig("127.0.0.1", port, SENDER), "http://elm.example.org", clock=clock)
        accounts = _accounts(ours)
        dee, link = accounts.invite("Dee", "member", "dee@example.org")
        accounts.accept(link, "a good password")
        notes.choose(dee.id, urgent=False, digest=True, areas="", needs=[])
        await mailer.run_pass()  # the first pass: from now on

        fields = {"title": "Our call", "text": "t", "needs": ["money"], "urgency": "low"}
        callout = await ours.publish("callout.published", fields)
        proposal = await ours.publish("proposal.tabled", {"title": "Rent strike", "text": "t"})
        await other.ingest([e for _, e in await ours.astore.notifications(0, 100)], source=Source.PEER)  # (synced)
        await other.publish("callout.published", {"title": "Their call", "text": "t", "needs": ["people"]})
        third, _ = make_service(tmp_path / "third", "Govan")
        elsewhere = await third.publish("callout.published", {"title": "Govan call", "text": "t", "needs": ["people"]})
        await other.ingest([elsewhere], source=Source.PEER)
        pledges = [
            await other.publish("pledge.made", {"callout": callout.id.hex(), "need": "money", "offer": "£50"}),
            await other.publish("pledge.made", {"callout": elsewhere.id.hex(), "need": "people", "offer": "us"}),
            await other.publish("position.taken", {"proposal": proposal.id.hex(), "position": "agree", "reason": "yes"}),
            await other.publish("assembly.scheduled", {"title": "Spring assembly", "starts_at": 1_900_000_000_000}),
            await other.publish("assembly.scheduled", {"title": "Tuesday assembly", "starts_at": tuesday_ms}),
        ]
        events = [e for _, e in await other.astore.notifications(0, 100)]
        await ours.ingest([e for e in events if e.author == other.identity.public_key], source=Source.PEER)
        await mailer.run_pass()
        assert pledges and inbox.received == []  # nothing before 07:00 tomorrow

        clock.now = datetime(2026, 5, 4, 6, 59, tzinfo=london).timestamp()
        await mailer.run_pass()
        assert inbox.received == []
        clock.now = datetime(2026, 5, 4, 7, 1, tzinfo=london).timestamp()
        await mailer.run_pass()
        got = await inbox.wait_for("dee@example.org", 1)
        message = got[0].message
        assert message["Subject"] == "What happened on 2026-05-03 (Elm Street)"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = message.get_body(("plain",)).get_content()
        skip = ("-", " ", "What", "You", "Change", "Stop")
        sections = [line for line in text.splitlines() if line and not line.startswith(skip)]
        assert sections == ["New callouts (2)", "Pledges on our callouts (1)", "Positions on our proposals (1)",
                            "Assemblies called (2)", "Assemblies in the next 7 days (1)"]  # fmt: skip
        assert "- Leith Tenants: Tuesday assembly, Tue 5 May 2026, 19:00 BST (UTC+01:00)" in text
        assert "- Elm Street: Our call (low)" in text and "- Leith Tenants: Their call (normal)" in text
        assert "- Leith Tenants pledged money: £50" in text and "pledged people" not in text
        assert "- Leith Tenants: agree yes" in text and "Spring assembly" in text
        assert f"http://elm.example.org/callouts/{callout.id.hex()}" in text

        for _ in range(3):
            await mailer.run_pass()
        clock.now += 3600
        await mailer.run_pass()
        assert len(inbox.received) == 1
    await ours.close()
    await other.close()
    await third.close()


def _accounts(service):
    from node.members import Accounts

    return Accounts(service.store)


async def test_a_mail_the_server_refuses_is_tried_again_with_backoff_then_sent_once(tmp_path):
    clock = Clock(datetime(2026, 5, 3, 9, 0, tzinfo=ZoneInfo("Europe/London")))
    service, _ = make_service(tmp_path / "n", "Elm Street")
    with smtp_server() as (inbox, port):
        notes = Notifications(service.store)
        mailer = Mailer(service, notes, SmtpConfig("127.0.0.1", port, SENDER), "http://elm.example.org", clock=clock)
        accounts = _accounts(service)
        orla, link = accounts.invite("Orla", "member", "orla@example.org")
        accounts.accept(link, "a good password")
        notes.choose(orla.id, urgent=True, digest=False, areas="", needs=[])
        await mailer.run_pass()
        event = await service.publish("callout.published", {"title": "Now", "text": "t", "needs": ["people"], "urgency": "high"})
        inbox.refuse = True
        await mailer.run_pass()
        mail_id = f"urgent:{orla.id}:{event.id.hex()}"
        attempts, sent, error = notes.mail_state(mail_id)
        assert (attempts, sent) == (1, None) and "451" in error
        inbox.refuse = False
        await mailer.run_pass()  # not due yet: the first retry waits 30 s
        assert inbox.received == []
        clock.now += 31
        await mailer.run_pass()
        await inbox.wait_for("orla@example.org", 1)
        clock.now += 3600
        await mailer.run_pass()
        assert len(inbox.received) == 1 and notes.mail_state(mail_id)[1] is not None
    await service.close()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # (loopback: the test's own server)
async def test_smtp_login_and_urls(tmp_path):
    config = parse_smtp_url("smtp://bot%40elm:s3cret@127.0.0.1:2525?from=alerts@elm.example.org")
    assert (config.username, config.password, config.port, config.sender) == ("bot@elm", "s3cret", 2525, "alerts@elm.example.org")
    assert "s3cret" not in repr(config)
    assert parse_smtp_url("smtps://mail.example.org").use_tls and parse_smtp_url("smtps://mail.example.org").port == 465
    assert parse_smtp_url("smtp+starttls://mail.example.org").start_tls is True
    with pytest.raises(Exception, match="SOLNET_SMTP_URL"):
        parse_smtp_url("http://mail.example.org")
    from email.message import EmailMessage

    import aiosmtplib

    with smtp_server(users={"bot": "s3cret"}) as (inbox, port):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, "orla@example.org", "hello"
        message.set_content("hi")
        with pytest.raises(aiosmtplib.SMTPException):
            await send(parse_smtp_url(f"smtp://bot:wrong@127.0.0.1:{port}?from={SENDER}"), message)
        await send(parse_smtp_url(f"smtp://bot:s3cret@127.0.0.1:{port}?from={SENDER}"), message)
        assert len(await inbox.wait_for("orla@example.org", 1)) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_an_admin_chooses_the_smtp_server_on_the_settings_page(tmp_path, aiohttp_client, monkeypatch):
    from node.app import create_app

    from ..web.conftest import csrf_of, login

    monkeypatch.delenv("SOLNET_SMTP_URL", raising=False)
    service, token = make_service(tmp_path / "n", "Elm Street")
    app = create_app(service, extras=[setup_web, mail_setup(None, "http://elm.example.org")])
    client = await aiohttp_client(app)
    _member(app, "Orla", "orla@example.org", urgent=True)
    mailer = app[MAILER]
    await mailer.run_pass()
    urgent = {"title": "Before", "text": "t", "needs": ["people"], "urgency": "critical"}
    await service.publish("callout.published", urgent)
    await mailer.run_pass()  # no server yet: nothing is queued, to go out stale later
    await login(client, token)
    csrf = csrf_of(await (await client.get("/settings")).text())
    await service.publish("group.profile", {"name": "Elm Street"})
    assert "no mail is sent" in await (await client.get("/settings")).text()
    bad = await client.post("/settings", data={"csrf": csrf, "smtp_url": "http://mail.example.org"})
    assert bad.status == 422 and "The SMTP server must look like" in await bad.text()
    with smtp_server(users={"bot": "pw"}) as (inbox, port):
        saved = await client.post("/settings", data={"csrf": csrf, "smtp_url": f"smtp://bot:pw@127.0.0.1:{port}?from={SENDER}"})
        page = await saved.text()
        assert saved.status == 200 and f"through 127.0.0.1:{port} (STARTTLS when offered, as bot), from {SENDER}" in page
        assert "pw@" not in page
        assert service.data_dir.settings().extra["smtp_url"].startswith("smtp://bot:pw@")
        await service.publish("callout.published", {**urgent, "title": "After"})
        await mailer.run_pass()
        (got,) = await inbox.wait_for("orla@example.org", 1)
        assert got.message["Subject"] == "[Critical] After (Elm Street)"
        await client.post("/settings", data={"csrf": csrf, "smtp_url": ""})
        assert "smtp_url" not in service.data_dir.settings().extra
    assert app[UNEXPECTED] == []


async def test_a_polish_members_digest_has_its_lines_in_polish_and_old_rows_keep_their_english(tmp_path):
    """The lines are worded when the digest is made, in the member's language (Ola chose Polish): names and what
    groups wrote stay as written, the choices and the time are Polish. A row queued before lines were kept to be
    worded later (no data) shows the English line it was stored with."""
    from node.notify.outbox import Item

    london = ZoneInfo("Europe/London")
    clock = Clock(datetime(2026, 5, 3, 9, 0, tzinfo=london))
    tuesday_ms = int(datetime(2026, 5, 5, 19, 0, tzinfo=london).timestamp() * 1000)
    ours, _ = make_service(tmp_path / "ours", "Elm Street")
    other, _ = make_service(tmp_path / "other", "Leith Tenants")
    await ours.publish("group.profile", {"name": "Elm Street"})
    await other.publish("group.profile", {"name": "Leith Tenants"})
    with smtp_server() as (inbox, port):
        notes = Notifications(ours.store)
        mailer = Mailer(ours, notes, SmtpConfig("127.0.0.1", port, SENDER), "http://elm.example.org", clock=clock)
        accounts = _accounts(ours)
        ola, link = accounts.invite("Ola", "member", "ola@example.org")
        accounts.accept(link, "a good password")
        accounts.set_language(ola.id, "pl")
        notes.choose(ola.id, urgent=False, digest=True, areas="", needs=[])
        await mailer.run_pass()

        callout = await ours.publish("callout.published", {"title": "Czynsz", "text": "t", "needs": ["money"], "urgency": "low"})
        await other.ingest([e for _, e in await ours.astore.notifications(0, 100)], source=Source.PEER)
        await other.publish("pledge.made", {"callout": callout.id.hex(), "need": "money", "offer": "£50"})
        await other.publish("assembly.scheduled", {"title": "Zebranie", "starts_at": tuesday_ms})
        events = [e for _, e in await other.astore.notifications(0, 100)]
        await ours.ingest([e for e in events if e.author == other.identity.public_key], source=Source.PEER)
        await mailer.run_pass()
        old = Item("callout.published", "ab" * 32, mailer.now_ms(), "Govan: Old row (high)", "/callouts/" + "ab" * 32)
        with notes.db.tx("an old row") as tx:
            notes.outbox.add_item(tx, old)

        clock.now = datetime(2026, 5, 4, 7, 1, tzinfo=london).timestamp()
        await mailer.run_pass()
        got = await inbox.wait_for("ola@example.org", 1)
        text = got[0].message.get_body(("plain",)).get_content()
        html = got[0].message.get_body(("html",)).get_content()
        assert "- Elm Street: Czynsz (niska)" in text
        assert "- Leith Tenants deklaruje pieniądze: £50" in text
        assert "- Leith Tenants: Zebranie, wt. 5 maj 2026, 19:00 BST (UTC+01:00)" in text, text
        assert "- Govan: Old row (high)" in text  # (stored before: as it was stored)
        assert "Czynsz (niska)</a>" in html
        assert "pledged" not in text and "Tue" not in text
    await ours.close()
    await other.close()


def test_a_line_is_worded_from_what_was_kept_in_each_language():
    from node.notify.rules import SECTIONS, line_data, render_line

    london = ZoneInfo("Europe/London")
    position = next(s for s in SECTIONS if s.kind == "position.taken")
    data = line_data(position.line, {"proposal": b"\x01" * 32, "position": "stand_aside", "reason": "za wcześnie"}, "")
    assert render_line(data, "en", london) == "A group: stand aside za wcześnie"
    assert render_line(data, "es", london).startswith("Un grupo: ")
    assert "stand" not in render_line(data, "pl", london)
