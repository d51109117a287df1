"""The state digest: one SHA-256 over every read-model document and the set of forked groups.

Two nodes (or a node and an auditor) that hold the same events compute the same digest, whatever order
the events arrived in. The exact byte stream is specified in docs/KINDS.md, "State digest".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ..canonical import pack
from .projection import COLLECTIONS
from .view import ViewReader

DIGEST_PREFIX = b"solnet/state/v1\x00"


def state_digest(view: ViewReader, forked: Iterable[bytes] = ()) -> str:
    """Return the hex SHA-256 of the read models in `view` and the public keys of forked groups."""
    h = hashlib.sha256(DIGEST_PREFIX)
    for collection in COLLECTIONS:
        for put in view.scan(collection):
            h.update(pack([collection, put.key, put.author, put.ref, put.doc]))
    h.update(pack(["forked", sorted(set(forked))]))
    return h.hexdigest()
