"""The node's event store and read-model persistence on eventsourcing's recorders (SQLite default, PostgreSQL)."""

from .async_store import AsyncStore
from .base import EventStore
from .factory import DATABASE_URL_ENV, open_store
from .ingest import PreparedIngest, StoreIngest
from .projector import Overlay, Project, Projector, catch_up, rebuild
from .sqlite import SQLiteEventStore
from .views import ViewStore

__all__ = [
    "DATABASE_URL_ENV",
    "AsyncStore",
    "EventStore",
    "Overlay",
    "PreparedIngest",
    "Project",
    "Projector",
    "SQLiteEventStore",
    "StoreIngest",
    "ViewStore",
    "catch_up",
    "open_store",
    "rebuild",
]
