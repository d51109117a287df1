"""The read-model version beside the documents: stored read models of an older shape are rebuilt from the events.

`READ_MODEL_VERSION` (events/readmodel/projection.py) names the shape of the documents the projection writes. The
view recorders keep it in a one-row table `{view}_version` next to their documents. When a store is opened (in the
transaction that creates the tables), read models written by an older version (a row with a lower number, or
documents and no row: version 1) are cleared with their digests and tracking position, so the projector builds them
again from the stored events at the node's start; the events themselves are never touched (docs/OPERATIONS.md).
"""

from __future__ import annotations

from typing import Any

from events.readmodel.projection import READ_MODEL_VERSION

FIRST_VERSION = 1  # documents in a store without a version row were written before versions were recorded


class VersionTable:
    """Mixin of the view recorders: the version row, and clearing read models older than READ_MODEL_VERSION.

    The recorder sets `_ph` (its placeholder), `_docs_name` and `_version_name` (table names as they go into
    SQL) and implements `_clear_in(c)`, which deletes the documents, their digests and the tracking position
    in the open transaction of cursor `c`.
    """

    _ph: str
    _docs_name: str
    _version_name: str

    def _version_statement(self) -> str:
        return f"CREATE TABLE IF NOT EXISTS {self._version_name} (version INTEGER NOT NULL)"

    def _clear_in(self, c: Any) -> None:
        raise NotImplementedError

    def _stored_version(self, c: Any) -> int | None:
        """Return the version of the stored read models; None for a store without documents or version row."""
        c.execute(f"SELECT max(version) AS version FROM {self._version_name}")
        row = c.fetchone()
        if row is not None and row["version"] is not None:
            return int(row["version"])
        c.execute(f"SELECT 1 AS one FROM {self._docs_name} LIMIT 1")
        return FIRST_VERSION if c.fetchone() is not None else None

    def _upgrade_version(self, c: Any) -> bool:
        """Clear read models older than READ_MODEL_VERSION and record it; return True iff they were cleared."""
        stored = self._stored_version(c)
        if stored == READ_MODEL_VERSION:
            return False
        if stored is not None and stored > READ_MODEL_VERSION:
            raise RuntimeError(
                f"the read models were written by a newer release (version {stored}, this one writes "
                f"{READ_MODEL_VERSION}): upgrade this node, or run `solnet rebuild` with this release"
            )
        cleared = stored is not None
        if cleared:
            self._clear_in(c)
        c.execute(f"DELETE FROM {self._version_name}")
        c.execute(f"INSERT INTO {self._version_name} (version) VALUES ({self._ph})", (READ_MODEL_VERSION,))
        return cleared
