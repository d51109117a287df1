"""The mail outbox, the digest's items and the mailer's progress, in the node's database (node-local rows).

A mail is queued once: its id says what it is for (`urgent:MEMBER:CALLOUT`, `digest:MEMBER:DAY`), and a second
insert of the same id does nothing. It is queued in the same transaction that moves the mailer's cursor past the
events it came from, so a restart neither loses nor repeats it; it is marked sent once the SMTP server took it,
and retried with backoff until then.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..members.db import LocalDb, Tx

OUTBOX = "mail_outbox"
OUTBOX_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {t} (id TEXT PRIMARY KEY, member_id TEXT NOT NULL, to_addr TEXT NOT NULL, "
    "subject TEXT NOT NULL, body_text TEXT NOT NULL, body_html TEXT NOT NULL, unsubscribe TEXT NOT NULL, "
    "created BIGINT NOT NULL, next_try BIGINT NOT NULL, attempts BIGINT NOT NULL, sent BIGINT, error TEXT)",
    "CREATE INDEX IF NOT EXISTS mail_outbox_due ON {t} (next_try, id) WHERE sent IS NULL",
)
STATE = "mail_state"
STATE_SCHEMA = ("CREATE TABLE IF NOT EXISTS {t} (name TEXT PRIMARY KEY, value TEXT NOT NULL)",)
ITEMS = "digest_items"
ITEMS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {t} (section TEXT NOT NULL, event_id TEXT NOT NULL, at BIGINT NOT NULL, "
    "line TEXT NOT NULL, link TEXT NOT NULL, data TEXT, PRIMARY KEY (section, event_id))",
    "CREATE INDEX IF NOT EXISTS digest_items_section ON {t} (section, at, event_id)",
    "CREATE INDEX IF NOT EXISTS digest_items_at ON {t} (at)",
)
BACKOFF_S = (30, 120, 600, 1800, 3600, 6 * 3600)
"""Seconds before each retry of a mail the server did not take; after the last, a mail is given up."""
ERROR_MAX = 500


@dataclass(frozen=True, slots=True)
class Mail:
    """One queued mail: to whom, what (text and HTML), and its one-click unsubscribe token."""

    id: str
    member_id: str
    to: str
    subject: str
    text: str
    html: str
    unsubscribe: str
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a digest: an event in a section, when it arrived (ms), the line in English, the link to it, and
    what wording the line in any language needs (node/notify/rules.line_data; None in rows queued before it was kept)."""

    section: str
    event_id: str
    at: int
    line: str
    link: str
    data: str | None = None


class Outbox:
    """Queued mail, the digest's items and the mailer's named progress values (blocking; called from a thread)."""

    def __init__(self, db: LocalDb):
        self.db = db
        self.t = db.table(OUTBOX)
        self.s = db.table(STATE)
        self.i = db.table(ITEMS)
        db.create(OUTBOX, OUTBOX_SCHEMA)
        db.create(STATE, STATE_SCHEMA)
        db.create(ITEMS, ITEMS_SCHEMA)
        db.add_column(ITEMS, "data", "TEXT")  # (a table made before lines were worded per member; old rows: NULL)

    # -- mail ----------------------------------------------------------------------------------------------------

    def queue(self, tx: Tx, mail: Mail, now_ms: int) -> bool:
        """Queue `mail` unless a mail with its id was queued before; True iff it is new."""
        return (
            tx.run(
                f"INSERT INTO {self.t} (id, member_id, to_addr, subject, body_text, body_html, unsubscribe, created, "
                "next_try, attempts, sent, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL) ON CONFLICT (id) DO NOTHING",
                (mail.id, mail.member_id, mail.to, mail.subject, mail.text, mail.html, mail.unsubscribe, now_ms, now_ms),
            )
            == 1
        )

    def due(self, tx: Tx, now_ms: int, limit: int) -> list[Mail]:
        """Return up to `limit` unsent mails whose next try has come, oldest due first."""
        rows = tx.rows(
            f"SELECT id, member_id, to_addr, subject, body_text, body_html, unsubscribe, attempts FROM {self.t} "
            "WHERE sent IS NULL AND next_try <= ? ORDER BY next_try, id LIMIT ?",
            (now_ms, limit),
        )
        return [Mail(*r) for r in rows]

    def next_due(self, tx: Tx) -> int | None:
        """Return when (ms) the next unsent mail is due, or None if none waits."""
        row = tx.row(f"SELECT next_try FROM {self.t} WHERE sent IS NULL ORDER BY next_try, id LIMIT 1")
        return int(row[0]) if row else None

    def sent(self, tx: Tx, mail_id: str, now_ms: int) -> None:
        tx.run(f"UPDATE {self.t} SET sent = ?, error = NULL WHERE id = ?", (now_ms, mail_id))

    def failed(self, tx: Tx, mail: Mail, error: str, now_ms: int) -> bool:
        """Note a failed try and when to try again; True iff the mail is given up (marked sent with its error)."""
        attempts = mail.attempts + 1
        if attempts > len(BACKOFF_S):
            tx.run(f"UPDATE {self.t} SET attempts = ?, sent = ?, error = ? WHERE id = ?", (attempts, -now_ms, error, mail.id))
            return True
        later = now_ms + BACKOFF_S[attempts - 1] * 1000
        tx.run(
            f"UPDATE {self.t} SET attempts = ?, next_try = ?, error = ? WHERE id = ?",
            (attempts, later, error[:ERROR_MAX], mail.id),
        )
        return False

    def get(self, tx: Tx, mail_id: str) -> tuple[int, int | None, str | None] | None:
        """Return (attempts, sent ms or None, last error) of a mail, or None if it was never queued."""
        row = tx.row(f"SELECT attempts, sent, error FROM {self.t} WHERE id = ?", (mail_id,))
        return (int(row[0]), row[1], row[2]) if row else None

    # -- progress ------------------------------------------------------------------------------------------------

    def value(self, tx: Tx, name: str) -> str | None:
        row = tx.row(f"SELECT value FROM {self.s} WHERE name = ?", (name,))
        return row[0] if row else None

    def set_value(self, tx: Tx, name: str, value: str) -> None:
        tx.run(
            f"INSERT INTO {self.s} (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    # -- the digest's items --------------------------------------------------------------------------------------

    def add_item(self, tx: Tx, item: Item) -> None:
        tx.run(
            f"INSERT INTO {self.i} (section, event_id, at, line, link, data) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (section, event_id) DO NOTHING",
            (item.section, item.event_id, item.at, item.line, item.link, item.data),
        )

    def items(self, tx: Tx, section: str, start: int, end: int, limit: int) -> tuple[list[Item], int]:
        """Return up to `limit` items of `section` that arrived in [start, end) ms, oldest first, and how many there are."""
        rows = tx.rows(
            f"SELECT section, event_id, at, line, link, data FROM {self.i} WHERE section = ? AND at >= ? AND at < ? "
            "ORDER BY at, event_id LIMIT ?",
            (section, start, end, limit),
        )
        total = tx.row(f"SELECT COUNT(*) FROM {self.i} WHERE section = ? AND at >= ? AND at < ?", (section, start, end))
        return [Item(*r) for r in rows], int(total[0]) if total else 0

    def forget_items(self, tx: Tx, before: int) -> None:
        """Drop digest items that arrived before `before` (ms): every digest that needed them is queued."""
        tx.run(f"DELETE FROM {self.i} WHERE at < ?", (before,))
