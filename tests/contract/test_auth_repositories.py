"""Contract of the auth ports (repositories + unit of work), run against every adapter.

The in-memory adapter is the reference; SQLite and PostgreSQL must behave the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from adapters.codec.events import decode_payload, event_types_by_name
from adapters.memory.auth import InMemoryAuthUnitOfWork, in_memory_auth_store
from adapters.sql.auth import tables
from adapters.sql.auth.unit_of_work import SqlAuthUnitOfWork
from adapters.sql.database import SqlDatabase, sqlite_url_in
from petpro_core.auth.domain.errors import (
    ConcurrentUpdate,
    EmailAlreadyRegistered,
    MicrochipAlreadyRegistered,
)
from petpro_core.auth.domain.pets import Pet, Sex, Species
from petpro_core.auth.domain.roles import Role
from petpro_core.auth.domain.sessions import RefreshToken
from petpro_core.auth.domain.users import Language, User
from petpro_core.auth.ports import AuthUnitOfWork
from petpro_core.contracts.auth import AUTH_EVENTS, PetCreated, UserCreated
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id
from petpro_core.shared.pagination import PageRequest

T0 = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
EVENT_TYPES = event_types_by_name(AUTH_EVENTS)


@dataclass
class AuthAdapter:
    """A zero-arg UoW factory on one store, plus what the tests need to look behind it."""

    kind: str
    make: Callable[[], AuthUnitOfWork]
    read_outbox: Callable[[], Any]  # async () -> list[Event]
    database: SqlDatabase | None = None

    def __call__(self) -> AuthUnitOfWork:
        return self.make()


def _memory_adapter() -> AuthAdapter:
    store = in_memory_auth_store()

    async def read_outbox() -> list[Event]:
        return list(store.outbox)

    # InMemoryAuthUnitOfWork declares its repositories by concrete class, which mypy does
    # not accept for the protocol's (mutable) attributes.
    make: Callable[[], Any] = lambda: InMemoryAuthUnitOfWork(store)  # noqa: E731
    return AuthAdapter("memory", make, read_outbox)


def _sql_adapter(kind: str, database: SqlDatabase) -> AuthAdapter:
    async def read_outbox() -> list[Event]:
        async with database.engine.connect() as connection:
            rows = (
                await connection.execute(select(tables.outbox).order_by(tables.outbox.c.position))
            ).all()
        events = []
        for row in rows:
            event = decode_payload(EVENT_TYPES[row.event_type], row.payload)
            assert row.id == event.event_id
            assert row.event_name == event.NAME
            assert row.aggregate_type == event.AGGREGATE
            assert row.aggregate_id == event.aggregate_id
            assert row.aggregate_version == event.aggregate_version
            assert row.occurred_at == event.occurred_at
            assert row.published_at is None
            events.append(event)
        return events

    return AuthAdapter(kind, lambda: SqlAuthUnitOfWork(database), read_outbox, database)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow_factory(request: pytest.FixtureRequest) -> AuthAdapter:
    """A zero-arg factory of fresh units of work on one store (memory, SQLite, PostgreSQL)."""
    if request.param == "memory":
        return _memory_adapter()
    if request.param == "sqlite":
        return _sql_adapter("sqlite", request.getfixturevalue("sqlite_database"))
    return _sql_adapter("postgres", request.getfixturevalue("postgres_database"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_uow_factory(request: pytest.FixtureRequest) -> AuthAdapter:
    """Like `uow_factory`, for what only a database can show."""
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    return _sql_adapter(request.param, request.getfixturevalue(fixture))


# --- builders ----------------------------------------------------------------------------


def a_user(
    email: str = "ann@example.com",
    *,
    roles: frozenset[Role] = frozenset({Role.PET_OWNER}),
    created_at: datetime = T0,
    **fields: Any,
) -> User:
    defaults: dict[str, Any] = {
        "id": new_id(),
        "display_name": "Ann Example",
        "password_hash": "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
        "language": Language.JA,
        "updated_at": created_at,
    }
    return User(email=email, roles=roles, created_at=created_at, **{**defaults, **fields})


def a_pet(owner_id: UUID, *, created_at: datetime = T0, **fields: Any) -> Pet:
    defaults: dict[str, Any] = {
        "id": new_id(),
        "name": "Mochi",
        "species": Species.CAT,
        "breed": "Shiba-ish",
        "sex": Sex.FEMALE,
        "date_of_birth": date(2021, 2, 28),
        "weight_kg": Decimal("4.125"),
        "microchip": None,
        "notes": "Shy with strangers.\nLikes tuna.",
        "updated_at": created_at,
    }
    return Pet(owner_id=owner_id, created_at=created_at, **{**defaults, **fields})


def a_token(family_id: UUID, user_id: UUID, name: str = "t1", **fields: Any) -> RefreshToken:
    return RefreshToken(
        token_hash=name.ljust(64, "0"),
        family_id=family_id,
        user_id=user_id,
        issued_at=fields.pop("issued_at", T0),
        expires_at=fields.pop("expires_at", T0 + timedelta(days=30)),
        **fields,
    )


def created_event(user: User) -> UserCreated:
    return User.register(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        password_hash=user.password_hash,
        roles=user.roles,
        language=user.language,
        now=user.created_at,
    )[1]


async def add_users(uow_factory: AuthAdapter, *users: User) -> None:
    async with uow_factory() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.commit()


# --- users -------------------------------------------------------------------------------


async def test_user_round_trips_every_field(uow_factory: AuthAdapter) -> None:
    user = a_user(
        roles=frozenset({Role.ADMIN, Role.VET}),
        updated_at=T0 + timedelta(hours=1, microseconds=7),
    )
    await add_users(uow_factory, user)

    async with uow_factory() as uow:
        loaded = await uow.users.get(user.id)
        missing = await uow.users.get(new_id())

    assert loaded == user
    assert missing is None
    assert loaded is not None
    assert isinstance(loaded.roles, frozenset)
    assert loaded.roles == {Role.ADMIN, Role.VET}
    assert all(isinstance(role, Role) for role in loaded.roles)
    assert loaded.language is Language.JA
    for moment in (loaded.created_at, loaded.updated_at):
        assert moment.utcoffset() == timedelta(0)
    assert loaded.updated_at == T0 + timedelta(hours=1, microseconds=7)


async def test_user_timestamps_in_other_zones_come_back_as_the_same_instant(
    uow_factory: AuthAdapter,
) -> None:
    tokyo = T0.astimezone(ZoneInfo("Asia/Tokyo"))
    user = a_user(created_at=tokyo, updated_at=tokyo)
    await add_users(uow_factory, user)
    async with uow_factory() as uow:
        loaded = await uow.users.get(user.id)
    assert loaded is not None
    assert loaded.created_at == T0
    assert loaded.created_at.tzinfo is not None


async def test_email_is_unique_case_insensitively(uow_factory: AuthAdapter) -> None:
    await add_users(uow_factory, a_user("ann@example.com"))
    shouting = a_user("ann@example.com")
    # Bypass the domain's normalisation: the store itself must enforce the rule.
    object.__setattr__(shouting, "email", "Ann@Example.COM")

    async with uow_factory() as uow:
        with pytest.raises(EmailAlreadyRegistered):
            await uow.users.add(shouting)
        with pytest.raises(EmailAlreadyRegistered):
            await uow.users.add(a_user("ann@example.com"))
        # The failed inserts leave the unit of work usable.
        await uow.users.add(a_user("bob@example.com"))
        await uow.commit()

    async with uow_factory() as uow:
        page, total = await uow.users.list(PageRequest())
    assert total == 2
    assert sorted(u.email for u in page) == ["ann@example.com", "bob@example.com"]


async def test_the_database_itself_enforces_case_insensitive_email(
    sql_uow_factory: AuthAdapter,
) -> None:
    assert sql_uow_factory.database is not None
    await add_users(sql_uow_factory, a_user("ann@example.com"))
    row = {
        "id": new_id(),
        "email": "ANN@example.com",
        "display_name": "Impostor",
        "password_hash": "x",
        "roles": ["pet_owner"],
        "language": "en",
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
    }
    with pytest.raises(IntegrityError, match="uq_users_email_lower"):
        async with sql_uow_factory.database.engine.begin() as connection:
            await connection.execute(insert(tables.users).values(row))


async def test_get_by_email_ignores_case(uow_factory: AuthAdapter) -> None:
    user = a_user("carol@example.org")
    await add_users(uow_factory, user, a_user("dave@example.org"))
    async with uow_factory() as uow:
        assert await uow.users.get_by_email("carol@example.org") == user
        assert await uow.users.get_by_email("CAROL@Example.org") == user
        assert await uow.users.get_by_email("nobody@example.org") is None


async def test_update_checks_the_expected_version(uow_factory: AuthAdapter) -> None:
    user = a_user()
    await add_users(uow_factory, user)
    later = T0 + timedelta(minutes=5)
    changed, event = user.with_profile(display_name="Ann B.", language=Language.EN, now=later)
    assert event is not None and changed.version == 2

    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.users.update(changed, expected_version=2)
        with pytest.raises(ConcurrentUpdate):
            await uow.users.update(replace(changed, id=new_id()), expected_version=1)
        await uow.users.update(changed, expected_version=1)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.users.get(user.id) == changed
        stale, _ = user.with_roles(frozenset({Role.VET}), later)
        with pytest.raises(ConcurrentUpdate):
            await uow.users.update(stale, expected_version=1)


async def test_list_users_pages_in_creation_order_with_total(uow_factory: AuthAdapter) -> None:
    users = [a_user(f"user{i}@example.com", created_at=T0 + timedelta(seconds=i)) for i in range(5)]
    # Two users created at the same instant are ordered by id.
    twins = sorted(
        (a_user(f"twin{i}@example.com", created_at=T0 + timedelta(seconds=9)) for i in range(2)),
        key=lambda u: u.id,
    )
    await add_users(uow_factory, *reversed(users), *reversed(twins))

    async with uow_factory() as uow:
        page, total = await uow.users.list(PageRequest(limit=2, offset=2))
        everyone, _ = await uow.users.list(PageRequest(limit=50))
        beyond, total_beyond = await uow.users.list(PageRequest(limit=5, offset=10))

    assert total == 7
    assert [u.id for u in page] == [users[2].id, users[3].id]
    assert [u.id for u in everyone] == [u.id for u in (*users, *twins)]
    assert list(beyond) == [] and total_beyond == 7


async def test_count_with_role(uow_factory: AuthAdapter) -> None:
    await add_users(
        uow_factory,
        a_user("a@example.com", roles=frozenset({Role.ADMIN})),
        a_user("b@example.com", roles=frozenset({Role.ADMIN, Role.VET})),
        a_user("c@example.com", roles=frozenset({Role.PET_OWNER})),
    )
    async with uow_factory() as uow:
        assert await uow.users.count_with_role(Role.ADMIN) == 2
        assert await uow.users.count_with_role(Role.VET) == 1
        assert await uow.users.count_with_role(Role.PET_OWNER) == 1
        assert await uow.users.count_with_role(Role.VENDOR) == 0


# --- pets --------------------------------------------------------------------------------


async def test_pet_round_trips_exactly(uow_factory: AuthAdapter) -> None:
    owner = new_id()
    pet = a_pet(owner, weight_kg=Decimal("4.125"), microchip="392141000123456")
    bare = a_pet(owner, breed=None, date_of_birth=None, weight_kg=None, notes=None, sex=Sex.UNKNOWN)
    async with uow_factory() as uow:
        await uow.pets.add(pet)
        await uow.pets.add(bare)
        await uow.commit()

    async with uow_factory() as uow:
        loaded = await uow.pets.get(pet.id)
        loaded_bare = await uow.pets.get(bare.id)
        assert await uow.pets.get(new_id()) is None

    assert loaded == pet
    assert loaded_bare == bare
    assert loaded is not None
    assert isinstance(loaded.weight_kg, Decimal)
    assert str(loaded.weight_kg) == "4.125"
    assert loaded.date_of_birth == date(2021, 2, 28)
    assert loaded.species is Species.CAT and loaded.sex is Sex.FEMALE
    assert loaded.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("weight", ["0.001", "12.5", "5000", "4.100"])
async def test_pet_weight_keeps_its_exact_decimal(uow_factory: AuthAdapter, weight: str) -> None:
    pet = a_pet(new_id(), weight_kg=Decimal(weight))
    async with uow_factory() as uow:
        await uow.pets.add(pet)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.pets.get(pet.id)
    assert loaded is not None
    assert loaded.weight_kg == Decimal(weight)
    assert str(loaded.weight_kg) == weight


async def test_pet_update_and_delete(uow_factory: AuthAdapter) -> None:
    pet = a_pet(new_id())
    async with uow_factory() as uow:
        await uow.pets.add(pet)
        await uow.commit()

    later = T0 + timedelta(days=1)
    changed, event = pet.with_changes(later, weight_kg=Decimal("4.5"), name="Mochi II")
    assert event is not None
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.pets.update(changed, expected_version=changed.version)
        await uow.pets.update(changed, expected_version=pet.version)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.pets.get(pet.id) == changed
        await uow.pets.delete(pet.id)
        await uow.pets.delete(new_id())  # deleting what is not there is a no-op
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.pets.get(pet.id) is None
        with pytest.raises(ConcurrentUpdate):
            await uow.pets.update(changed, expected_version=changed.version)


async def test_list_pets_of_one_owner_and_of_all(uow_factory: AuthAdapter) -> None:
    ann, bob = new_id(), new_id()
    anns = [a_pet(ann, name=f"A{i}", created_at=T0 + timedelta(minutes=i)) for i in range(3)]
    bobs = [a_pet(bob, name=f"B{i}", created_at=T0 + timedelta(minutes=10 + i)) for i in range(2)]
    async with uow_factory() as uow:
        for pet in (*reversed(bobs), *reversed(anns)):
            await uow.pets.add(pet)
        await uow.commit()

    async with uow_factory() as uow:
        of_ann, ann_total = await uow.pets.list(PageRequest(limit=2), owner_id=ann)
        of_ann_rest, _ = await uow.pets.list(PageRequest(limit=2, offset=2), owner_id=ann)
        everything, total = await uow.pets.list(PageRequest(), owner_id=None)
        of_nobody, nobody_total = await uow.pets.list(PageRequest(), owner_id=new_id())

    assert ann_total == 3
    assert [p.name for p in of_ann] == ["A0", "A1"]
    assert [p.name for p in of_ann_rest] == ["A2"]
    assert total == 5
    assert [p.name for p in everything] == ["A0", "A1", "A2", "B0", "B1"]
    assert list(of_nobody) == [] and nobody_total == 0


async def test_microchip_is_unique_on_add_and_on_update(uow_factory: AuthAdapter) -> None:
    chip = "392141000123456"
    first = a_pet(new_id(), microchip=chip)
    other = a_pet(new_id(), microchip=None)
    async with uow_factory() as uow:
        await uow.pets.add(first)
        await uow.pets.add(other)
        await uow.commit()

    async with uow_factory() as uow:
        with pytest.raises(MicrochipAlreadyRegistered):
            await uow.pets.add(a_pet(new_id(), microchip=chip))
        stolen, _ = other.with_changes(T0, microchip=chip)
        with pytest.raises(MicrochipAlreadyRegistered):
            await uow.pets.update(stolen, expected_version=other.version)
        # A pet may keep its own chip, and chip-less pets do not clash.
        renamed, _ = first.with_changes(T0, name="Still Mochi")
        await uow.pets.update(renamed, expected_version=first.version)
        await uow.pets.add(a_pet(new_id(), microchip=None))
        await uow.commit()

    async with uow_factory() as uow:
        _, total = await uow.pets.list(PageRequest(), owner_id=None)
        assert total == 3
        reloaded = await uow.pets.get(other.id)
        assert reloaded is not None and reloaded.microchip is None


# --- refresh tokens ----------------------------------------------------------------------


async def test_refresh_token_round_trip_and_single_use(uow_factory: AuthAdapter) -> None:
    family, user = new_id(), new_id()
    token = a_token(family, user)
    async with uow_factory() as uow:
        await uow.refresh_tokens.add(token)
        await uow.commit()

    used_at = T0 + timedelta(minutes=1)
    async with uow_factory() as uow:
        assert await uow.refresh_tokens.get(token.token_hash) == token
        assert await uow.refresh_tokens.get("nope".ljust(64, "0")) is None
        assert await uow.refresh_tokens.mark_used(token.token_hash, used_at) is True
        assert await uow.refresh_tokens.mark_used(token.token_hash, used_at) is False
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.refresh_tokens.mark_used(token.token_hash, used_at) is False
        assert await uow.refresh_tokens.mark_used("unknown".ljust(64, "0"), used_at) is False
        stored = await uow.refresh_tokens.get(token.token_hash)
    assert stored == replace(token, used_at=used_at)
    assert stored is not None and stored.is_spent()


async def test_the_user_in_an_active_session(uow_factory: AuthAdapter) -> None:
    ann, bob = a_user(), a_user("bob@example.com")
    ann_phone, ann_laptop, bob_phone = new_id(), new_id(), new_id()
    async with uow_factory() as uow:
        await uow.users.add(ann)
        await uow.users.add(bob)
        await uow.refresh_tokens.add(a_token(ann_phone, ann.id, "a1"))
        await uow.refresh_tokens.add(a_token(ann_laptop, ann.id, "a2"))
        await uow.refresh_tokens.add(a_token(bob_phone, bob.id, "b1"))
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.users.get_in_active_session(ann.id, ann_phone) == ann
        assert await uow.users.get_in_active_session(ann.id, new_id()) is None
        assert await uow.users.get_in_active_session(new_id(), ann_phone) is None
        # A live session of someone else is not this user's.
        assert await uow.users.get_in_active_session(ann.id, bob_phone) is None
        await uow.refresh_tokens.revoke_family(ann_phone, T0 + timedelta(hours=1))
        assert await uow.refresh_tokens.mark_used("b1".ljust(64, "0"), T0 + timedelta(hours=1))
        assert await uow.users.get_in_active_session(ann.id, ann_phone) is None
        assert await uow.users.get_in_active_session(bob.id, bob_phone) is None  # rotated away
        assert await uow.users.get_in_active_session(ann.id, ann_laptop) == ann


async def test_revoking_families_and_users(uow_factory: AuthAdapter) -> None:
    ann_user, bob_user = a_user(), a_user("bob@example.com")
    ann, bob = ann_user.id, bob_user.id
    ann_phone, ann_laptop, bob_phone = new_id(), new_id(), new_id()
    tokens = [
        a_token(ann_phone, ann, "a1"),
        a_token(ann_phone, ann, "a2"),
        a_token(ann_laptop, ann, "a3"),
        a_token(bob_phone, bob, "b1"),
    ]
    async with uow_factory() as uow:
        await uow.users.add(ann_user)
        await uow.users.add(bob_user)
        for token in tokens:
            await uow.refresh_tokens.add(token)
        await uow.commit()

    async def active(uow: AuthUnitOfWork, user_id: UUID, family_id: UUID) -> bool:
        return await uow.users.get_in_active_session(user_id, family_id) is not None

    at = T0 + timedelta(hours=1)
    async with uow_factory() as uow:
        assert await active(uow, ann, ann_phone)
        # A family whose only token was rotated away (used) is no longer active.
        assert await uow.refresh_tokens.mark_used(tokens[3].token_hash, at)
        assert not await active(uow, bob, bob_phone)

        await uow.refresh_tokens.revoke_family(ann_phone, at)
        assert not await active(uow, ann, ann_phone)
        assert await active(uow, ann, ann_laptop)
        assert await uow.refresh_tokens.mark_used(tokens[0].token_hash, at) is False
        await uow.commit()

    later = at + timedelta(hours=1)
    async with uow_factory() as uow:
        await uow.refresh_tokens.revoke_all_of_user(ann, later)
        assert not await active(uow, ann, ann_laptop)
        await uow.commit()

    async with uow_factory() as uow:
        a1 = await uow.refresh_tokens.get("a1".ljust(64, "0"))
        a3 = await uow.refresh_tokens.get("a3".ljust(64, "0"))
        b1 = await uow.refresh_tokens.get("b1".ljust(64, "0"))
    assert a1 is not None and a1.revoked_at == at  # an earlier revocation is kept
    assert a3 is not None and a3.revoked_at == later
    assert b1 is not None and b1.revoked_at is None and b1.used_at == at


# --- login failures ----------------------------------------------------------------------


async def test_login_failure_window_and_clear(uow_factory: AuthAdapter) -> None:
    key, other = "account:ann@example.com", "address:203.0.113.9"
    moments = [T0 + timedelta(minutes=m) for m in (0, 5, 10, 15)]
    async with uow_factory() as uow:
        for moment in moments:
            await uow.login_failures.record(key, moment)
        await uow.login_failures.record(other, T0)
        await uow.commit()

    async with uow_factory() as uow:
        everything = await uow.login_failures.window(key, T0 - timedelta(hours=1))
        recent = await uow.login_failures.window(
            key, moments[1]
        )  # strictly after: the edge expires
        none = await uow.login_failures.window(key, moments[-1])
        unknown = await uow.login_failures.window("account:nobody@example.com", T0)
    assert (everything.count, everything.oldest) == (4, moments[0])
    assert (recent.count, recent.oldest) == (2, moments[2])
    assert recent.oldest is not None and recent.oldest.utcoffset() == timedelta(0)
    assert (none.count, none.oldest) == (0, None)
    assert (unknown.count, unknown.oldest) == (0, None)

    async with uow_factory() as uow:
        await uow.login_failures.clear(key)
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.login_failures.window(key, T0 - timedelta(seconds=1))).count == 0
        assert (await uow.login_failures.window(other, T0 - timedelta(seconds=1))).count == 1


# --- unit of work ------------------------------------------------------------------------


async def test_leaving_without_commit_rolls_back_change_and_events(
    uow_factory: AuthAdapter,
) -> None:
    user = a_user()
    async with uow_factory() as uow:
        await uow.users.add(user)
        uow.record(created_event(user))
        assert await uow.users.get(user.id) == user  # visible inside the transaction

    async with uow_factory() as uow:
        assert await uow.users.get(user.id) is None
    assert await uow_factory.read_outbox() == []


async def test_commit_writes_the_change_and_its_events_together(
    uow_factory: AuthAdapter,
) -> None:
    user = a_user()
    event = created_event(user)
    pet, pet_created = Pet.register(
        pet_id=new_id(),
        owner_id=user.id,
        now=T0,
        name="Mochi",
        species="cat",
        breed=None,
        sex="female",
        date_of_birth=date(2020, 5, 17),
        weight_kg=Decimal("3.875"),
        microchip="392141000123456",
        notes=None,
    )
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.pets.add(pet)
        uow.record(event, pet_created)
        await uow.commit()

    outbox = await uow_factory.read_outbox()
    assert outbox == [event, pet_created]
    assert isinstance(outbox[1], PetCreated)
    assert outbox[1].weight_grams == 3875  # pet.created v2: 3.875 kg in whole grams
    assert outbox[1].date_of_birth == date(2020, 5, 17)
    async with uow_factory() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.pets.get(pet.id) == pet


async def test_an_exception_inside_the_block_rolls_back(uow_factory: AuthAdapter) -> None:
    user = a_user()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with uow_factory() as uow:
            await uow.users.add(user)
            await uow.login_failures.record("k", T0)
            uow.record(created_event(user))
            raise Boom

    async with uow_factory() as uow:
        assert await uow.users.get(user.id) is None
        assert (await uow.login_failures.window("k", T0)).count == 0
    assert await uow_factory.read_outbox() == []


async def test_the_unit_of_work_is_reusable_after_commit_and_rollback(
    uow_factory: AuthAdapter,
) -> None:
    first = a_user("one@example.com")
    second = a_user("two@example.com")
    third = a_user("three@example.com")
    async with uow_factory() as uow:
        await uow.users.add(first)
        uow.record(created_event(first))
        await uow.commit()

        await uow.users.add(second)
        uow.record(created_event(second))
        await uow.rollback()
        assert await uow.users.get(second.id) is None
        assert await uow.users.get(first.id) == first

        await uow.users.add(third)
        await uow.commit()  # the rolled-back event is not written with this commit

        await uow.login_failures.record("k", T0)  # not committed: dropped at exit

    async with uow_factory() as uow:
        assert await uow.users.get(first.id) == first
        assert await uow.users.get(second.id) is None
        assert await uow.users.get(third.id) == third
        assert (await uow.login_failures.window("k", T0)).count == 0
    assert [e.aggregate_id for e in await uow_factory.read_outbox()] == [first.id]


async def test_the_unit_of_work_can_be_entered_again(uow_factory: AuthAdapter) -> None:
    uow = uow_factory()
    async with uow:
        await uow.users.add(a_user("one@example.com"))
        await uow.commit()
    async with uow:
        await uow.users.add(a_user("two@example.com"))
        await uow.commit()
    async with uow_factory() as check:
        assert (await check.users.list(PageRequest()))[1] == 2


# --- SQLite specifics --------------------------------------------------------------------


async def test_sqlite_keeps_auth_in_its_own_file_and_survives_a_restart(
    sqlite_database: SqlDatabase,
) -> None:
    assert sqlite_database.sqlite_file is not None
    data_dir = sqlite_database.sqlite_file.parent
    user = a_user()
    async with SqlAuthUnitOfWork(sqlite_database) as uow:
        await uow.users.add(user)
        uow.record(created_event(user))
        await uow.commit()
    await sqlite_database.dispose()

    import sqlite3

    with sqlite3.connect(data_dir / "auth.db") as raw:
        (count,) = raw.execute("SELECT count(*) FROM users").fetchone()
        (outbox_count,) = raw.execute("SELECT count(*) FROM outbox").fetchone()
        (journal,) = raw.execute("PRAGMA journal_mode").fetchone()
    with sqlite3.connect(data_dir / "petpro.db") as raw:
        main_tables = raw.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert (count, outbox_count) == (1, 1)
    assert journal == "wal"
    assert main_tables == []

    restarted = SqlDatabase(sqlite_url_in(data_dir))
    try:
        async with SqlAuthUnitOfWork(restarted) as uow:
            assert await uow.users.get(user.id) == user
    finally:
        await restarted.dispose()


async def test_sqlite_unit_of_work_is_one_transaction(sqlite_database: SqlDatabase) -> None:
    """BEGIN is really emitted: a read inside the UoW and its writes form one transaction."""
    async with SqlAuthUnitOfWork(sqlite_database) as uow:
        # A SELECT alone: sqlite3's legacy mode would not have begun a transaction.
        await uow.users.get(new_id())
        connection = uow._connection
        assert connection is not None
        raw = await connection.get_raw_connection()
        sqlite3_connection = raw.driver_connection._conn  # type: ignore[union-attr]
        assert sqlite3_connection.in_transaction
        await uow.users.add(a_user())
    async with SqlAuthUnitOfWork(sqlite_database) as uow:
        assert (await uow.users.list(PageRequest()))[1] == 0


async def test_concurrent_read_modify_write_units_of_work_both_succeed(
    uow_factory: AuthAdapter,
) -> None:
    """Two units of work that read, then write, at the same time: neither fails.

    On SQLite this needs BEGIN IMMEDIATE (a deferred transaction cannot upgrade its read
    lock while another writer holds one, and fails at once with SQLITE_BUSY).
    """
    key = "address:198.51.100.7"

    async def fail_once(moment: datetime) -> None:
        async with uow_factory() as uow:
            await uow.login_failures.window(key, T0)
            await asyncio.sleep(0.05)
            await uow.login_failures.record(key, moment)
            await uow.commit()

    await asyncio.gather(fail_once(T0), fail_once(T0 + timedelta(seconds=1)))
    async with uow_factory() as uow:
        assert (await uow.login_failures.window(key, T0 - timedelta(seconds=1))).count == 2


async def test_prune_forgets_failures_at_or_before_the_cut_of_every_key(
    uow_factory: AuthAdapter,
) -> None:
    old, edge, recent = T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)
    async with uow_factory() as uow:
        await uow.login_failures.record("account:a@example.com", old)
        await uow.login_failures.record("account:a@example.com", recent)
        await uow.login_failures.record("address:192.0.2.1", edge)
        await uow.login_failures.record("address:192.0.2.2", old)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.login_failures.prune(edge)
        await uow.commit()
    async with uow_factory() as uow:
        since = T0 - timedelta(days=1)
        a = await uow.login_failures.window("account:a@example.com", since)
        assert (a.count, a.oldest) == (1, recent)
        assert (await uow.login_failures.window("address:192.0.2.1", since)).count == 0
        assert (await uow.login_failures.window("address:192.0.2.2", since)).count == 0
