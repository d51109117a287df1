"""Who may do what on a node: the three member roles and the three API token scopes (pure values, no I/O)."""

from __future__ import annotations

import re
from enum import StrEnum

from ..errors import RequestError


class Role(StrEnum):
    """A member's role on the node: what the group trusts them with."""

    MEMBER = "member"  # reads everything the node holds, the group's private records included
    ORGANISER = "organiser"  # also publishes on the group's behalf
    ADMIN = "admin"  # also members, peers, keys and settings


class Scope(StrEnum):
    """What an API token (or a logged-in session) may do; a role grants a set of scopes."""

    READ = "read"
    PUBLISH = "publish"
    ADMIN = "admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.MEMBER: frozenset({Scope.READ}),
    Role.ORGANISER: frozenset({Scope.READ, Scope.PUBLISH}),
    Role.ADMIN: frozenset({Scope.READ, Scope.PUBLISH, Scope.ADMIN}),
}
"""The one table of what each role may do; a token's scopes are cut to its member's role when it is used."""

ALL_SCOPES = ROLE_SCOPES[Role.ADMIN]
NAME_MAX = 60
_NAME = re.compile(r"[^\W_][\w .'-]*", re.UNICODE)
EMAIL_MAX = 200
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PASSWORD_MIN, PASSWORD_MAX = 8, 1024


def parse_role(text: object) -> Role:
    """Return the Role named by `text`; raise RequestError naming `role` otherwise."""
    try:
        return Role(str(text).strip().lower())
    except ValueError:
        raise RequestError(
            f"role must be one of {', '.join(r.value for r in Role)}, not {str(text)!r:.40}", field="role"
        ) from None


def parse_scopes(values: object) -> frozenset[Scope]:
    """Return the scopes in `values` (a list, or text separated by commas or spaces); raise RequestError naming `scopes`."""
    items = values.replace(",", " ").split() if isinstance(values, str) else values
    if not isinstance(items, (list, tuple)) or not items:
        raise RequestError(f"scopes must name at least one of {', '.join(s.value for s in Scope)}", field="scopes")
    try:
        return frozenset(Scope(str(v).strip().lower()) for v in items)
    except ValueError:
        raise RequestError(f"scopes must be among {', '.join(s.value for s in Scope)}", field="scopes") from None


def scope_list(scopes: frozenset[Scope]) -> list[str]:
    """Return scopes in their fixed order (read, publish, admin), as text."""
    return [s.value for s in Scope if s in scopes]


def check_name(name: object) -> str:
    """Return a member name stripped; raise RequestError naming `name` unless it has 1 to 60 letters, digits, spaces, .'-"""
    text = str(name or "").strip()
    if not text or len(text) > NAME_MAX or not _NAME.fullmatch(text):
        raise RequestError(
            f"a member's name has 1 to {NAME_MAX} characters: letters, digits, spaces and . ' - (a letter or digit first)",
            field="name",
        )
    return " ".join(text.split())


def name_key(name: str) -> str:
    """Return the form of a name that must be unique on the node: names differing only in case are the same member."""
    return name.casefold()


def check_email(email: object) -> str | None:
    """Return an optional email address (None if blank); raise RequestError naming `email` if it is not one."""
    text = str(email or "").strip()
    if not text:
        return None
    if len(text) > EMAIL_MAX or not _EMAIL.fullmatch(text):
        raise RequestError("email must be an address like name@example.org", field="email")
    return text


def check_password(password: object) -> str:
    """Return a new password as given; raise RequestError naming `password` unless it has 8 to 1024 characters."""
    text = password if isinstance(password, str) else ""
    if not PASSWORD_MIN <= len(text) <= PASSWORD_MAX:
        raise RequestError(f"a password has at least {PASSWORD_MIN} characters", field="password")
    return text
