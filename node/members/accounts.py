"""The node's accounts: members, their one-time links and API tokens, and who did what; one facade over small stores.

Blocking (the database and Argon2): the web page and the API call it through `call`, which runs it in a thread;
the CLI calls it directly.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from aiohttp import web

from events import Event

from ..errors import LinkError, NotFoundError, RequestError
from ..store.base import EventStore
from .activity import Act, ActivityStore, parse_cursor
from .api_tokens import ApiToken, TokenStore, check_label
from .db import LocalDb
from .languages import LanguageStore
from .links import INVITE_TTL_S, SETUP_TTL_S, Link, LinkStore, Purpose
from .members import Member, MemberStore
from .passwords import hash_password, password_matches
from .principal import Principal, principal_of
from .roles import ROLE_SCOPES, Role, Scope, check_email, check_name, check_password, parse_role, scope_list

T = TypeVar("T")
log = logging.getLogger("solnet.members")


class Accounts:
    """Members, links, tokens and the who-did-what record of one node, in its event store's database."""

    def __init__(self, store: EventStore, *, clock: Callable[[], float] = time.time):
        db = LocalDb(store)
        self.db = db
        self.members = MemberStore(db)
        self.links = LinkStore(db)
        self.tokens = TokenStore(db)
        self.activity = ActivityStore(db)
        self.languages = LanguageStore(db)
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one of this facade's blocking methods in a thread and return its result."""
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    # -- members ----------------------------------------------------------------------------------------------

    def invite(self, name: str, role: Role | str, email: str | None = None, ttl: int = INVITE_TTL_S) -> tuple[Member, str]:
        """Add a member without a password and make their invitation; return the member and the link's secret."""
        name, email, role = check_name(name), check_email(email), parse_role(role)
        with self.db.tx("inviting a member") as tx:
            member = self.members.add(tx, name, role, email, self.now())
            return member, self.links.add(tx, Purpose.INVITE, member.id, self.now(), ttl)

    def reset(self, name: str, ttl: int = INVITE_TTL_S) -> tuple[Member, str]:
        """Make a new one-time link for a member to choose a password (older links of theirs stop working)."""
        with self.db.tx("making a password link") as tx:
            member = self.members.named(tx, name)
            purpose = Purpose.RESET if member.active else Purpose.INVITE
            return member, self.links.add(tx, purpose, member.id, self.now(), ttl)

    def page(self, after: str | None, limit: int) -> tuple[list[Member], str | None]:
        """Return a page of members in name order, and the next page's cursor (or None)."""
        with self.db.tx("listing members", write=False) as tx:
            return self.members.page(tx, after, limit)

    def member(self, member_id: str) -> Member | None:
        with self.db.tx("reading a member", write=False) as tx:
            return self.members.get(tx, member_id)

    def named(self, name: str) -> Member:
        """Return the member called `name`; raise NotFoundError otherwise."""
        with self.db.tx("reading a member", write=False) as tx:
            return self.members.named(tx, name)

    def count(self) -> int:
        with self.db.tx("counting members", write=False) as tx:
            return self.members.count(tx)

    def set_role(self, name: str, role: Role | str) -> Member:
        """Give a member another role; refuse to leave the node without an admin who can log in."""
        role = parse_role(role)
        with self.db.tx("changing a member's role") as tx:
            member = self.members.named(tx, name)
            if member.role is Role.ADMIN and role is not Role.ADMIN and member.active and self.members.count_admins(tx) <= 1:
                raise RequestError(f"{member.name} is the node's only admin: make someone else admin first", field="role")
            self.members.set_role(tx, member.id, role)
            return self.members.get(tx, member.id) or member

    def set_email(self, member_id: str, email: str | None) -> Member:
        """Set (or with None or "", clear) a member's email address; raise RequestError naming `email` if it is not one."""
        email = check_email(email)
        with self.db.tx("changing a member's email") as tx:
            self.members.set_email(tx, member_id, email)
            member = self.members.get(tx, member_id)
        if member is None:
            raise NotFoundError("there is no such member", field="member")
        return member

    def remove(self, name: str) -> Member:
        """Remove a member with their tokens and links (their web sessions are ended by the caller, who holds them)."""
        with self.db.tx("removing a member") as tx:
            member = self.members.named(tx, name)
            if member.role is Role.ADMIN and member.active and self.members.count_admins(tx) <= 1:
                raise RequestError(f"{member.name} is the node's only admin: make someone else admin first", field="name")
            self.tokens.drop_member(tx, member.id)
            self.links.drop_member(tx, member.id)
            self.languages.delete(tx, member.id)
            self.members.delete(tx, member.id)
            return member

    def language(self, member_id: str) -> str | None:
        """Return the code of the language the member chose for the page and their mail, or None."""
        with self.db.tx("reading a member's language", write=False) as tx:
            return self.languages.get(tx, member_id)

    def set_language(self, member_id: str, code: str) -> None:
        """Keep the member's language (the caller checked it is one the node speaks)."""
        with self.db.tx("choosing a language") as tx:
            if self.members.get(tx, member_id) is None:
                raise NotFoundError("there is no such member", field="member")
            self.languages.set(tx, member_id, code)

    def login(self, name: str, password: str) -> Member | None:
        """Return the member if `password` is theirs (Argon2 is checked even for an unknown name: same time either way)."""
        with self.db.tx("reading a member", write=False) as tx:
            member = self.members.by_name(tx, name) if name.strip() else None
        good = password_matches(password, member.password_hash if member else None)
        return member if good and member is not None else None

    # -- one-time links ----------------------------------------------------------------------------------------

    def peek_link(self, secret: str) -> tuple[Link, Member | None]:
        """Return a link that can still be followed and its member (None for set-up); raise LinkError otherwise."""
        with self.db.tx("reading a link", write=False) as tx:
            link = self.links.peek(tx, secret, self.now())
            member = self.members.get(tx, link.member_id) if link.member_id else None
        if link.member_id and member is None:
            raise LinkError("the member this link was for has been removed", field="link")
        return link, member

    def accept(self, secret: str, password: str) -> Member:
        """Follow an invitation or reset link: set the member's password and use the link up; return the member."""
        password = check_password(password)
        link, _ = self.peek_link(secret)  # fail before the slow hash
        if link.purpose is Purpose.SETUP:
            raise LinkError("this is the node's set-up link: open it to set the node up", field="link")
        hashed = hash_password(password)
        with self.db.tx("accepting an invitation") as tx:
            link = self.links.take(tx, secret, self.now())
            member = self.members.get(tx, link.member_id or "")
            if member is None:
                raise LinkError("the member this link was for has been removed", field="link")
            self.members.set_password_hash(tx, member.id, hashed)
            return self.members.get(tx, member.id) or member

    def setup_link(self, ttl: int = SETUP_TTL_S) -> str | None:
        """Return a new set-up link's secret while the node has no admin who can log in (earlier ones stop); else None."""
        with self.db.tx("making the set-up link") as tx:
            if self.members.count_admins(tx):
                return None
            return self.links.add(tx, Purpose.SETUP, None, self.now(), ttl)

    def complete_setup(self, secret: str, name: str, password: str) -> Member:
        """Use the set-up link: add the first admin with this password; return them. Nothing changes on an error."""
        name, password = check_name(name), check_password(password)
        link, _ = self.peek_link(secret)
        if link.purpose is not Purpose.SETUP:
            raise LinkError("this is not the node's set-up link", field="link")
        hashed = hash_password(password)
        with self.db.tx("setting the node up") as tx:
            self.links.take(tx, secret, self.now())
            if self.members.count_admins(tx):
                raise LinkError("the node has been set up already: log in", field="link")
            member = self.members.add(tx, name, Role.ADMIN, None, self.now())
            self.members.set_password_hash(tx, member.id, hashed)
            return self.members.get(tx, member.id) or member

    # -- API tokens --------------------------------------------------------------------------------------------

    def add_token(self, member_id: str, scopes: frozenset[Scope], label: object = "") -> tuple[ApiToken, str]:
        """Make an API token for a member with scopes their role grants; return it and its secret (shown once)."""
        label = check_label(label)
        with self.db.tx("making an API token") as tx:
            member = self.members.get(tx, member_id)
            if member is None:
                raise NotFoundError("there is no such member", field="member")
            beyond = scopes - ROLE_SCOPES[member.role]
            if beyond:
                raise RequestError(
                    f"{member.name} is {member.role.value}: their token cannot have the {', '.join(scope_list(beyond))} scope",
                    field="scopes",
                )
            return self.tokens.add(tx, member.id, scopes, label, self.now())

    def token_list(self, member_id: str) -> list[ApiToken]:
        with self.db.tx("listing API tokens", write=False) as tx:
            return self.tokens.of(tx, member_id)

    def revoke_token(self, member_id: str | None, token_id: str) -> None:
        """Revoke a token of `member_id` (None: anyone's, for an admin); raise NotFoundError if there is none."""
        with self.db.tx("revoking an API token") as tx:
            self.tokens.revoke(tx, member_id, token_id)

    def token_principal(self, secret: str) -> Principal | None:
        """Return who a member's API token acts for, its scopes cut to the member's role now; None if unknown."""
        with self.db.tx("checking an API token", write=False) as tx:
            token = self.tokens.find(tx, secret)
            member = self.members.get(tx, token.member_id) if token else None
        if token is None or member is None:
            return None
        return Principal(member.id, member.name, member.role, token.scopes & ROLE_SCOPES[member.role], "token")

    def session_principal(self, member_id: str) -> Principal | None:
        """Return who a web session of `member_id` acts for (their role now), or None if they were removed."""
        member = self.member(member_id)
        if member is None or not member.active:
            return None
        return Principal(member.id, member.name, member.role, ROLE_SCOPES[member.role], "session")

    # -- who did what ------------------------------------------------------------------------------------------

    def record(self, event_id: bytes, kind: str, principal: Principal) -> Act:
        """Write down that `principal` made the group's event `event_id` (node-local; never replicated)."""
        act = Act(event_id.hex(), principal.member_id, principal.name, principal.via, kind, int(self.clock() * 1000))
        with self.db.tx("recording who published an event") as tx:
            self.activity.add(tx, act)
        return act

    def acts(self, cursor: str | None, limit: int) -> tuple[list[Act], str | None]:
        """Return a page of the who-did-what record, newest first, and the next page's cursor (or None)."""
        before = parse_cursor(cursor)
        with self.db.tx("reading who did what", write=False) as tx:
            return self.activity.page(tx, before, limit)

    def act(self, event_id: bytes) -> Act | None:
        with self.db.tx("reading who did what", write=False) as tx:
            return self.activity.get(tx, event_id.hex())


ACCOUNTS = web.AppKey("accounts", Accounts)


async def record_act(request: web.Request, event: Event) -> None:
    """Write down who made `event` through this request (node-local). The event is stored already: a failure to
    write the record is logged, not turned into a failed request (which would invite publishing it twice)."""
    principal = principal_of(request)
    if principal is None:
        return
    accounts = request.app[ACCOUNTS]
    try:
        await accounts.call(accounts.record, event.id, event.kind, principal)
    except Exception:
        log.exception("could not record who published %s", event.id.hex())
