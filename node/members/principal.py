"""Who a request acts for: a member (by session or API token), the node's built-in admin, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .roles import ROLE_SCOPES, Role, Scope

BUILTIN_NAME = "node admin"
"""How the built-in admin (the shared password or the node's API token, until an admin turns them off) is shown."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The member a request acts for and what it may do; `member_id` is None for the built-in admin."""

    member_id: str | None
    name: str
    role: Role
    scopes: frozenset[Scope]
    via: str  # "session" (web page), "token" (API) or "cli"

    @property
    def builtin(self) -> bool:
        return self.member_id is None

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes


def builtin_admin(via: str) -> Principal:
    """Return the built-in admin, acting through `via`."""
    return Principal(None, BUILTIN_NAME, Role.ADMIN, ROLE_SCOPES[Role.ADMIN], via)


PRINCIPAL: Any = web.RequestKey("principal", Principal) if hasattr(web, "RequestKey") else "solnet.principal"
"""The request key under which the access middleware leaves the request's Principal (or None); aiohttp < 3.12: a str."""


def principal_of(request: web.Request) -> Principal | None:
    """Return who the request acts for, as the access middleware (node/access.py) found it; None if nobody."""
    return request.get(PRINCIPAL)
