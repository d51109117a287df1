"""The accounts suite (members, links, tokens, who did what), run against every backend by overriding `open_store`."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.errors import LinkError, NotFoundError, RequestError
from node.members import Accounts, Role, Scope
from node.members.principal import Principal
from node.store import EventStore

ADMIN_PW, PW = "first admin password", "a good password"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class AccountsSuite:
    def open_store(self, tmp_path: Path) -> EventStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path):
        store = self.open_store(tmp_path)
        yield store
        store.close()

    @pytest.fixture
    def clock(self) -> Clock:
        return Clock()

    @pytest.fixture
    def accounts(self, store: EventStore, clock: Clock) -> Accounts:
        accounts = Accounts(store, clock=clock)
        accounts.complete_setup(accounts.setup_link() or "", "Ada", ADMIN_PW)
        return accounts

    def test_set_up_link_works_once_and_only_while_there_is_no_admin(self, store: EventStore, clock: Clock):
        accounts = Accounts(store, clock=clock)
        first, second = accounts.setup_link(), accounts.setup_link()
        assert first and second and first != second
        with pytest.raises(LinkError, match="not known"):  # a newer set-up link replaces the older
            accounts.complete_setup(first, "Ada", ADMIN_PW)
        with pytest.raises(RequestError):  # a bad password changes nothing: the link still works
            accounts.complete_setup(second, "Ada", "short")
        admin = accounts.complete_setup(second, "Ada", ADMIN_PW)
        assert admin.role is Role.ADMIN and admin.active
        with pytest.raises(LinkError, match="used already"):
            accounts.complete_setup(second, "Eve", ADMIN_PW)
        assert accounts.setup_link() is None and accounts.count() == 1
        assert Accounts(store).login("ada", ADMIN_PW) == admin  # the tables are in the store's database

    def test_invitation_sets_a_password_once(self, accounts: Accounts):
        member, secret = accounts.invite("Orla Organiser", "organiser", "orla@example.org")
        assert not member.active and accounts.login("Orla Organiser", PW) is None
        link, shown = accounts.peek_link(secret)
        assert shown == member and link.member_id == member.id
        accepted = accounts.accept(secret, PW)
        assert accepted.active and accounts.login("orla organiser", PW) == accepted
        assert accounts.login("Orla Organiser", "wrong password") is None
        assert accounts.login("Nobody", PW) is None
        with pytest.raises(LinkError, match="used already"):
            accounts.accept(secret, "another password")
        assert accounts.login("Orla Organiser", PW) is not None

    def test_expired_and_replaced_links_are_refused(self, accounts: Accounts, clock: Clock):
        member, old = accounts.invite("Sam", "member")
        _, new = accounts.reset("sam")
        with pytest.raises(LinkError, match="not known"):
            accounts.accept(old, PW)
        clock.now += 7 * 24 * 3600 + 1
        with pytest.raises(LinkError, match="expired"):
            accounts.accept(new, PW)
        _, fresh = accounts.reset("Sam")
        assert accounts.accept(fresh, PW).id == member.id

    @pytest.mark.parametrize(
        ("name", "role", "email", "field"),
        [
            ("", "member", None, "name"),
            ("x" * 61, "member", None, "name"),
            ("<b>", "member", None, "name"),
            ("Kim", "boss", None, "role"),
            ("Kim", "member", "not-an-address", "email"),
        ],
    )
    def test_a_bad_invitation_is_refused_and_stores_nothing(self, accounts: Accounts, name, role, email, field):
        with pytest.raises(RequestError) as refused:
            accounts.invite(name, role, email)
        assert refused.value.field == field and accounts.count() == 1

    def test_names_are_unique_whatever_their_case(self, accounts: Accounts):
        accounts.invite("Jo Bloggs", "member")
        with pytest.raises(RequestError, match="already"):
            accounts.invite("jo  BLOGGS", "organiser")
        assert accounts.count() == 2

    def test_the_last_admin_cannot_be_demoted_or_removed(self, accounts: Accounts):
        with pytest.raises(RequestError, match="only admin"):
            accounts.set_role("Ada", "member")
        with pytest.raises(RequestError, match="only admin"):
            accounts.remove("ada")
        _, secret = accounts.invite("Bea", "admin")
        accounts.accept(secret, PW)
        assert accounts.set_role("Ada", "member").role is Role.MEMBER
        with pytest.raises(NotFoundError):
            accounts.set_role("Nobody", "member")

    def test_tokens_act_within_their_members_role_now(self, accounts: Accounts):
        member, secret = accounts.invite("Orla", "organiser")
        accounts.accept(secret, PW)
        token, key = accounts.add_token(member.id, frozenset({Scope.READ, Scope.PUBLISH}), "the bot")
        assert key.startswith("snt_") and key not in repr(accounts.token_list(member.id))
        found = accounts.token_principal(key)
        assert found == Principal(member.id, "Orla", Role.ORGANISER, frozenset({Scope.READ, Scope.PUBLISH}), "token")
        with pytest.raises(RequestError, match="admin scope"):
            accounts.add_token(member.id, frozenset({Scope.ADMIN}))
        accounts.set_role("Orla", "member")  # demoted: the token can read, no longer publish
        assert accounts.token_principal(key).scopes == {Scope.READ}
        assert accounts.token_principal(key[:-1] + "x") is None and accounts.token_principal("nope") is None
        accounts.revoke_token(member.id, token.id)
        assert accounts.token_principal(key) is None
        with pytest.raises(NotFoundError):
            accounts.revoke_token(member.id, token.id)

    def test_removing_a_member_ends_their_tokens_and_links(self, accounts: Accounts):
        member, secret = accounts.invite("Lee", "organiser")
        accounts.accept(secret, PW)
        _, key = accounts.add_token(member.id, frozenset({Scope.READ}))
        _, link = accounts.reset("Lee")
        assert accounts.remove("lee").id == member.id
        assert accounts.token_principal(key) is None and accounts.session_principal(member.id) is None
        with pytest.raises(LinkError):
            accounts.accept(link, PW)
        assert accounts.login("Lee", PW) is None and accounts.count() == 1

    def test_members_and_acts_come_a_page_at_a_time(self, accounts: Accounts, clock: Clock):
        for name in ("Cy", "bo", "Al", "Di"):
            accounts.invite(name, "member")
        names, after = [], None
        while True:
            page, after = accounts.page(after, 2)
            names += [m.name for m in page]
            if after is None:
                break
        assert names == ["Ada", "Al", "bo", "Cy", "Di"]
        ada = accounts.session_principal(accounts.named("Ada").id)
        assert ada is not None
        for i in range(5):
            clock.now += 1
            accounts.record(bytes([i]) * 32, "log.redact" if i == 4 else "callout.published", ada)
        seen, cursor = [], None
        while True:
            acts, cursor = accounts.acts(cursor, 2)
            seen += acts
            if cursor is None:
                break
        assert [a.event_id[:2] for a in seen] == ["04", "03", "02", "01", "00"]
        assert seen[0].action == "redacted" and seen[1].action == "published" and seen[0].actor == "Ada"
        assert accounts.act(bytes([3]) * 32) == seen[1]
        with pytest.raises(RequestError):
            accounts.acts("not-a-cursor", 2)
