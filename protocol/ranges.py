"""Key ranges of the author space and their fingerprints: what reconciliation (protocol/reconcile.py) compares.

A range is a prefix of the 256-bit author key, a whole number of nibbles long (`bits` in 0, 4, .., 256):
it holds the authors whose first `bits` bits are the prefix's. Its 16 children add one nibble. The item of an
author is its frontier entry (author, seq, head id); an item's hash is SHA-256(author || seq as 8 bytes
big-endian || head), read as a 256-bit big-endian integer. A range's fingerprint is the number of items in
it and the sum of their hashes modulo 2**256, so the fingerprint of a union of disjoint ranges is the sum of
theirs (a store can keep sums per bucket and add them up). On the wire it is the count and a 16-byte
digest of the sum (docs/PROTOCOL.md §15).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from events import ChainHead

KEY_BITS = 256
NIBBLE = 4
BRANCH = 16
_MOD = 1 << KEY_BITS
_DIGEST_DOMAIN = b"solnet/recon/v1\x00"
_FORKED_DOMAIN = b"solnet/recon/forked/v1\x00"
DIGEST_SIZE = 16


@dataclass(frozen=True, slots=True)
class KeyRange:
    """The authors whose first `bits` bits equal those of `prefix` (ceil(bits/8) bytes, unused low bits zero)."""

    bits: int
    prefix: bytes

    @classmethod
    def root(cls) -> KeyRange:
        """Return the range of every author."""
        return cls(0, b"")

    @property
    def lo(self) -> bytes:
        """Return the smallest author in the range (32 bytes)."""
        return self.prefix + bytes(32 - len(self.prefix))

    @property
    def hi(self) -> bytes | None:
        """Return the first author after the range (32 bytes), or None when the range runs to the end."""
        end = int.from_bytes(self.lo, "big") + (1 << (KEY_BITS - self.bits))
        return None if end >= _MOD else end.to_bytes(32, "big")

    def contains(self, author: bytes) -> bool:
        """True iff `author` lies in this range."""
        shift = KEY_BITS - self.bits
        return int.from_bytes(author, "big") >> shift == int.from_bytes(self.lo, "big") >> shift

    def children(self) -> list[KeyRange]:
        """Return the 16 ranges one nibble longer, in key order (a 256-bit range has none)."""
        if self.bits >= KEY_BITS:
            return []
        bits = self.bits + NIBBLE
        base = int.from_bytes(self.lo, "big")
        size = (bits + 7) // 8
        step = 1 << (KEY_BITS - bits)
        return [KeyRange(bits, (base + k * step).to_bytes(32, "big")[:size]) for k in range(BRANCH)]

    def items(self) -> list:
        return [self.bits, self.prefix]

    @staticmethod
    def valid(bits: int, prefix: bytes) -> bool:
        """True iff (bits, prefix) is the canonical form of a range."""
        if bits % NIBBLE or not 0 <= bits <= KEY_BITS or len(prefix) != (bits + 7) // 8:
            return False
        return not (bits % 8 and prefix[-1] & 0x0F)


def item_hash(author: bytes, seq: int, head: bytes) -> int:
    """Return the hash of one frontier entry as an integer (the summand of a fingerprint)."""
    return int.from_bytes(hashlib.sha256(author + seq.to_bytes(8, "big") + head).digest(), "big")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """How many items a range holds and the sum of their hashes modulo 2**256."""

    count: int = 0
    total: int = 0

    def __add__(self, other: Fingerprint) -> Fingerprint:
        return Fingerprint(self.count + other.count, (self.total + other.total) % _MOD)

    @property
    def digest(self) -> bytes:
        """Return the 16 bytes sent on the wire: SHA-256(domain || count u64 || sum u256)[:16]."""
        data = _DIGEST_DOMAIN + self.count.to_bytes(8, "big") + self.total.to_bytes(32, "big")
        return hashlib.sha256(data).digest()[:DIGEST_SIZE]


def fingerprint_of(heads: Iterable[ChainHead]) -> Fingerprint:
    """Return the fingerprint of a set of frontier entries."""
    count = total = 0
    for head in heads:
        count += 1
        total += item_hash(head.author, head.seq, head.id)
    return Fingerprint(count, total % _MOD)


def forked_digest(authors: Iterable[bytes]) -> bytes:
    """Return the 16-byte digest of a set of forked authors: SHA-256(domain || sorted authors)[:16]."""
    return hashlib.sha256(_FORKED_DOMAIN + b"".join(sorted(set(authors)))).digest()[:DIGEST_SIZE]


class FrontierView(Protocol):
    """The sorted view of a frontier that reconciliation reads (part of `protocol.Replica`); every read is bounded."""

    async def heads_of(self, authors: Sequence[bytes]) -> Mapping[bytes, ChainHead]:
        """Return the newest stored event of each of `authors` that has one."""
        ...

    async def head_ranges(self, ranges: Sequence[KeyRange], limit: int) -> list[list[ChainHead]]:
        """Return, for each range, up to `limit` heads of the authors in it, ascending (one call for many ranges)."""
        ...

    async def fingerprints(self, ranges: Sequence[KeyRange]) -> list[Fingerprint]:
        """Return the fingerprint of the stored heads in each range, without loading all heads."""
        ...


class SortedHeads:
    """A FrontierView kept in memory: heads by author, the authors in order, each head's item hash (MemoryReplica's)."""

    def __init__(self, heads: Iterable[ChainHead] = ()) -> None:
        self._heads: dict[bytes, ChainHead] = {}
        self._hashes: dict[bytes, int] = {}
        self._authors: list[bytes] = []
        for head in heads:
            self.put(head)

    def __len__(self) -> int:
        return len(self._authors)

    def put(self, head: ChainHead) -> None:
        """Set an author's head (a new author is inserted in order)."""
        if head.author not in self._heads:
            bisect.insort(self._authors, head.author)
        self._heads[head.author] = head
        self._hashes[head.author] = item_hash(head.author, head.seq, head.id)

    async def heads_of(self, authors: Sequence[bytes]) -> dict[bytes, ChainHead]:
        """Return the head of each of `authors` that has one."""
        return {a: self._heads[a] for a in authors if a in self._heads}

    async def head_ranges(self, ranges: Sequence[KeyRange], limit: int) -> list[list[ChainHead]]:
        """Return, for each range, up to `limit` heads of the authors in it, ascending."""
        result = []
        for r in ranges:
            start, end = self._span(r.lo, r.hi)
            result.append([self._heads[a] for a in self._authors[start : min(end, start + max(limit, 0))]])
        return result

    async def fingerprints(self, ranges: Sequence[KeyRange]) -> list[Fingerprint]:
        """Return the fingerprint of the heads in each range."""
        result = []
        for r in ranges:
            start, end = self._span(r.lo, r.hi)
            result.append(Fingerprint(end - start, sum(self._hashes[a] for a in self._authors[start:end]) % _MOD))
        return result

    def _span(self, lo: bytes, hi: bytes | None) -> tuple[int, int]:
        start = bisect.bisect_left(self._authors, lo)
        return start, len(self._authors) if hi is None else bisect.bisect_left(self._authors, hi)


def item_id(head: ChainHead) -> bytes:
    """Return the 8-byte id of a frontier entry in an ids check: the first 8 bytes of its item hash."""
    return hashlib.sha256(head.author + head.seq.to_bytes(8, "big") + head.id).digest()[:8]
