"""Opening the store a node is configured for: an SQLite file in the data dir, or PostgreSQL by URL."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StoreConfigError
from ..private_files import private_dir, private_file
from .base import EventStore

DATABASE_URL_ENV = "SOLNET_DATABASE_URL"
_PG_SCHEMES = ("postgresql://", "postgres://")


def open_store(data_dir: str | Path, database_url: str | None = None, *, schema: str = "public") -> EventStore:
    """Return the event store: PostgreSQL if `database_url` (or $SOLNET_DATABASE_URL) is a postgresql:// URL, else SQLite.

    The SQLite file is `<data_dir>/solnet.sqlite3` (the directory is created if missing).
    """
    url = database_url if database_url is not None else os.environ.get(DATABASE_URL_ENV) or None
    if url:
        if not url.startswith(_PG_SCHEMES):
            raise StoreConfigError(
                f"database URL must start with postgresql://, not {url.split(':', 1)[0]!r:.20}", field="database_url"
            )
        from .postgres import PostgresEventStore

        return PostgresEventStore(url, schema=schema)
    from .sqlite import DB_FILENAME, SQLiteEventStore

    directory = Path(data_dir)
    try:
        private_dir(directory)
        private_file(directory / DB_FILENAME)
    except OSError as exc:
        raise StoreConfigError(f"cannot create the store in {directory}: {exc.strerror}", field="data_dir") from None
    return SQLiteEventStore(directory / DB_FILENAME)
