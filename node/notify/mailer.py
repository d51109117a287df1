"""The mailer: one background task per app that turns stored events into mail and hands the mail to SMTP.

Each pass does bounded work, in three steps:
1. scan: up to SCAN_BATCH events past its cursor in the store's notification log (arrival order, whoever stored them:
   this node, a peer, the CLI), queueing an urgent mail per matching member and adding digest items, in the same
   transaction that moves the cursor (so a restart neither loses nor repeats them);
2. digest: once the node's day reaches DIGEST_HOUR (its time zone), a digest per member who wants one, of what
   arrived since the last;
3. send: up to SEND_BATCH due mails; each is marked sent once the server took it, or tried again with backoff.
It wakes when listeners are told of stored events (NodeService), and at least every TICK_S.

A mail the server took is marked sent at once; if the node dies in between, it is sent again after the restart
with the same Message-ID (SMTP cannot do better; receivers and servers drop the copy by that id). One mailer
runs per node (per database): passes never overlap, so no mail is handed over twice by two of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

import aiosmtplib

from events import Event
from events.identity import parse_group_id
from events.kinds import OPEN_STATUS
from events.readmodel.projection import ASSEMBLIES
from events.readmodel.view import Put

from ..i18n import DEFAULT_LANGUAGE, N_, language, translations
from ..notices import Stored
from ..queries import names_of
from ..service import NodeService
from ..store.listing_sql import Where
from ..store.views import ViewStore
from ..web.local_time import format_when, zone_of
from .compose import digest_mail, item_line, message_of, urgent_mail
from .notifications import Notifications
from .outbox import Item
from .rules import ASSEMBLY_LINE, BY_KIND, SECTIONS, fill, is_urgent, line_data, payload_of, refers_to, render_line
from .smtp import SmtpConfig, send

log = logging.getLogger("solnet.mail")
SCAN_BATCH = 200
SEND_BATCH = 20
MEMBERS_PAGE = 500
DIGEST_SHOWN = 20
DIGEST_HOUR = 7
TICK_S = 60.0
UPCOMING_DAYS = 7
CURSOR, DIGESTED = "cursor", "digested"
Sender = Callable[[SmtpConfig, EmailMessage], Awaitable[None]]


class Mailer:
    """Turns stored events into queued mail and sends it (see the module docstring)."""

    def __init__(
        self,
        service: NodeService,
        notes: Notifications,
        smtp: SmtpConfig | Callable[[], SmtpConfig | None],
        base_url: str,
        *,
        clock: Callable[[], float] = time.time,
        sender: Sender = send,
        digest_hour: int = DIGEST_HOUR,
    ):
        self.service, self.notes = service, notes
        self.smtp: Callable[[], SmtpConfig | None] = smtp if callable(smtp) else (lambda: smtp)
        self.base_url = base_url.rstrip("/")
        self.clock, self.sender, self.digest_hour = clock, sender, digest_hour
        self.wake = asyncio.Event()
        self.passes = 0
        self.task: asyncio.Task | None = None
        self._one_pass = asyncio.Lock()  # passes never overlap: a due mail is handed over by one of them

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def on_stored(self, notice: Stored) -> None:
        """A listener of NodeService: events were stored, so look soon."""
        self.wake.set()

    async def run(self) -> None:
        """Pass after pass until cancelled; a failing pass is logged and the next one tries again."""
        while True:
            try:
                more = await self.run_pass()
            except Exception:
                log.exception("a mail pass failed; trying again in %.0f s", TICK_S)
                more = False
            if not more:
                idle = await self._idle_s()  # first: a wait() made before a cancelled await is never awaited
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), idle)
            self.wake.clear()

    async def _idle_s(self) -> float:
        due = await self.notes.call(self._next_due)
        return TICK_S if due is None else max(0.05, min(TICK_S, (due - self.now_ms()) / 1000))

    def _next_due(self) -> int | None:
        with self.notes.db.tx("reading the outbox", write=False) as tx:
            return self.notes.outbox.next_due(tx)

    async def run_pass(self) -> bool:
        """Scan, digest, send once; True iff work is left over for a pass right away."""
        async with self._one_pass:
            scanned = await self.scan()
            await self.digest()
            sent = await self.send_due()
            self.passes += 1
        return scanned >= SCAN_BATCH or sent >= SEND_BATCH

    # -- 1. events to mail ---------------------------------------------------------------------------------------

    async def scan(self) -> int:
        """Queue what the events past the cursor call for; return how many events were looked at."""
        notes = self.notes
        cursor = await notes.call(self._value, CURSOR)
        if cursor is None:  # first start: mail about what arrives from now on, not the whole history
            await notes.call(self._set_value, CURSOR, str(await self.service.astore.max_notification_id()))
            return 0
        found = await self.service.astore.notifications(int(cursor), SCAN_BATCH)
        if not found:
            return 0
        if self.smtp() is None:  # no server to send through: nothing is queued that would go out stale later
            await notes.call(self._set_value, CURSOR, str(found[-1][0]))
            return len(found)
        events = [(event, payload_of(event)) for _, event in found]
        await self.service.refresh_if_stale()  # (a peer's batch is projected at the end of its pull: names come with it)
        names = await self.service.query(names_of, list({e.author for e, p in events if p is not None}))
        for event, payload in events:  # a group new to us: its profile may come in the same batch as its callout
            if event.kind == "group.profile" and payload and isinstance(payload.get("name"), str):
                names[event.author] = payload["name"]
        ours = await self._ours(events)
        zone = zone_of(self.service.credentials().time_zone)
        now = self.now_ms()
        work: list[tuple[str, Any]] = []
        for event, payload in events:
            if payload is None:
                continue
            author = names.get(event.author, "")
            if is_urgent(event, payload):
                work.append(("urgent", (event, payload, author, zone)))
            for section in BY_KIND.get(event.kind, ()):
                ref = refers_to(section, payload)
                if ref is None or ref in ours:
                    data, link = line_data(section.line, payload, author), fill(section.link, event, payload, author)
                    line = render_line(data, DEFAULT_LANGUAGE, zone)  # (kept too: what an older node's digest shows)
                    work.append(("item", Item(section.kind, event.id.hex(), now, line, link, data)))
        await notes.call(self._record, work, found[-1][0], now)
        return len(found)

    async def _ours(self, events: list[tuple[Event, dict | None]]) -> set[bytes]:
        """Return the ids, among those the events refer to for an "ours" section, of events our group made."""
        own = parse_group_id(self.service.group_id)
        refs = {r for e, p in events if p is not None for s in BY_KIND.get(e.kind, ()) if (r := refers_to(s, p))}
        found = set()
        for ref in refs:
            event = await self.service.astore.get(ref)
            if event is not None and event.author == own:
                found.add(ref)
        return found

    def _record(self, work: list[tuple[str, Any]], cursor: int, now: int) -> None:
        notes, name = self.notes, self.service.credentials().name or "Solidarity Network"
        with notes.db.tx("queueing mail") as tx:
            for what, value in work:
                if what == "item":
                    notes.outbox.add_item(tx, value)
                    continue
                event, payload, author, zone = value
                callout = {**payload, "id": event.id.hex()}
                after = ""
                while True:
                    page = notes.prefs.subscribers(tx, "urgent", notes.members, after, MEMBERS_PAGE)
                    for prefs, email, _ in page:
                        if prefs.matches(payload.get("where"), payload.get("needs")):
                            code = self._language(tx, prefs.member_id)
                            tr, when = translations(code), format_when(payload.get("starts_at"), zone, code)
                            mail = urgent_mail(
                                f"urgent:{prefs.member_id}:{event.id.hex()}", prefs.member_id, email, prefs.unsubscribe,
                                callout, author=author or tr.gettext("A group"), when=when, base_url=self.base_url,
                                node_name=name, tr=tr,
                            )  # fmt: skip
                            notes.outbox.queue(tx, mail, now)
                    if len(page) < MEMBERS_PAGE:
                        break
                    after = page[-1][0].member_id
            notes.outbox.set_value(tx, CURSOR, str(cursor))

    def _language(self, tx: Any, member_id: str) -> str:
        """Return the code of the language a member chose, else the node's language (for their mail)."""
        return language(self.notes.languages.get(tx, member_id) or self.service.credentials().language).code

    def _value(self, name: str) -> str | None:
        with self.notes.db.tx("reading the mailer's progress", write=False) as tx:
            return self.notes.outbox.value(tx, name)

    def _set_value(self, name: str, value: str) -> None:
        with self.notes.db.tx("saving the mailer's progress") as tx:
            self.notes.outbox.set_value(tx, name, value)

    # -- 2. the daily digest -------------------------------------------------------------------------------------

    def cutoff(self, now_ms: int) -> tuple[int, str]:
        """Return the latest digest time (ms) at or before `now_ms`, and the day (YYYY-MM-DD) that digest covers."""
        zone = zone_of(self.service.credentials().time_zone)
        local = datetime.fromtimestamp(now_ms / 1000, UTC).astimezone(zone)
        moment = local.replace(hour=self.digest_hour, minute=0, second=0, microsecond=0)
        if moment > local:
            moment -= timedelta(days=1)
        return int(moment.timestamp() * 1000), (moment - timedelta(days=1)).strftime("%Y-%m-%d")

    async def digest(self) -> int:
        """Queue the digests that are due; return how many were queued."""
        now = self.now_ms()
        cutoff, _ = self.cutoff(now)
        last = await self.notes.call(self._value, DIGESTED)
        if last is not None and int(last) >= cutoff:
            return 0
        zone = zone_of(self.service.credentials().time_zone)
        end = cutoff + UPCOMING_DAYS * 86_400_000
        soon = await self.service.query(upcoming_assemblies, cutoff, end, DIGEST_SHOWN) if last is not None else []
        upcoming = []
        for put, name in soon:
            data = line_data(ASSEMBLY_LINE, put.doc, name)
            upcoming.append(Item("upcoming", put.key.hex(), 0, render_line(data, DEFAULT_LANGUAGE, zone), "/assemblies", data))
        return await self.notes.call(self._digest, now, upcoming)

    def _digest(self, now: int, upcoming: list[Item]) -> int:
        notes, (cutoff, day) = self.notes, self.cutoff(now)
        name = self.service.credentials().name or "Solidarity Network"
        zone = zone_of(self.service.credentials().time_zone)
        queued = 0
        with notes.db.tx("queueing digests") as tx:
            last = notes.outbox.value(tx, DIGESTED)
            if last is not None and int(last) >= cutoff:
                return 0
            start = int(last) if last is not None else cutoff
            sections = []
            for section in SECTIONS:
                items, total = notes.outbox.items(tx, section.kind, start, cutoff, DIGEST_SHOWN)
                if total:
                    sections.append((section.title, items, total))
            if upcoming:
                sections.append((N_("Assemblies in the next %(days)s days"), upcoming, len(upcoming)))
            after = ""
            while sections:
                page = notes.prefs.subscribers(tx, "digest", notes.members, after, MEMBERS_PAGE)
                for prefs, email, _ in page:
                    mail_id, code = f"digest:{prefs.member_id}:{cutoff}", self._language(tx, prefs.member_id)
                    mail = digest_mail(
                        mail_id, prefs.member_id, email, prefs.unsubscribe, sections,
                        day=day, base_url=self.base_url, node_name=name, tr=translations(code),
                        title_values={"days": UPCOMING_DAYS}, line=partial(item_line, code=code, zone=zone),
                    )  # fmt: skip
                    queued += notes.outbox.queue(tx, mail, now)
                if len(page) < MEMBERS_PAGE:
                    break
                after = page[-1][0].member_id
            notes.outbox.set_value(tx, DIGESTED, str(cutoff))
            notes.outbox.forget_items(tx, start)
        return queued

    # -- 3. sending ----------------------------------------------------------------------------------------------

    async def send_due(self) -> int:
        """Hand up to SEND_BATCH due mails to the server; return how many it took."""
        notes, smtp = self.notes, self.smtp()
        if smtp is None:
            return 0
        mails = await notes.call(self._due, self.now_ms())
        sent = 0
        for mail in mails:
            try:
                await self.sender(smtp, message_of(mail, sender=smtp.sender, base_url=self.base_url))
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                gave_up = await notes.call(self._failed, mail, f"{type(exc).__name__}: {exc}")
                log.warning("mail %s not sent (%s)%s", mail.id, exc, ": given up" if gave_up else "; will try again")
                continue
            await notes.call(self._sent, mail.id)
            sent += 1
        return sent

    def _due(self, now: int) -> list:
        with self.notes.db.tx("reading the outbox", write=False) as tx:
            return self.notes.outbox.due(tx, now, SEND_BATCH)

    def _sent(self, mail_id: str) -> None:
        with self.notes.db.tx("marking mail sent") as tx:
            self.notes.outbox.sent(tx, mail_id, self.now_ms())

    def _failed(self, mail: Any, error: str) -> bool:
        with self.notes.db.tx("noting a failed mail") as tx:
            return self.notes.outbox.failed(tx, mail, error, self.now_ms())


def upcoming_assemblies(view: ViewStore, start: int, end: int, limit: int) -> list[tuple[Put, str]]:
    """Return up to `limit` assemblies starting in [start, end) ms and not cancelled, soonest first, each with its
    group's name."""
    puts = view.page(ASSEMBLIES, Where(status=OPEN_STATUS[ASSEMBLIES], starts_from=start, starts_before=end), None, limit)
    names = names_of(view, [p.author for p in puts])
    return [(p, names.get(p.author, "")) for p in reversed(puts)]
