"""Whether a group's log is shown as forked or as rotated after a fork (docs/PROTOCOL.md §11.1), from the store.

A group is *forked* if a fork proof of it is stored and no stored rotation came after every proven fork. It is
*rotated after a fork* once its stored log holds a rotation at or above every proven fork, or a rotation superseded a
branch of it: the fork proofs stay (they are true), but the branch the node holds is the group's rotated one.
"""

from __future__ import annotations

from collections.abc import Sequence

from events import group_id_text

from .store import EventStore

FORKED = "forked"
ROTATED_AFTER_FORK = "rotated_after_fork"


def fork_states(store: EventStore, authors: Sequence[bytes]) -> dict[bytes, str]:
    """Return FORKED or ROTATED_AFTER_FORK for each of `authors` that is either (a few indexed reads for all)."""
    if not authors:
        return {}
    forked = store.forked_among(authors)
    rotated, superseded = store.rotation_marks(authors)
    out = {a: FORKED for a in forked}
    for author in rotated & (forked | set(superseded)):
        _last, rotation = store.key_heads([author])[author]
        assert rotation is not None
        forks = store.recorder.select_fork_rows(group_id_text(author)) if author in forked else []
        if all(row.seq <= rotation.seq for row in forks):  # a fork above it would be under the new key
            out[author] = ROTATED_AFTER_FORK
    return out
