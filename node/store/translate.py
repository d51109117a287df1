"""Translation of eventsourcing's PEP 249-style persistence errors into node/errors.py classes, at the store's edge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
)

from ..errors import StoreError, StoreIntegrityError, StoreUnavailableError, TrackingError
from . import readscope


@contextmanager
def translated(doing: str, *, tracking: bool = False) -> Iterator[None]:
    """Run the block, re-raising library persistence errors as node StoreErrors that say what was being done."""
    try:
        yield
    except IntegrityError as exc:
        if tracking:
            raise TrackingError(f"{doing}: the read models are already at or past this position ({exc})") from exc
        raise StoreIntegrityError(f"{doing}: {exc}") from exc
    except (OperationalError, InterfaceError) as exc:
        scope = readscope.current()
        if scope is not None and scope.expired():  # the database stopped the statement because we asked it to
            raise scope.error() from exc
        raise StoreUnavailableError(f"{doing}: database unavailable: {exc}") from exc
    except PersistenceError as exc:
        raise StoreError(f"{doing}: {exc}") from exc
