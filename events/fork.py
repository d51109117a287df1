"""Fork proofs: two signed, different histories of one author at one seq, checkable by anyone alone.

A proof holds two sides. Each side is a run of headers by the author that starts at the same seq
as the other side, is linked (seq + 1, prev = id of the header before) and ends in a header whose
signature is given and verifies. The first headers of the two sides differ. Usually each side is a
single header; a longer run is needed only when a side's first header is vouched for by a later
signature instead of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ed25519
from .canonical import packb_plain, unpack
from .chain import ChainHead, check_link
from .errors import ChainError, DecodeError, EventError, ForkProofError
from .event import SIGNING_PREFIX, Event
from .header import MAX_HEADER_SIZE, decode_header, event_id

FORK_PROOF_VERSION = 1
MAX_RUN = 64
MAX_FORK_PROOF_SIZE = 2 * MAX_RUN * (MAX_HEADER_SIZE + 3) + 2 * 67 + 16


@dataclass(frozen=True, slots=True)
class ForkSide:
    """A run of linked header bytes and the signature over the last of them."""

    headers: tuple[bytes, ...]
    signature: bytes


@dataclass(frozen=True, slots=True)
class ForkProof:
    """Two conflicting signed histories of `author` from `seq` on, identified by their first event ids."""

    author: bytes
    seq: int
    id_a: bytes
    id_b: bytes
    side_a: ForkSide
    side_b: ForkSide


def _check_side(side: ForkSide) -> tuple[bytes, int, bytes]:
    """Return (author, first seq, first id) of a well-formed side; raise ForkProofError otherwise."""
    if not 1 <= len(side.headers) <= MAX_RUN:
        raise ForkProofError(f"a side holds 1 to {MAX_RUN} headers", field="headers")
    try:
        headers = [decode_header(h) for h in side.headers]
    except DecodeError as exc:
        raise ForkProofError(f"a header in the proof is malformed: {exc}", field="headers") from None
    author = headers[0].author
    tip: ChainHead | None = None
    for raw, header in zip(side.headers, headers, strict=True):
        eid = event_id(raw)
        if tip is not None:
            try:
                check_link(tip, _HeaderOnly(header, eid), author)
            except ChainError as exc:
                raise ForkProofError(f"headers of a side are not linked: {exc}", field="headers") from None
        elif header.author != author:  # pragma: no cover - first header defines the author
            raise ForkProofError("headers of a side have different authors", field="headers")
        tip = ChainHead(author, header.seq, eid, header.timestamp)
    try:
        key = ed25519.load_public_key(author)
    except EventError as exc:
        raise ForkProofError(f"author key is not acceptable: {exc}", field="author") from None
    if not ed25519.verify(key, side.signature, SIGNING_PREFIX + side.headers[-1]):
        raise ForkProofError("the signature of a side does not verify", field="signature")
    return author, headers[0].seq, event_id(side.headers[0])


@dataclass(frozen=True, slots=True)
class _HeaderOnly:
    header: object
    id: bytes


def make_fork_proof(side_a: ForkSide, side_b: ForkSide) -> ForkProof:
    """Return the verified proof for two sides, ordered so that the smaller first id comes first."""
    author_a, seq_a, id_a = _check_side(side_a)
    author_b, seq_b, id_b = _check_side(side_b)
    if author_a != author_b:
        raise ForkProofError("the two sides are by different authors", field="author")
    if seq_a != seq_b:
        raise ForkProofError(f"the sides start at seq {seq_a} and {seq_b}, not the same seq", field="seq")
    if id_a == id_b:
        raise ForkProofError("the two sides start with the same event: no fork", field="headers")
    if id_b < id_a:
        side_a, side_b, id_a, id_b = side_b, side_a, id_b, id_a
    return ForkProof(author_a, seq_a, id_a, id_b, side_a, side_b)


def fork_proof_from_events(run_a: list[Event], run_b: list[Event]) -> ForkProof:
    """Return the proof for two runs of events (each ending in an event whose signature verifies)."""
    return make_fork_proof(
        ForkSide(tuple(e.header_bytes for e in run_a), run_a[-1].signature),
        ForkSide(tuple(e.header_bytes for e in run_b), run_b[-1].signature),
    )


def encode_fork_proof(proof: ForkProof) -> bytes:
    """Return the canonical bytes: [1, [headers a...], signature a, [headers b...], signature b]."""
    return packb_plain(
        [
            FORK_PROOF_VERSION,
            list(proof.side_a.headers),
            proof.side_a.signature,
            list(proof.side_b.headers),
            proof.side_b.signature,
        ]
    )


def decode_fork_proof(data: bytes) -> ForkProof:
    """Decode and verify a fork proof; raise ForkProofError (or DecodeError) if it proves nothing."""
    value = unpack(data, max_size=MAX_FORK_PROOF_SIZE)
    if type(value) is not list or len(value) != 5:
        raise ForkProofError("fork proof is not an array of 5 fields", field="fork_proof")
    version, headers_a, sig_a, headers_b, sig_b = value
    if version != FORK_PROOF_VERSION or type(version) is not int:
        raise ForkProofError(f"fork proof version {version!r} is not supported", field="version")
    for headers, sig in ((headers_a, sig_a), (headers_b, sig_b)):
        if type(headers) is not list or not all(type(h) is bytes for h in headers):
            raise ForkProofError("a side's headers are not an array of bin", field="headers")
        if type(sig) is not bytes:
            raise ForkProofError("a side's signature is not bin", field="signature")
    proof = make_fork_proof(ForkSide(tuple(headers_a), sig_a), ForkSide(tuple(headers_b), sig_b))
    if encode_fork_proof(proof) != data:
        raise ForkProofError("sides are not in canonical order (smaller first event id first)", field="fork_proof")
    return proof
