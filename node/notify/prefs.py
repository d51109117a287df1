"""What each member wants to hear about, their one-click unsubscribe token, private calendar link and last visit.

Node-local rows beside the members (node/members/db.py): never events, never replicated. The unsubscribe token is
kept as it is (it only turns mail off, and it is in every mail sent anyway); the calendar token, which opens what is
private to the group, only as its SHA-256 (shown once, like an API token).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from events.kinds import NEEDS

from ..errors import RequestError
from ..members.db import LocalDb, Tx
from ..secrets_store import hash_token

TABLE = "notify_prefs"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {t} (member_id TEXT PRIMARY KEY, urgent BIGINT NOT NULL, digest BIGINT NOT NULL, "
    "areas TEXT NOT NULL, needs TEXT NOT NULL, unsubscribe TEXT NOT NULL UNIQUE, calendar_hash TEXT UNIQUE, "
    "seen BIGINT NOT NULL, last_visit BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS notify_prefs_urgent ON {t} (urgent, member_id)",
    "CREATE INDEX IF NOT EXISTS notify_prefs_digest ON {t} (digest, member_id)",
)
_COLUMNS = "member_id, urgent, digest, areas, needs, unsubscribe, seen, last_visit"
CALENDAR_PREFIX = "snc_"
AREAS_MAX = 10
AREA_MAX = 100
VISIT_GAP_MS = 30 * 60 * 1000
"""A page view this long after the previous one starts a new visit (what is new is measured from the one before)."""


@dataclass(frozen=True, slots=True)
class Prefs:
    """One member's choices: urgent callouts at once (matching `areas` and `needs`; none given: all), a daily digest."""

    member_id: str
    urgent: bool = False
    digest: bool = False
    areas: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    unsubscribe: str = ""
    seen: int = 0  # ms of the member's latest page view
    last_visit: int = 0  # ms of the end of their previous visit: what is newer is new to them

    def matches(self, where: object, needs: object) -> bool:
        """True iff a callout at `where` asking for `needs` is one this member wants at once."""
        place = where.casefold() if isinstance(where, str) else ""
        if self.areas and not any(area.casefold() in place for area in self.areas):
            return False
        asked = set(needs) if isinstance(needs, list | tuple) else set()
        return not self.needs or bool(asked & set(self.needs))


def _prefs(row: tuple) -> Prefs:
    areas = tuple(a for a in row[3].split("\n") if a)
    return Prefs(row[0], bool(row[1]), bool(row[2]), areas, tuple(row[4].split()), row[5], row[6], row[7])


