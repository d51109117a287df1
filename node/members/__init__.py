"""Member accounts of a node: roles, invitations, API tokens and who did what (node-local, never replicated)."""

from .accounts import ACCOUNTS, Accounts, record_act
from .activity import Act
from .api_tokens import ApiToken
from .links import INVITE_TTL_S, Purpose
from .members import Member
from .principal import PRINCIPAL, Principal, builtin_admin, principal_of
from .roles import ALL_SCOPES, ROLE_SCOPES, Role, Scope, parse_role, parse_scopes, scope_list

__all__ = [
    "ACCOUNTS",
    "ALL_SCOPES",
    "INVITE_TTL_S",
    "PRINCIPAL",
    "ROLE_SCOPES",
    "Accounts",
    "Act",
    "ApiToken",
    "Member",
    "Principal",
    "Purpose",
    "Role",
    "Scope",
    "builtin_admin",
    "parse_role",
    "parse_scopes",
    "principal_of",
    "record_act",
    "scope_list",
]
