"""Members' API tokens: each has scopes (read, publish, admin) and a label; only its SHA-256 is stored.

A token acts for its member: when used, its scopes are cut to what the member's role grants now, so a member
made `member` again cannot publish with a token made while they were an organiser; removing the member ends
their tokens (the rows go with them).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError, RequestError
from ..secrets_store import hash_token
from .db import LocalDb, Tx
from .roles import Scope, scope_list

TABLE = "member_tokens"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {t} (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, member_id TEXT NOT NULL, "
    "scopes TEXT NOT NULL, label TEXT NOT NULL, created BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS member_tokens_member ON {t} (member_id, id)",
)
PREFIX = "snt_"
"""Member tokens start with this, so a leaked one is recognisable (and never mistaken for the node's own token)."""
LABEL_MAX = 80
MAX_TOKENS = 50
"""Tokens one member may hold at once (a list of them fits on one page)."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A member's token as listed (never its secret)."""

    id: str
    member_id: str
    scopes: frozenset[Scope]
    label: str
    created: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "scopes": scope_list(self.scopes), "label": self.label, "created": self.created}


def _token(row: tuple) -> ApiToken:
    return ApiToken(row[0], row[1], frozenset(Scope(s) for s in row[2].split()), row[3], row[4])


def check_label(label: object) -> str:
    """Return a token's label; raise RequestError naming `label` if it is over 80 characters."""
    text = " ".join(str(label or "").split())
    if len(text) > LABEL_MAX:
        raise RequestError(f"a token's label has at most {LABEL_MAX} characters", field="label")
    return text


class TokenStore:
    """Members' API tokens in the node's database."""

    def __init__(self, db: LocalDb):
        self.t = db.table(TABLE)
        db.create(TABLE, SCHEMA)

    def add(self, tx: Tx, member_id: str, scopes: frozenset[Scope], label: str, now: int) -> tuple[ApiToken, str]:
        """Store a new token for the member; return it and its secret (shown once, not stored)."""
        if len(self.of(tx, member_id)) >= MAX_TOKENS:
            raise RequestError(f"a member holds at most {MAX_TOKENS} tokens: revoke one first", field="scopes")
        secret = PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(secrets.token_hex(8), member_id, scopes, label, now)
        tx.run(
            f"INSERT INTO {self.t} (id, token_hash, member_id, scopes, label, created) VALUES (?, ?, ?, ?, ?, ?)",
            (token.id, hash_token(secret), member_id, " ".join(scope_list(scopes)), label, now),
        )
        return token, secret

    def find(self, tx: Tx, secret: str) -> ApiToken | None:
        """Return the token whose secret this is, or None."""
        if not secret.startswith(PREFIX):
            return None
        row = tx.row(f"SELECT id, member_id, scopes, label, created FROM {self.t} WHERE token_hash = ?", (hash_token(secret),))
        return _token(row) if row else None

    def of(self, tx: Tx, member_id: str) -> list[ApiToken]:
        """Return the member's tokens (at most MAX_TOKENS), oldest first."""
        rows = tx.rows(
            f"SELECT id, member_id, scopes, label, created FROM {self.t} WHERE member_id = ? ORDER BY created, id LIMIT ?",
            (member_id, MAX_TOKENS),
        )
        return [_token(r) for r in rows]

    def revoke(self, tx: Tx, member_id: str | None, token_id: str) -> None:
        """Delete a token (of `member_id`, or of anyone if None); raise NotFoundError naming `token` if there is none."""
        if member_id is None:
            changed = tx.run(f"DELETE FROM {self.t} WHERE id = ?", (token_id,))
        else:
            changed = tx.run(f"DELETE FROM {self.t} WHERE id = ? AND member_id = ?", (token_id, member_id))
        if changed != 1:
            raise NotFoundError(f"there is no token {token_id!r:.40}", field="token")

    def drop_member(self, tx: Tx, member_id: str) -> None:
        tx.run(f"DELETE FROM {self.t} WHERE member_id = ?", (member_id,))
