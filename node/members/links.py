"""One-time links: invitations, password resets and the node's set-up link. Only each link's SHA-256 is stored.

A link is good once, until it expires; a used link's row stays (marked used) until it would have expired, so
following it again says "already used" rather than "unknown". Following a link is one UPDATE that marks it
used only if it is unused and unexpired, so two browsers racing on one link cannot both get in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from ..errors import LinkError
from .db import LocalDb, Tx

TABLE = "member_links"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {t} (token_hash TEXT PRIMARY KEY, purpose TEXT NOT NULL, member_id TEXT, "
    "created BIGINT NOT NULL, expires BIGINT NOT NULL, used BIGINT)",
    "CREATE INDEX IF NOT EXISTS member_links_member ON {t} (member_id)",
    "CREATE INDEX IF NOT EXISTS member_links_expires ON {t} (expires)",
)
INVITE_TTL_S = 7 * 24 * 3600
SETUP_TTL_S = 24 * 3600


class Purpose(StrEnum):
    """What following a link does."""

    INVITE = "invite"  # an invited member chooses their password
    RESET = "reset"  # a member chooses a new password
    SETUP = "setup"  # the first admin sets the node up


@dataclass(frozen=True, slots=True)
class Link:
    """A stored one-time link (without its secret)."""

    purpose: Purpose
    member_id: str | None
    expires: int
    used: int | None


def link_hash(secret: str) -> str:
    """Return what is stored in place of a link's secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class LinkStore:
    """One-time links in the node's database."""

    def __init__(self, db: LocalDb):
        self.t = db.table(TABLE)
        db.create(TABLE, SCHEMA)

    def add(self, tx: Tx, purpose: Purpose, member_id: str | None, now: int, ttl: int) -> str:
        """Make a link for `member_id` (None: set-up) good for `ttl` seconds; the member's (or set-up's) older unused links
        stop working. Return its secret, which is not stored."""
        if member_id is None:
            tx.run(f"DELETE FROM {self.t} WHERE used IS NULL AND purpose = ? AND member_id IS NULL", (purpose.value,))
        else:
            tx.run(f"DELETE FROM {self.t} WHERE used IS NULL AND member_id = ?", (member_id,))
        tx.run(f"DELETE FROM {self.t} WHERE expires < ?", (now,))  # bounded: old rows go as new ones come
        secret = secrets.token_urlsafe(32)
        tx.run(
            f"INSERT INTO {self.t} (token_hash, purpose, member_id, created, expires, used) VALUES (?, ?, ?, ?, ?, NULL)",
            (link_hash(secret), purpose.value, member_id, now, now + ttl),
        )
        return secret

    def peek(self, tx: Tx, secret: str, now: int) -> Link:
        """Return the link if it can still be followed; raise LinkError saying why not (unknown, used, expired)."""
        row = tx.row(f"SELECT purpose, member_id, expires, used FROM {self.t} WHERE token_hash = ?", (link_hash(secret),))
        if row is None:
            raise LinkError("this link is not known here: it may have been replaced by a newer one, or mistyped", field="link")
        link = Link(Purpose(row[0]), row[1], row[2], row[3])
        if link.used is not None:
            raise LinkError(
                "this link has been used already: each link works once. Log in, or ask an admin for a new link", field="link"
            )
        if link.expires < now:
            raise LinkError("this link has expired. Ask an admin of the node for a new one", field="link")
        return link

    def take(self, tx: Tx, secret: str, now: int) -> Link:
        """Mark the link used and return it; raise LinkError if it cannot be followed (nothing changes then)."""
        link = self.peek(tx, secret, now)
        changed = tx.run(
            f"UPDATE {self.t} SET used = ? WHERE token_hash = ? AND used IS NULL AND expires >= ?", (now, link_hash(secret), now)
        )
        if changed != 1:
            raise LinkError("this link has been used already: each link works once", field="link")
        return link

    def drop_member(self, tx: Tx, member_id: str) -> None:
        tx.run(f"DELETE FROM {self.t} WHERE member_id = ?", (member_id,))
