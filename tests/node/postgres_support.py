"""What the PostgreSQL tests share: the server URL, the skip without one, and a schema of their own per test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

URL = os.environ.get("SOLNET_TEST_DATABASE_URL", "")

NEEDS_POSTGRES = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL, reason="SOLNET_TEST_DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)"),
]
"""The marks of a PostgreSQL test module (`pytestmark = NEEDS_POSTGRES`)."""


@contextlib.contextmanager
def fresh_schema(prefix: str) -> Iterator[str]:
    """Yield the name of a schema no other test uses; drop it (and all it holds) afterwards."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
