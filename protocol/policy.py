"""Which authors a node replicates: every author but the blocked ones, or only the followed ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReplicationPolicy:
    """Default: replicate every author except blocked ones. Follow-only: the followed (and, if given, whom they follow).

    The node computes `followed` and `followed_by_followed` from follow events; this object only decides.
    A blocked author is never stored, served or relayed, whatever else says so.
    """

    follow_only: bool = False
    followed: frozenset[bytes] = frozenset()
    followed_by_followed: frozenset[bytes] = frozenset()
    include_second_degree: bool = False
    blocked: frozenset[bytes] = frozenset()
    own: bytes | None = None

    @classmethod
    def everyone(
        cls,
        blocked: Iterable[bytes] = (),
        own: bytes | None = None,
        *,
        followed: Iterable[bytes] = (),
        second_degree: Iterable[bytes] | None = None,
    ) -> ReplicationPolicy:
        """Return the default policy: every author except `blocked` (`followed` only says whom we chose; see `chosen_author`)."""
        return cls(
            followed=frozenset(followed),
            followed_by_followed=frozenset(second_degree or ()),
            include_second_degree=second_degree is not None,
            blocked=frozenset(blocked),
            own=own,
        )

    @classmethod
    def following(
        cls,
        followed: Iterable[bytes],
        *,
        second_degree: Iterable[bytes] | None = None,
        blocked: Iterable[bytes] = (),
        own: bytes | None = None,
    ) -> ReplicationPolicy:
        """Return a follow-only policy; pass `second_degree` to also replicate the authors the followed ones follow."""
        return cls(
            follow_only=True,
            followed=frozenset(followed),
            followed_by_followed=frozenset(second_degree or ()),
            include_second_degree=second_degree is not None,
            blocked=frozenset(blocked),
            own=own,
        )

    def replicates(self, author: bytes) -> bool:
        """True iff events by `author` may be stored, served and relayed by this node."""
        if author in self.blocked:
            return False
        return not self.follow_only or self.chosen_author(author)

    def chosen_author(self, author: bytes) -> bool:
        """True iff `author` is our own group, one we follow, or (if configured) one they follow: taken from anyone."""
        if author in self.blocked:
            return False
        if author == self.own or author in self.followed:
            return True
        return self.include_second_degree and author in self.followed_by_followed
