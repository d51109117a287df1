"""Who did what: which member published, changed or redacted each of the group's events, through this node.

A node-local record, read by the group's members: it is not an event, never leaves the node (not replicated,
not in bundles or backups' exports) and other nodes never learn it (docs/OPERATIONS.md, "Members").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import RequestError
from .db import LocalDb, Tx

TABLE = "event_actors"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {t} (event_id TEXT PRIMARY KEY, member_id TEXT, actor TEXT NOT NULL, via TEXT NOT NULL, "
    "kind TEXT NOT NULL, at BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS event_actors_at ON {t} (at, event_id)",
)


@dataclass(frozen=True, slots=True)
class Act:
    """One of the group's events and who made it: the member (id and name at the time) and how (web, api, cli)."""

    event_id: str
    member_id: str | None
    actor: str
    via: str
    kind: str
    at: int

    @property
    def action(self) -> str:
        return "redacted" if self.kind == "log.redact" else "changed" if self.kind.split(".")[-1] in CHANGES else "published"

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "member_id": self.member_id,
            "member": self.actor,
            "via": self.via,
            "kind": self.kind,
            "action": self.action,
            "at": self.at,
        }


CHANGES = frozenset({"updated", "closed", "withdrawn", "fulfilled"})
"""Last parts of kinds that change something the group made before (shown as "changed")."""


def _cursor(act: Act) -> str:
    return f"{act.at}.{act.event_id}"


def parse_cursor(text: str | None) -> tuple[int, str] | None:
    """Return the (time, event id) a cursor from a previous page names; raise RequestError naming `cursor`."""
    if not text:
        return None
    at, _, event_id = text.partition(".")
    if not at.isdigit() or len(at) > 15 or len(event_id) != 64 or not all(c in "0123456789abcdef" for c in event_id):
        raise RequestError("cursor must be the `next` of a previous page", field="cursor")
    return int(at), event_id


class ActivityStore:
    """The who-did-what record in the node's database, newest first a page at a time."""

    def __init__(self, db: LocalDb):
        self.t = db.table(TABLE)
        db.create(TABLE, SCHEMA)

    def add(self, tx: Tx, act: Act) -> None:
        tx.run(
            f"INSERT INTO {self.t} (event_id, member_id, actor, via, kind, at) VALUES (?, ?, ?, ?, ?, ?)",
            (act.event_id, act.member_id, act.actor, act.via, act.kind, act.at),
        )

    def get(self, tx: Tx, event_id: str) -> Act | None:
        row = tx.row(f"SELECT event_id, member_id, actor, via, kind, at FROM {self.t} WHERE event_id = ?", (event_id,))
        return Act(*row) if row else None

    def page(self, tx: Tx, before: tuple[int, str] | None, limit: int) -> tuple[list[Act], str | None]:
        """Return up to `limit` acts, newest first, older than the cursor `before`, and the next page's cursor (or None)."""
        columns = f"SELECT event_id, member_id, actor, via, kind, at FROM {self.t}"
        if before is None:
            rows = tx.rows(f"{columns} ORDER BY at DESC, event_id DESC LIMIT ?", (limit + 1,))
        else:
            at, event_id = before
            rows = tx.rows(
                f"{columns} WHERE at < ? OR (at = ? AND event_id < ?) ORDER BY at DESC, event_id DESC LIMIT ?",
                (at, at, event_id, limit + 1),
            )
        acts = [Act(*r) for r in rows[:limit]]
        return acts, (_cursor(acts[-1]) if len(rows) > limit else None)
