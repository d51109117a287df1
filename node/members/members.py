"""The node's members: name (unique regardless of case), role, optional email, password hash. Node-local rows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError, RequestError, StoreIntegrityError
from .db import LocalDb, Tx
from .roles import Role, name_key

TABLE = "members"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {t} (id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL UNIQUE, "
    "role TEXT NOT NULL, email TEXT, password_hash TEXT, created BIGINT NOT NULL)",
)
_COLUMNS = "id, name, role, email, password_hash, created"


@dataclass(frozen=True, slots=True)
class Member:
    """One member of the node's group; `active` once they chose a password (an invited member has none yet)."""

    id: str
    name: str
    role: Role
    email: str | None
    password_hash: str | None
    created: int

    @property
    def active(self) -> bool:
        return self.password_hash is not None

    def to_json(self) -> dict[str, Any]:
        """Return the member as the CLI and the API show it (never the password hash)."""
        return {"id": self.id, "name": self.name, "role": self.role.value, "email": self.email, "active": self.active}


def _member(row: tuple) -> Member:
    return Member(row[0], row[1], Role(row[2]), row[3], row[4], row[5])


class MemberStore:
    """Members in the node's database (blocking; the web and API call it from a thread)."""

    def __init__(self, db: LocalDb):
        self.db = db
        self.t = db.table(TABLE)
        db.create(TABLE, SCHEMA)

    def add(self, tx: Tx, name: str, role: Role, email: str | None, now: int) -> Member:
        """Add a member without a password (they choose one through their invitation); raise RequestError if the name is taken."""
        if tx.row(f"SELECT id FROM {self.t} WHERE name_key = ?", (name_key(name),)):
            raise RequestError(f"there is already a member called {name!r}", field="name")
        member = Member(secrets.token_hex(8), name, role, email, None, now)
        try:
            tx.run(
                f"INSERT INTO {self.t} (id, name, name_key, role, email, password_hash, created) VALUES (?, ?, ?, ?, ?, NULL, ?)",
                (member.id, name, name_key(name), role.value, email, now),
            )
        except StoreIntegrityError:  # (the same name added at the same moment by another process)
            raise RequestError(f"there is already a member called {name!r}", field="name") from None
        return member

    def get(self, tx: Tx, member_id: str) -> Member | None:
        """Return the member with this id, or None."""
        row = tx.row(f"SELECT {_COLUMNS} FROM {self.t} WHERE id = ?", (member_id,))
        return _member(row) if row else None

    def by_name(self, tx: Tx, name: str) -> Member | None:
        """Return the member called `name` (in any case), or None."""
        row = tx.row(f"SELECT {_COLUMNS} FROM {self.t} WHERE name_key = ?", (name_key(name.strip()),))
        return _member(row) if row else None

    def named(self, tx: Tx, name: str) -> Member:
        """Return the member called `name`; raise NotFoundError naming `name` otherwise."""
        member = self.by_name(tx, name)
        if member is None:
            raise NotFoundError(f"there is no member called {name.strip()!r:.80}", field="name")
        return member

    def page(self, tx: Tx, after: str | None, limit: int) -> tuple[list[Member], str | None]:
        """Return up to `limit` members in name order after the name key `after`, and the next page's key (or None)."""
        rows = tx.rows(
            f"SELECT {_COLUMNS}, name_key FROM {self.t} WHERE name_key > ? ORDER BY name_key LIMIT ?", (after or "", limit + 1)
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return [_member(r) for r in rows], (rows[-1][-1] if more else None)

    def count_admins(self, tx: Tx) -> int:
        """Return how many admins have chosen a password (the ones who can actually act)."""
        row = tx.row(f"SELECT COUNT(*) FROM {self.t} WHERE role = ? AND password_hash IS NOT NULL", (Role.ADMIN.value,))
        return int(row[0]) if row else 0

    def count(self, tx: Tx) -> int:
        """Return how many members the node has, invited ones included."""
        row = tx.row(f"SELECT COUNT(*) FROM {self.t}")
        return int(row[0]) if row else 0

    def set_role(self, tx: Tx, member_id: str, role: Role) -> None:
        tx.run(f"UPDATE {self.t} SET role = ? WHERE id = ?", (role.value, member_id))

    def set_email(self, tx: Tx, member_id: str, email: str | None) -> None:
        tx.run(f"UPDATE {self.t} SET email = ? WHERE id = ?", (email, member_id))

    def set_password_hash(self, tx: Tx, member_id: str, password_hash: str | None) -> None:
        tx.run(f"UPDATE {self.t} SET password_hash = ? WHERE id = ?", (password_hash, member_id))

    def delete(self, tx: Tx, member_id: str) -> None:
        tx.run(f"DELETE FROM {self.t} WHERE id = ?", (member_id,))
