"""API tokens and web passwords: created once, stored only as hashes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def new_token() -> str:
    """Return a fresh random API token (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the stored form of a token. Tokens carry 256 random bits, so a plain SHA-256 suffices."""
    return "sha256$" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(candidate: str, stored: str) -> bool:
    """True iff `candidate` is the token whose stored form is `stored` (constant-time comparison)."""
    return hmac.compare_digest(hash_token(candidate).encode(), stored.encode())


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of a password (people choose weak ones, so a slow hash)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(candidate: str, stored: str) -> bool:
    """True iff `candidate` is the password whose scrypt hash is `stored`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(candidate.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex().encode(), digest.encode())
