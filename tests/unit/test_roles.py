"""Roles and permissions, enforced in the core whatever the runtime."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.unit_of_work import InMemoryStore
from petpro_core.auth.commands import (
    Authenticate,
    ChangeRoles,
    FindUserByEmail,
    GetUser,
    ListUsers,
    UpdateProfile,
)
from petpro_core.auth.domain.errors import UserNotFound
from petpro_core.auth.domain.roles import OPERATOR, Permission, Principal, Role, parse_roles
from petpro_core.auth.domain.users import User
from petpro_core.contracts.auth import UserCreated, UserUpdated
from petpro_core.shared.errors import InvalidInput, PermissionDenied, RuleViolated
from petpro_core.shared.pagination import PageRequest
from tests.support.auth import AuthHarness
from tests.unit.builders import login, principal, register

ADMIN = frozenset({Role.ADMIN})


async def _change(
    harness: AuthHarness,
    actor: Principal,
    user: User,
    *,
    grant: frozenset[Role] = frozenset(),
    revoke: frozenset[Role] = frozenset(),
) -> User:
    result: User = await harness.bus.execute(
        ChangeRoles(actor=actor, user_id=user.id, grant=grant, revoke=revoke)
    )
    return result


# -- permissions ---------------------------------------------------------------


def test_role_permissions() -> None:
    owner = Principal(user_id=OPERATOR.user_id, roles=frozenset({Role.PET_OWNER}))
    assert owner.can(Permission.MANAGE_OWN_PETS)
    assert not owner.can(Permission.LIST_USERS)
    assert not owner.is_admin
    assert OPERATOR.is_admin and OPERATOR.can(Permission.MANAGE_ROLES)
    assert not OPERATOR.can(Permission.MANAGE_OWN_PETS)
    assert parse_roles("vet") == {Role.VET}
    assert parse_roles(["vet", "admin"]) == {Role.VET, Role.ADMIN}
    with pytest.raises(ValueError, match="unknown role"):
        parse_roles(["superuser"])


async def test_non_admins_cannot_administer_users(harness: AuthHarness) -> None:
    owner = await register(harness.bus, "owner@example.com")
    vet = await register(harness.bus, "vet@example.com", roles=frozenset({Role.VET}))
    for actor in (principal(owner), principal(vet)):
        for command in (
            ListUsers(actor=actor),
            ChangeRoles(actor=actor, user_id=actor.user_id, grant=ADMIN),
            FindUserByEmail(actor=actor, email="vet@example.com"),
        ):
            with pytest.raises(PermissionDenied) as caught:
                await harness.bus.execute(command)
            assert caught.value.code == "permission-denied"
    assert (await harness.bus.execute(GetUser(actor=principal(owner), user_id=owner.id))).roles == {
        Role.PET_OWNER
    }


async def test_permission_is_checked_before_the_command_is_judged(harness: AuthHarness) -> None:
    owner = await register(harness.bus)
    with pytest.raises(PermissionDenied):
        await harness.bus.execute(
            ChangeRoles(actor=principal(owner), user_id=owner.id, grant=ADMIN, revoke=ADMIN)
        )


async def test_admin_lists_users_page_by_page(harness: AuthHarness) -> None:
    admin = await register(harness.bus, "admin@example.com", roles=ADMIN)
    emails = [f"user{i}@example.com" for i in range(5)]
    for email in emails:
        harness.clock.advance(timedelta(seconds=1))
        await register(harness.bus, email)

    page = await harness.bus.execute(
        ListUsers(actor=principal(admin), page=PageRequest(limit=2, offset=2))
    )
    assert page.total == 6
    assert (page.limit, page.offset) == (2, 2)
    assert [u.email for u in page.items] == emails[1:3]

    last = await harness.bus.execute(
        ListUsers(actor=principal(admin), page=PageRequest(limit=4, offset=4))
    )
    assert [u.email for u in last.items] == emails[3:]
    assert last.total == 6
    beyond = await harness.bus.execute(
        ListUsers(actor=principal(admin), page=PageRequest(limit=10, offset=50))
    )
    assert list(beyond.items) == [] and beyond.total == 6


async def test_admin_finds_users_by_email(harness: AuthHarness) -> None:
    admin = await register(harness.bus, "admin@example.com", roles=ADMIN)
    bob = await register(harness.bus, "bob@example.com")
    found = await harness.bus.execute(
        FindUserByEmail(actor=principal(admin), email=" BOB@example.COM")
    )
    assert found.id == bob.id
    with pytest.raises(UserNotFound) as caught:
        await harness.bus.execute(FindUserByEmail(actor=OPERATOR, email="nobody@example.com"))
    assert caught.value.code == "user-not-found"


async def test_other_users_are_not_found_unless_you_are_admin(harness: AuthHarness) -> None:
    ann = await register(harness.bus, "ann@example.com")
    bob = await register(harness.bus, "bob@example.com")
    with pytest.raises(UserNotFound):
        await harness.bus.execute(GetUser(actor=principal(ann), user_id=bob.id))
    assert (await harness.bus.execute(GetUser(actor=OPERATOR, user_id=bob.id))).id == bob.id


# -- changing roles ------------------------------------------------------------


async def test_grant_and_revoke_publish_user_updated_with_the_next_version(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    admin = await register(harness.bus, "admin@example.com", roles=ADMIN)
    bob = await register(harness.bus, "bob@example.com")

    harness.clock.advance(timedelta(minutes=1))
    granted = await _change(harness, principal(admin), bob, grant=frozenset({Role.VET}))
    assert granted.roles == {Role.PET_OWNER, Role.VET}
    assert granted.version == 2
    assert store.state.users[bob.id].roles == {Role.PET_OWNER, Role.VET}
    event = store.outbox[-1]
    assert isinstance(event, UserUpdated)
    assert event.user_id == bob.id
    assert event.roles == ("pet_owner", "vet")
    assert event.aggregate_version == 2
    assert event.email == "bob@example.com"
    assert event.occurred_at == harness.clock.now()

    revoked = await _change(harness, principal(admin), bob, revoke=frozenset({Role.PET_OWNER}))
    assert revoked.roles == {Role.VET}
    assert store.state.users[bob.id].version == 3
    event = store.outbox[-1]
    assert isinstance(event, UserUpdated)
    assert (event.roles, event.aggregate_version) == (("vet",), 3)
    assert [type(e) for e in store.outbox] == [UserCreated, UserCreated, UserUpdated, UserUpdated]


async def test_a_change_that_changes_nothing_records_no_event(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    bob = await register(harness.bus, "bob@example.com")
    outbox_before = list(store.outbox)
    same = await _change(harness, OPERATOR, bob, grant=frozenset({Role.PET_OWNER}))
    also_same = await _change(harness, OPERATOR, bob, revoke=frozenset({Role.VENDOR}))
    assert same.version == also_same.version == 1
    assert store.state.users[bob.id].version == 1
    assert store.outbox == outbox_before


async def test_an_admin_cannot_revoke_their_own_admin(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    admin = await register(harness.bus, "admin@example.com", roles=ADMIN)
    await register(harness.bus, "other-admin@example.com", roles=ADMIN)
    with pytest.raises(RuleViolated, match="own admin"):
        await _change(harness, principal(admin), admin, revoke=ADMIN)
    assert store.state.users[admin.id].roles == ADMIN
    assert len(store.outbox) == 2


async def test_the_last_admin_cannot_lose_admin(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    admin = await register(
        harness.bus, "admin@example.com", roles=frozenset({Role.ADMIN, Role.VET})
    )
    with pytest.raises(RuleViolated, match="last admin") as caught:
        await _change(harness, OPERATOR, admin, revoke=ADMIN)
    assert caught.value.code == "rule-violated"
    assert Role.ADMIN in store.state.users[admin.id].roles

    # with a second admin it is allowed
    second = await register(harness.bus, "second@example.com", roles=ADMIN)
    demoted = await _change(harness, principal(second), admin, revoke=ADMIN)
    assert demoted.roles == {Role.VET}


async def test_granting_and_revoking_the_same_role_at_once_is_refused(
    harness: AuthHarness,
) -> None:
    bob = await register(harness.bus, "bob@example.com")
    with pytest.raises(RuleViolated, match="granted and revoked"):
        await _change(
            harness, OPERATOR, bob, grant=frozenset({Role.VET}), revoke=frozenset({Role.VET})
        )
    with pytest.raises(RuleViolated, match="name at least one role"):
        await _change(harness, OPERATOR, bob)


async def test_a_user_keeps_at_least_one_role(harness: AuthHarness) -> None:
    bob = await register(harness.bus, "bob@example.com")
    with pytest.raises(RuleViolated, match="keeps at least one role"):
        await _change(harness, OPERATOR, bob, revoke=frozenset({Role.PET_OWNER}))


async def test_changing_roles_of_an_unknown_user(harness: AuthHarness) -> None:
    ghost = User(
        id=OPERATOR.user_id,
        email="ghost@example.com",
        display_name="Ghost",
        password_hash="x",
        roles=ADMIN,
        language="en",  # type: ignore[arg-type]
        created_at=harness.clock.now(),
        updated_at=harness.clock.now(),
    )
    with pytest.raises(UserNotFound):
        await _change(harness, OPERATOR, ghost, grant=frozenset({Role.VET}))


async def test_the_operator_manages_roles(harness: AuthHarness) -> None:
    bob = await register(harness.bus, "bob@example.com")
    promoted = await _change(harness, OPERATOR, bob, grant=ADMIN)
    assert promoted.roles == {Role.PET_OWNER, Role.ADMIN}
    page = await harness.bus.execute(ListUsers(actor=OPERATOR))
    assert [u.id for u in page.items] == [bob.id]


async def test_authenticate_reports_the_current_roles_not_the_tokens(
    harness: AuthHarness,
) -> None:
    bob = await register(harness.bus, "bob@example.com")
    pair = await login(harness.bus, "bob@example.com")
    before = await harness.bus.execute(Authenticate(access_token=pair.access_token))
    assert before.roles == {Role.PET_OWNER}

    await _change(harness, OPERATOR, bob, grant=ADMIN)
    after = await harness.bus.execute(Authenticate(access_token=pair.access_token))
    assert after.user_id == bob.id
    assert after.roles == {Role.PET_OWNER, Role.ADMIN}
    assert after.can(Permission.LIST_USERS)
    assert (await harness.bus.execute(ListUsers(actor=after))).total == 1

    await _change(harness, OPERATOR, bob, grant=frozenset({Role.VET}))
    await _change(harness, OPERATOR, bob, revoke=frozenset({Role.PET_OWNER}))
    latest = await harness.bus.execute(Authenticate(access_token=pair.access_token))
    assert latest.roles == {Role.ADMIN, Role.VET}
    assert (await _reload(harness, bob)).version == 4


async def _reload(harness: AuthHarness, user: User) -> User:
    found: User = await harness.bus.execute(GetUser(actor=OPERATOR, user_id=user.id))
    return found


# -- profile -------------------------------------------------------------------


async def test_profile_update_publishes_user_updated(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    ann = await register(harness.bus)
    updated = await harness.bus.execute(
        UpdateProfile(actor=principal(ann), display_name=" Ann Two ", language="ja")
    )
    assert (updated.display_name, updated.language.value, updated.version) == ("Ann Two", "ja", 2)
    event = store.outbox[-1]
    assert isinstance(event, UserUpdated)
    assert (event.display_name, event.language, event.aggregate_version) == ("Ann Two", "ja", 2)

    same = await harness.bus.execute(UpdateProfile(actor=principal(ann), language="ja"))
    assert same.version == 2
    assert len(store.outbox) == 2
    with pytest.raises(InvalidInput):
        await harness.bus.execute(UpdateProfile(actor=principal(ann), language="de"))
