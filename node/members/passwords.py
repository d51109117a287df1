"""Members' passwords: Argon2id (argon2-cffi, the reference implementation's binding), never stored in clear.

Hashing and checking take about 0.2 s of CPU and 64 MiB by design (the library's RFC 9106 low-memory profile):
callers on the event loop run them in a thread.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not anyone's password")
"""Checked against when a name is unknown, so a login takes as long whether or not the member exists."""


def hash_password(password: str) -> str:
    """Return the Argon2id hash of `password` (its own random salt; parameters in the PHC string)."""
    return _HASHER.hash(password)


def password_matches(candidate: str, stored: str | None) -> bool:
    """True iff `candidate` is the password whose hash is `stored` (None: no password set yet; checked all the same)."""
    try:
        return _HASHER.verify(stored or _DUMMY, candidate) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