def check_choices(areas: object, needs: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the areas (one per line or comma) and needs a member chose; raise RequestError naming the field."""
    found = [" ".join(a.split()) for a in str(areas or "").replace(",", "\n").split("\n")]
    found = [a for a in found if a]
    if len(found) > AREAS_MAX or any(len(a) > AREA_MAX for a in found):
        raise RequestError(f"give at most {AREAS_MAX} areas of at most {AREA_MAX} characters each", field="areas")
    unknown = [n for n in needs if n not in NEEDS]
    if unknown:
        raise RequestError(f"needs must be among {', '.join(NEEDS)}", field="needs")
    return tuple(dict.fromkeys(found)), tuple(n for n in NEEDS if n in needs)


class PrefStore:
    """Members' notification choices in the node's database (blocking; called from a thread)."""

    def __init__(self, db: LocalDb):
        self.t = db.table(TABLE)
        db.create(TABLE, SCHEMA)

    def get(self, tx: Tx, member_id: str) -> Prefs | None:
        row = tx.row(f"SELECT {_COLUMNS} FROM {self.t} WHERE member_id = ?", (member_id,))
        return _prefs(row) if row else None

    def of(self, tx: Tx, member_id: str) -> Prefs:
        """Return the member's choices, making their row (nothing chosen) if they have none yet."""
        found = self.get(tx, member_id)
        if found is not None:
            return found
        prefs = Prefs(member_id, unsubscribe=secrets.token_urlsafe(24))
        tx.run(
            f"INSERT INTO {self.t} (member_id, urgent, digest, areas, needs, unsubscribe, calendar_hash, seen, last_visit) "
            "VALUES (?, 0, 0, '', '', ?, NULL, 0, 0) ON CONFLICT (member_id) DO NOTHING",
            (member_id, prefs.unsubscribe),
        )
        return self.get(tx, member_id) or prefs

    def save(self, tx: Tx, prefs: Prefs) -> Prefs:
        """Store the member's choices (their tokens and visits stay as they are)."""
        self.of(tx, prefs.member_id)
        tx.run(
            f"UPDATE {self.t} SET urgent = ?, digest = ?, areas = ?, needs = ? WHERE member_id = ?",
            (int(prefs.urgent), int(prefs.digest), "\n".join(prefs.areas), " ".join(prefs.needs), prefs.member_id),
        )
        return self.of(tx, prefs.member_id)

    def by_unsubscribe(self, tx: Tx, token: str) -> Prefs | None:
        row = tx.row(f"SELECT {_COLUMNS} FROM {self.t} WHERE unsubscribe = ?", (token,))
        return _prefs(row) if row else None

    def unsubscribe(self, tx: Tx, token: str) -> Prefs | None:
        """Turn all mail off for the member whose unsubscribe token this is; return their choices now, or None."""
        prefs = self.by_unsubscribe(tx, token)
        if prefs is None:
            return None
        return self.save(tx, replace(prefs, urgent=False, digest=False))

    def new_calendar(self, tx: Tx, member_id: str) -> str:
        """Make the member a new private calendar token (the old one stops working); return its secret."""
        self.of(tx, member_id)
        secret = CALENDAR_PREFIX + secrets.token_urlsafe(32)
        tx.run(f"UPDATE {self.t} SET calendar_hash = ? WHERE member_id = ?", (hash_token(secret), member_id))
        return secret

    def revoke_calendar(self, tx: Tx, member_id: str) -> None:
        tx.run(f"UPDATE {self.t} SET calendar_hash = NULL WHERE member_id = ?", (member_id,))

    def has_calendar(self, tx: Tx, member_id: str) -> bool:
        row = tx.row(f"SELECT calendar_hash FROM {self.t} WHERE member_id = ?", (member_id,))
        return bool(row and row[0])

    def calendar_member(self, tx: Tx, secret: str) -> str | None:
        """Return the member whose private calendar token this is, or None."""
        if not secret.startswith(CALENDAR_PREFIX):
            return None
        row = tx.row(f"SELECT member_id FROM {self.t} WHERE calendar_hash = ?", (hash_token(secret),))
        return row[0] if row else None

    def visit(self, tx: Tx, member_id: str, now: int) -> Prefs:
        """Note a page view at `now` (ms); return the choices as they were, with `last_visit` as of this visit."""
        prefs = self.of(tx, member_id)
        last = prefs.seen if now - prefs.seen > VISIT_GAP_MS else prefs.last_visit
        tx.run(f"UPDATE {self.t} SET seen = ?, last_visit = ? WHERE member_id = ?", (now, last, member_id))
        return replace(prefs, seen=now, last_visit=last)

    def subscribers(self, tx: Tx, column: str, members: str, after: str, limit: int) -> list[tuple[Prefs, str, str]]:
        """Return up to `limit` (choices, email, name) of members after `after` with `column` (urgent or digest) on
        and an email address, in member id order."""
        assert column in ("urgent", "digest")
        rows = tx.rows(
            f"SELECT p.member_id, p.urgent, p.digest, p.areas, p.needs, p.unsubscribe, p.seen, p.last_visit, m.email, m.name "
            f"FROM {self.t} p JOIN {members} m ON m.id = p.member_id "
            f"WHERE p.{column} = 1 AND p.member_id > ? AND m.email IS NOT NULL AND m.email <> '' "
            "ORDER BY p.member_id LIMIT ?",
            (after, limit),
        )
        return [(_prefs(r[:8]), r[8], r[9]) for r in rows]

    def drop_member(self, tx: Tx, member_id: str) -> None:
        tx.run(f"DELETE FROM {self.t} WHERE member_id = ?", (member_id,))
