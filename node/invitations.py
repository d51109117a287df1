"""Invitations for other groups' nodes (docs/OPERATIONS.md, "Joining with an invitation"): node-local rows.

Only each invitation's SHA-256 is stored, with how many nodes may still use it, until when, and whether an admin
revoked it. Redeeming is one UPDATE that spends a use only if one is left, it has not expired and is not revoked,
so two nodes racing on the last use cannot both get in. Rows are listed a page at a time, newest first.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, TypeVar

from protocol.invitation import SECRET_SIZE

from .errors import LinkError, NotFoundError, RequestError
from .members.db import LocalDb
from .store.base import EventStore

T = TypeVar("T")
TABLE = "node_invitations"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {t} (id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, created BIGINT NOT NULL, "
    "expires BIGINT NOT NULL, uses BIGINT NOT NULL, used BIGINT NOT NULL, revoked BIGINT)",
    "CREATE INDEX IF NOT EXISTS node_invitations_created ON {t} (created, id)",
)
DEFAULT_DAYS = 7
MAX_DAYS = 365
MAX_USES = 1000


class InvitationError(LinkError):
    """An invitation cannot be redeemed; `code` says why (unknown, used up, expired, revoked)."""

    def __init__(self, code: str, message: str):
        super().__init__(message, field="code")
        self.code = code


@dataclass(frozen=True, slots=True)
class Invitation:
    """One stored invitation (without its secret)."""

    id: str
    created: int
    expires: int
    uses: int
    used: int
    revoked: int | None

    def state(self, now: int) -> str:
        """Return `open`, `used`, `expired` or `revoked`."""
        if self.revoked is not None:
            return "revoked"
        if self.used >= self.uses:
            return "used"
        return "expired" if self.expires < now else "open"

    def json(self, now: int) -> dict[str, Any]:
        return {**asdict(self), "state": self.state(now)}


def secret_hash(secret: bytes) -> str:
    """Return what is stored in place of an invitation's secret: its SHA-256, in hex."""
    return hashlib.sha256(secret).hexdigest()


class Invitations:
    """The node's invitations in its event store's database (blocking calls; `call` runs one off the event loop)."""

    def __init__(self, store: EventStore):
        self.db = LocalDb(store)
        self.t = self.db.table(TABLE)
        self.db.create(TABLE, SCHEMA)

    async def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one of the blocking methods on a thread."""
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    def create(self, now: int, *, uses: int = 1, days: float = DEFAULT_DAYS) -> tuple[Invitation, bytes]:
        """Make an invitation good for `uses` nodes during `days`; return it and its secret (not stored)."""
        if not 1 <= uses <= MAX_USES:
            raise RequestError(f"an invitation is good for 1 to {MAX_USES} nodes", field="uses")
        if not 0 < days <= MAX_DAYS:
            raise RequestError(f"an invitation expires after more than 0 and at most {MAX_DAYS} days", field="expires")
        secret = secrets.token_bytes(SECRET_SIZE)
        invitation = Invitation(secrets.token_hex(4), now, now + int(days * 86400), uses, 0, None)
        with self.db.tx("making an invitation") as tx:
            tx.run(
                f"INSERT INTO {self.t} (id, secret_hash, created, expires, uses, used, revoked) VALUES (?, ?, ?, ?, ?, 0, NULL)",
                (invitation.id, secret_hash(secret), now, invitation.expires, uses),
            )
        return invitation, secret

    def page(self, offset: int, limit: int) -> list[Invitation]:
        """Return a page of invitations, newest first."""
        with self.db.tx("listing invitations", write=False) as tx:
            rows = tx.rows(
                f"SELECT id, created, expires, uses, used, revoked FROM {self.t} ORDER BY created DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            )
        return [Invitation(*row) for row in rows]

    def revoke(self, invitation_id: str, now: int) -> Invitation:
        """Revoke an invitation (idempotent): it is refused from now on; return it."""
        with self.db.tx("revoking an invitation") as tx:
            tx.run(f"UPDATE {self.t} SET revoked = ? WHERE id = ? AND revoked IS NULL", (now, invitation_id))
            row = tx.row(f"SELECT id, created, expires, uses, used, revoked FROM {self.t} WHERE id = ?", (invitation_id,))
        if row is None:
            raise NotFoundError(f"no invitation {invitation_id!r:.40} here", field="id")
        return Invitation(*row)

    def redeem(self, secret: bytes, now: int) -> Invitation:
        """Spend one use of the invitation whose secret this is; raise InvitationError saying why it cannot be used."""
        digest = secret_hash(secret)
        with self.db.tx("redeeming an invitation") as tx:
            changed = tx.run(
                f"UPDATE {self.t} SET used = used + 1 WHERE secret_hash = ? AND used < uses AND expires >= ? AND revoked IS NULL",
                (digest, now),
            )
            row = tx.row(f"SELECT id, created, expires, uses, used, revoked FROM {self.t} WHERE secret_hash = ?", (digest,))
        if row is None:
            raise InvitationError("invitation_unknown", "this invitation is not known to the inviting node (mistyped?)")
        invitation = Invitation(*row)
        if changed == 1:
            return invitation
        state = invitation.state(now)
        reason = {
            "revoked": "the inviting node revoked this invitation",
            "used": "this invitation has been used already, as many times as it allows",
            "expired": "this invitation has expired",
        }.get(state, "this invitation cannot be used now")
        raise InvitationError(f"invitation_{state}", f"{reason}: ask the inviting group for a new one")
