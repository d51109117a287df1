"""Members' languages: the one each member chose for the page and their mail (node-local rows, one per member)."""

from __future__ import annotations

from .db import LocalDb, Tx

TABLE = "member_languages"
SCHEMA = ("CREATE TABLE IF NOT EXISTS {t} (member_id TEXT PRIMARY KEY, lang TEXT NOT NULL)",)


class LanguageStore:
    """The language setting of each member who chose one (a member who did not has no row)."""

    def __init__(self, db: LocalDb):
        self.t = db.table(TABLE)
        db.create(TABLE, SCHEMA)

    def get(self, tx: Tx, member_id: str) -> str | None:
        """Return the code of the language the member chose, or None."""
        row = tx.row(f"SELECT lang FROM {self.t} WHERE member_id = ?", (member_id,))
        return str(row[0]) if row else None

    def set(self, tx: Tx, member_id: str, code: str) -> None:
        """Keep `code` as the member's language (replacing the one they had)."""
        tx.run(f"DELETE FROM {self.t} WHERE member_id = ?", (member_id,))
        tx.run(f"INSERT INTO {self.t} (member_id, lang) VALUES (?, ?)", (member_id, code))

    def delete(self, tx: Tx, member_id: str) -> None:
        tx.run(f"DELETE FROM {self.t} WHERE member_id = ?", (member_id,))
