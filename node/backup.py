"""`solnet backup DEST`: a consistent copy of a node's data dir, taken while the node runs (docs/OPERATIONS.md).

The SQLite store is copied with SQLite's online backup API in one step: one read transaction, so the copy is
the store as of one instant (WAL included) and the node's writer is never blocked. The key, the settings and
the API token file are copied beside it, so DEST is a data dir that `solnet serve --data DEST` runs as is.
Every file written is 0600 and DEST 0700. A restored node does not publish until a peer confirmed its own
head (node/own_head.py): the copy is always behind the group's log the moment the group publishes again.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .datadir import KEY_FILE, SETTINGS_FILE, TOKEN_FILE, DataDir
from .errors import ConfigError
from .private_files import private_dir, private_file
from .private_keys import KEYS_FILE as ENCRYPTION_KEYS_FILE
from .store.sqlite import DB_FILENAME

COPIED_FILES = (KEY_FILE, SETTINGS_FILE, TOKEN_FILE, ENCRYPTION_KEYS_FILE)
"""Data-dir files copied as they are, beside the store (web sessions are not: a restore logs everyone out)."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    """What a backup wrote: the directory, its files, and the store's size in bytes."""

    dest: Path
    files: tuple[str, ...]
    store_bytes: int


def backup_sqlite(source: Path, dest: Path) -> int:
    """Copy the SQLite database `source` to the new file `dest` (0600) consistently, while it is in use; return its size."""
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    private_file(tmp)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30.0)
        try:
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)  # pages=-1: one step, one read transaction: a snapshot, and writers go on meanwhile
                out.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
            finally:
                out.close()
        finally:
            src.close()
        os.replace(tmp, dest)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot back up {source}: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest.stat().st_size


def backup_data_dir(data: DataDir, dest: Path) -> BackupResult:
    """Write a restorable copy of the SQLite node at `data` into the new or empty directory `dest`."""
    settings = data.settings()  # fails clearly if `data` holds no node
    if settings.database_url:
        raise ConfigError(
            "this node keeps its events in PostgreSQL; back that up with pg_dump (docs/OPERATIONS.md, Backups), e.g. "
            "`pg_dump --format=custom --file=solnet.pgdump DATABASE_URL`, and copy identity.pem and node.json"
        )
    store = data.path / DB_FILENAME
    if not store.exists():
        raise ConfigError(f"no store in {data.path}: {DB_FILENAME} is missing")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConfigError(f"{dest} already exists and is not an empty directory; give a new one", field="dest")
    if dest.resolve() == data.path.resolve():
        raise ConfigError("the backup must go to another directory than the data dir", field="dest")
    private_dir(dest)
    os.chmod(dest, 0o700)
    size = backup_sqlite(store, dest / DB_FILENAME)
    files = [DB_FILENAME]
    for name in COPIED_FILES:
        source = data.path / name
        if source.exists():
            target = dest / name
            private_file(target)
            target.write_bytes(source.read_bytes())
            files.append(name)
    return BackupResult(dest, tuple(files), size)
