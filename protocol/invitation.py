"""Invitations between nodes (docs/PROTOCOL.md §17): the invitation code, and the `join` request that redeems it.

A code carries the inviting node's URL, the first 10 bytes of SHA-256 of its group key (enough to know the node
that answers is the one that invited, without 58 characters of group id) and a 16-byte one-time secret. The new
node sends `join` to the inviter: the secret, its own group key, its URL (nil when nobody can reach it) and a
signature by its group key, so nobody holding the code can make the inviter accept someone else's group. The
inviter answers `joined` with its group key.

Pure: values in, bytes out; the secret comes from the caller.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import ClassVar

from events import ed25519
from events.canonical import pack, unpack
from events.errors import EventError
from events.identity import Identity

from .errors import MessageError
from .fields import MAX_URL_LENGTH, arity, fail, key

CODE_PREFIX = "snj1-"
HINT_SIZE = 10
SECRET_SIZE = 16
JOIN_CONTEXT = b"solnet/join/v1\x00"
MAX_JOIN_SIZE = 1024
_URL = re.compile(r"https?://[!-~]+")


def group_hint(group: bytes) -> bytes:
    """Return the first 10 bytes of SHA-256 of a group key: what a code carries to recognise the inviting node."""
    return hashlib.sha256(group).digest()[:HINT_SIZE]


def _url(value: object, field: str) -> str:
    if type(value) is not str or len(value) > MAX_URL_LENGTH or not _URL.fullmatch(value) or value.endswith("/"):
        raise fail(f"{field} is not an http(s) URL of at most {MAX_URL_LENGTH} characters without a trailing /", field)
    return value


@dataclass(frozen=True, slots=True)
class InvitationCode:
    """What an invitation code carries: the inviting node's URL, a hint of its group key, the one-time secret."""

    url: str
    hint: bytes
    secret: bytes

    def text(self) -> str:
        """Return the code as text: `snj1-` + unpadded base64url of the canonical array [url, hint, secret]."""
        raw = pack([self.url, self.hint, self.secret])
        return CODE_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def matches(self, group: bytes) -> bool:
        """True iff `group` is the key this code's hint names."""
        return group_hint(group) == self.hint

    @classmethod
    def parse(cls, text: str) -> InvitationCode:
        """Return the code `text` spells (surrounding blanks ignored); raise MessageError (field `code`) otherwise."""
        text = text.strip()
        if not text.startswith(CODE_PREFIX) or len(text) > 2 * MAX_URL_LENGTH:
            raise fail(f"an invitation code starts with {CODE_PREFIX!r}; this is not one", "code")
        body = text[len(CODE_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            url, hint, secret = arity(unpack(raw, max_size=MAX_JOIN_SIZE), 3, "code")
        except (ValueError, EventError, MessageError):
            raise fail("this invitation code is damaged: copy it again, whole", "code") from None
        if type(hint) is not bytes or len(hint) != HINT_SIZE or type(secret) is not bytes or len(secret) != SECRET_SIZE:
            raise fail("this invitation code is damaged: copy it again, whole", "code")
        return cls(_url(url, "code"), hint, secret)


@dataclass(frozen=True, slots=True)
class Join:
    """The request that redeems an invitation: its secret, the new node's group key and URL (None: unreachable)."""

    TAG: ClassVar[int] = 20
    secret: bytes
    group: bytes
    url: str | None
    signature: bytes

    def items(self) -> list:
        return [self.secret, self.group, self.url, self.signature]


@dataclass(frozen=True, slots=True)
class Joined:
    """The inviter's answer: its group key (the new node checks it against the code's hint)."""

    TAG: ClassVar[int] = 21
    group: bytes

    def items(self) -> list:
        return [self.group]


def join_signed_bytes(inviter_hint: bytes, secret: bytes, group: bytes, url: str | None) -> bytes:
    """Return what the new node signs: the context, the inviter's hint, the secret, its group key and its URL."""
    return JOIN_CONTEXT + inviter_hint + secret + group + pack(url)


def make_join(identity: Identity, code: InvitationCode, url: str | None) -> Join:
    """Return the `join` request that redeems `code` for `identity`'s group, reachable at `url` (or None)."""
    signature = identity.sign(join_signed_bytes(code.hint, code.secret, identity.public_key, url))
    return Join(code.secret, identity.public_key, url, signature)


def check_join(join: Join, own_group: bytes) -> None:
    """Raise MessageError (field `signature`) unless the group key signed this join to the node of `own_group`.

    A group whose key rotated joins with its inception key's signature only if that key still signs; a rotated
    group joins by being added by hand instead (docs/OPERATIONS.md).
    """
    try:
        public = ed25519.load_public_key(join.group)
    except EventError:
        raise fail("group is not a valid Ed25519 key", "group") from None
    if not ed25519.verify(public, join.signature, join_signed_bytes(group_hint(own_group), join.secret, join.group, join.url)):
        raise fail("signature does not verify for this join", "signature")


def encode_join(message: Join | Joined) -> bytes:
    """Return the canonical bytes of a `join` or `joined` message."""
    return pack([message.TAG, *message.items()])


def decode_join(data: bytes, expected: type[Join] | type[Joined]) -> Join | Joined:
    """Return the `join` or `joined` message (`expected`) that `data` encodes; raise MessageError otherwise."""
    try:
        value = unpack(data, max_size=MAX_JOIN_SIZE)
    except EventError as exc:
        raise MessageError(f"{expected.__name__.lower()}: {exc}", field="message") from None
    if type(value) is not list or not value or value[0] != expected.TAG:
        raise fail(f"not a {expected.__name__.lower()} message (tag {expected.TAG})", "tag")
    if expected is Joined:
        (group,) = arity(value[1:], 1, "joined")
        return Joined(key(group, "group"))
    secret, group, url, signature = arity(value[1:], 4, "join")
    if type(secret) is not bytes or len(secret) != SECRET_SIZE:
        raise fail(f"secret is not {SECRET_SIZE} bytes of bin", "secret")
    if type(signature) is not bytes or len(signature) != 64:
        raise fail("signature is not 64 bytes of bin", "signature")
    return Join(secret, key(group, "group"), None if url is None else _url(url, "url"), signature)
