"""Where logged-in web sessions are kept: `web-sessions.sqlite` in the data dir, or memory when there is no data dir.

A row holds the SHA-256 of the session id (the cookie), never the id itself, so a copy of the file lets no one in;
then the session's CSRF token, when it was last seen (wall-clock seconds, so idle expiry survives a restart), and
the member it is logged in as (NULL: the node's built-in admin, who logged in with the shared password or token).

Each call is one statement on an indexed primary key (or the `seen` index) of a small local file, run directly
on the event loop rather than in a writer thread: the app's one writer thread serves the event store, and a page's
session lookup queued behind a long ingest would wait far longer than the lookup takes (microseconds). Commits
do not fsync (WAL, synchronous=NORMAL): a crash of the machine may at worst log someone out.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from pathlib import Path
from typing import Protocol

from ..errors import StoreConfigError, StoreUnavailableError
from ..private_files import private_file

log = logging.getLogger("solnet.web")
BUSY_SECONDS = 2.0
"""How long a statement waits for another process's write (`solnet passwd`) before giving up."""

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS web_sessions (id_hash BLOB PRIMARY KEY, csrf TEXT NOT NULL, seen REAL NOT NULL, member TEXT)"
    " WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS web_sessions_seen ON web_sessions (seen)",
)
MEMBER_INDEX = "CREATE INDEX IF NOT EXISTS web_sessions_member ON web_sessions (member)"
Row = tuple[str, float, str | None]
"""A logged-in session as stored: CSRF token, last seen, member id (None: the built-in admin)."""


def session_key(sid: str) -> bytes:
    """Return what is stored in place of a session id: its SHA-256 digest."""
    return hashlib.sha256(sid.encode()).digest()


class SessionStore(Protocol):
    """Logged-in sessions by the hash of their id: (CSRF token, last seen, member)."""

    def load(self, key: bytes) -> Row | None: ...
    def add(self, key: bytes, csrf: str, seen: float, member: str | None = None) -> None: ...
    def touch(self, key: bytes, seen: float) -> None: ...
    def delete(self, key: bytes) -> None: ...
    def delete_member(self, member: str | None) -> int: ...
    def purge(self, before: float) -> int: ...
    def close(self) -> None: ...


class MemorySessionStore:
    """Logged-in sessions in a dict, for an app built without a data dir: a restart logs everyone out."""

    def __init__(self) -> None:
        self._rows: dict[bytes, Row] = {}

    def load(self, key: bytes) -> Row | None:
        return self._rows.get(key)

    def add(self, key: bytes, csrf: str, seen: float, member: str | None = None) -> None:
        self._rows[key] = (csrf, seen, member)

    def touch(self, key: bytes, seen: float) -> None:
        if key in self._rows:
            csrf, _, member = self._rows[key]
            self._rows[key] = (csrf, seen, member)

    def delete(self, key: bytes) -> None:
        self._rows.pop(key, None)

    def delete_member(self, member: str | None) -> int:
        gone = [k for k, row in self._rows.items() if row[2] == member]
        for k in gone:
            del self._rows[k]
        return len(gone)

    def purge(self, before: float) -> int:
        old = [k for k, (_, seen, _) in self._rows.items() if seen < before]
        for k in old:
            del self._rows[k]
        return len(old)

    def close(self) -> None:
        self._rows.clear()


class FileSessionStore:
    """Logged-in sessions in a SQLite file readable only by its owner (0600); they survive a restart of the node."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            private_file(self.path)
            self._db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreConfigError(f"cannot open the web sessions file {self.path}: {exc}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for statement in SCHEMA:
                self._db.execute(statement)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(web_sessions)")}
            if "member" not in columns:  # a file from before member accounts: its sessions are the built-in admin's
                self._db.execute("ALTER TABLE web_sessions ADD COLUMN member TEXT")
            self._db.execute(MEMBER_INDEX)
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreConfigError(f"the web sessions file {self.path} is not usable: {exc}") from None

    def _run(self, sql: str, params: tuple) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailableError(f"the web sessions file {self.path} is busy or unreadable: {exc}") from None

    def load(self, key: bytes) -> Row | None:
        row = self._run("SELECT csrf, seen, member FROM web_sessions WHERE id_hash = ?", (key,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def add(self, key: bytes, csrf: str, seen: float, member: str | None = None) -> None:
        self._run(
            "INSERT OR REPLACE INTO web_sessions (id_hash, csrf, seen, member) VALUES (?, ?, ?, ?)", (key, csrf, seen, member)
        )

    def touch(self, key: bytes, seen: float) -> None:
        try:
            self._run("UPDATE web_sessions SET seen = ? WHERE id_hash = ?", (seen, key))
        except StoreUnavailableError:  # a missed last-seen update only shortens that session's idle time
            log.warning("could not record a web session's last use in %s", self.path)

    def delete(self, key: bytes) -> None:
        self._run("DELETE FROM web_sessions WHERE id_hash = ?", (key,))

    def delete_member(self, member: str | None) -> int:
        """Delete every session of `member` (None: the built-in admin's); return how many there were."""
        if member is None:
            return self._run("DELETE FROM web_sessions WHERE member IS NULL", ()).rowcount
        return self._run("DELETE FROM web_sessions WHERE member = ?", (member,)).rowcount

    def purge(self, before: float) -> int:
        return self._run("DELETE FROM web_sessions WHERE seen < ?", (before,)).rowcount

    def clear(self) -> int:
        """Delete every session (everyone is logged out); return how many there were."""
        return self._run("DELETE FROM web_sessions", ()).rowcount

    def close(self) -> None:
        self._db.close()


def forget_member(path: str | os.PathLike, member: str | None) -> int:
    """Log one member (None: the built-in admin) out of the node whose sessions file is `path`; return how many sessions."""
    if not Path(path).exists():
        return 0
    store = FileSessionStore(path)
    try:
        return store.delete_member(member)
    finally:
        store.close()


def forget_all(path: str | os.PathLike) -> int:
    """Log everyone out of the web page of the node whose sessions file is `path` (it may be running); return how many."""
    if not Path(path).exists():
        return 0
    store = FileSessionStore(path)
    try:
        return store.clear()
    finally:
        store.close()
