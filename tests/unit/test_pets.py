"""Pets: the owner's lifecycle, validation of every field, visibility and admin reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.memory.unit_of_work import InMemoryStore
from petpro_core.auth.commands import CreatePet, DeletePet, GetPet, ListPets, UpdatePet
from petpro_core.auth.domain.errors import MicrochipAlreadyRegistered, PetNotFound
from petpro_core.auth.domain.pets import Pet, Sex, Species
from petpro_core.auth.domain.roles import OPERATOR, Principal, Role
from petpro_core.contracts.auth import PetCreated, PetDeleted, PetUpdated, UserCreated
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.errors import Conflict, InvalidInput, PermissionDenied
from petpro_core.shared.pagination import PageRequest
from tests.support.auth import AuthHarness, memory_harness
from tests.unit.builders import principal, register

CHIP = "392141000123456"
OTHER_CHIP = "392141000654321"


async def _owner(harness: AuthHarness, email: str = "ann@example.com") -> Principal:
    return principal(await register(harness.bus, email))


async def _create(harness: AuthHarness, actor: Principal, **fields: Any) -> Pet:
    fields.setdefault("name", "Pochi")
    fields.setdefault("species", "dog")
    pet: Pet = await harness.bus.execute(CreatePet(actor=actor, **fields))
    return pet


async def _update(harness: AuthHarness, actor: Principal, pet: Pet, **changes: Any) -> Pet:
    updated: Pet = await harness.bus.execute(UpdatePet(actor=actor, pet_id=pet.id, **changes))
    return updated


def _pet_events(store: InMemoryStore) -> list[Any]:  # type: ignore[type-arg]
    return [e for e in store.outbox if not isinstance(e, UserCreated)]


# -- lifecycle -----------------------------------------------------------------


async def test_an_owner_creates_reads_updates_and_deletes_a_pet(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    ann = await _owner(harness)
    pet = await _create(
        harness,
        ann,
        name=" Pochi ",
        species="dog",
        sex="female",
        breed="Shiba Inu",
        date_of_birth=date(2020, 5, 1),
        weight_kg=Decimal("9.25"),
        microchip=CHIP,
        notes="Shy with strangers.\nLoves carrots.",
    )
    assert (pet.name, pet.species, pet.sex, pet.owner_id) == (
        "Pochi",
        Species.DOG,
        Sex.FEMALE,
        ann.user_id,
    )
    assert pet.version == 1
    assert store.state.pets[pet.id] == pet

    created = _pet_events(store)[-1]
    assert isinstance(created, PetCreated)
    assert created.aggregate_version == 1
    assert (created.pet_id, created.owner_id) == (pet.id, ann.user_id)
    assert (created.name, created.species, created.sex, created.breed) == (
        "Pochi",
        "dog",
        "female",
        "Shiba Inu",
    )
    # pet.created v2 carries the weight in whole grams
    assert (created.date_of_birth, created.weight_grams, created.microchip) == (
        date(2020, 5, 1),
        9250,
        CHIP,
    )
    assert not hasattr(created, "notes")  # notes stay private to the owner

    assert await harness.bus.execute(GetPet(actor=ann, pet_id=pet.id)) == pet

    harness.clock.advance(timedelta(hours=1))
    renamed = await _update(harness, ann, pet, name="Pochi II", weight_kg=Decimal("9.5"))
    assert (renamed.name, renamed.weight_kg, renamed.version) == ("Pochi II", Decimal("9.5"), 2)
    assert renamed.updated_at == harness.clock.now() and renamed.created_at == pet.created_at
    updated = _pet_events(store)[-1]
    assert isinstance(updated, PetUpdated)
    assert updated.aggregate_version == 2
    # a full snapshot: unchanged fields are carried too
    assert (updated.name, updated.weight_grams, updated.breed, updated.microchip, updated.sex) == (
        "Pochi II",
        9500,
        "Shiba Inu",
        CHIP,
        "female",
    )

    assert await harness.bus.execute(DeletePet(actor=ann, pet_id=pet.id)) is None
    assert pet.id not in store.state.pets
    deleted = _pet_events(store)[-1]
    assert isinstance(deleted, PetDeleted)
    assert (deleted.pet_id, deleted.owner_id, deleted.aggregate_version) == (pet.id, ann.user_id, 3)
    assert [type(e) for e in _pet_events(store)] == [PetCreated, PetUpdated, PetDeleted]
    assert [e.type_name() for e in _pet_events(store)] == [
        "petpro.pet.created.v2",
        "petpro.pet.updated.v2",
        "petpro.pet.deleted.v1",
    ]

    with pytest.raises(PetNotFound):
        await harness.bus.execute(GetPet(actor=ann, pet_id=pet.id))
    with pytest.raises(PetNotFound):
        await harness.bus.execute(DeletePet(actor=ann, pet_id=pet.id))


async def test_defaults_of_a_new_pet(harness: AuthHarness) -> None:
    pet = await _create(harness, await _owner(harness), name="Tama", species="cat")
    assert pet.sex is Sex.UNKNOWN
    assert (pet.breed, pet.date_of_birth, pet.weight_kg, pet.microchip, pet.notes) == (None,) * 5


async def test_an_owner_lists_only_their_pets_with_totals(harness: AuthHarness) -> None:
    ann, bob = await _owner(harness, "ann@example.com"), await _owner(harness, "bob@example.com")
    names = [f"Pet {i}" for i in range(5)]
    for name in names:
        harness.clock.advance(timedelta(seconds=1))
        await _create(harness, ann, name=name)
    await _create(harness, bob, name="Bob's")

    page = await harness.bus.execute(ListPets(actor=ann, page=PageRequest(limit=2, offset=1)))
    assert [p.name for p in page.items] == names[1:3]
    assert (page.total, page.limit, page.offset) == (5, 2, 1)
    own = await harness.bus.execute(ListPets(actor=ann, owner_id=ann.user_id))
    assert own.total == 5
    assert {p.owner_id for p in own.items} == {ann.user_id}


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("species", "dragon"),
        ("species", "DOG"),
        ("sex", "x"),
        ("name", ""),
        ("name", "   "),
        ("name", "n" * 101),
        ("name", "Po\x00chi"),
        ("name", "Po\nchi"),
        ("breed", ""),
        ("breed", "b" * 101),
        ("notes", "n" * 2001),
        ("notes", "bell\x07"),
        ("weight_kg", Decimal("0")),
        ("weight_kg", Decimal("-1")),
        ("weight_kg", Decimal("5000.001")),
        ("weight_kg", Decimal("1.2345")),
        ("weight_kg", Decimal("NaN")),
        ("weight_kg", Decimal("Infinity")),
        ("weight_kg", 4.5),
        ("weight_kg", 4),
        ("microchip", "39214100012345"),
        ("microchip", "3921410001234567"),
        ("microchip", "39214100012345a"),
        ("microchip", "392 141 000 123"),
        ("microchip", "".join(chr(ord(d) + 0xFEE0) for d in CHIP)),  # full-width digits
        ("microchip", "".join(chr(ord(d) - ord("0") + 0x0660) for d in CHIP)),  # Arabic-Indic
    ],
)
async def test_invalid_fields_are_rejected(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
    field: str,
    value: Any,
) -> None:
    ann = await _owner(harness)
    with pytest.raises(InvalidInput) as caught:
        await _create(harness, ann, **{field: value})
    assert caught.value.extra["field"] == field
    assert store.state.pets == {}
    assert _pet_events(store) == []


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("name", "n" * 100, "n" * 100),
        ("name", "ﾎﾟﾁ", "ポチ"),
        ("breed", "b" * 100, "b" * 100),
        ("notes", "n" * 2000, "n" * 2000),
        ("notes", "line one\n\tline two", "line one\n\tline two"),
        ("weight_kg", Decimal("0.001"), Decimal("0.001")),
        ("weight_kg", Decimal("12.345"), Decimal("12.345")),
        ("weight_kg", Decimal("5000"), Decimal("5000")),
        ("microchip", "000000000000000", "000000000000000"),
        ("sex", "male", Sex.MALE),
        ("species", "rabbit", Species.RABBIT),
    ],
)
async def test_boundary_values_are_accepted(
    harness: AuthHarness, field: str, value: Any, stored: Any
) -> None:
    pet = await _create(harness, await _owner(harness), **{field: value})
    assert getattr(pet, field) == stored


async def test_duplicate_microchips_are_refused_on_create_and_on_update(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    ann, bob = await _owner(harness, "ann@example.com"), await _owner(harness, "bob@example.com")
    first = await _create(harness, ann, microchip=CHIP)
    with pytest.raises(MicrochipAlreadyRegistered) as caught:
        await _create(harness, bob, name="Copy", microchip=CHIP)
    assert isinstance(caught.value, Conflict) and caught.value.code == "microchip-taken"

    second = await _create(harness, bob, name="Rex", microchip=OTHER_CHIP)
    events_before = list(store.outbox)
    with pytest.raises(MicrochipAlreadyRegistered):
        await _update(harness, bob, second, microchip=CHIP)
    assert store.state.pets[second.id].microchip == OTHER_CHIP
    assert store.state.pets[second.id].version == 1
    assert store.outbox == events_before
    # keeping one's own microchip is not a clash
    assert (await _update(harness, ann, first, microchip=CHIP, name="Same chip")).version == 2


async def test_a_birth_date_in_the_future_is_rejected_by_the_clock() -> None:
    clock = FixedClock(datetime(2026, 1, 1, 12, 0, tzinfo=UTC))  # already 2 Jan in UTC+14
    harness, store = memory_harness(clock=clock)
    ann = await _owner(harness)
    pet = await _create(harness, ann, date_of_birth=date(2026, 1, 2))
    assert pet.date_of_birth == date(2026, 1, 2)
    with pytest.raises(InvalidInput) as caught:
        await _create(harness, ann, name="Tomorrow", date_of_birth=date(2026, 1, 3))
    assert caught.value.extra["field"] == "date_of_birth"
    with pytest.raises(InvalidInput):
        await _update(harness, ann, pet, date_of_birth=date(2027, 1, 1))
    assert store.state.pets[pet.id].date_of_birth == date(2026, 1, 2)


async def test_today_in_the_earliest_time_zone_is_the_limit() -> None:
    clock = FixedClock(datetime(2026, 1, 1, 9, 59, tzinfo=UTC))  # 23:59 on 1 Jan in UTC+14
    harness, _ = memory_harness(clock=clock)
    ann = await _owner(harness)
    with pytest.raises(InvalidInput):
        await _create(harness, ann, date_of_birth=date(2026, 1, 2))
    clock.advance(timedelta(minutes=1))  # midnight in UTC+14
    assert (await _create(harness, ann, date_of_birth=date(2026, 1, 2))).date_of_birth == date(
        2026, 1, 2
    )


# -- partial updates -------------------------------------------------------------


async def test_a_partial_update_changes_only_the_given_fields(harness: AuthHarness) -> None:
    ann = await _owner(harness)
    pet = await _create(
        harness,
        ann,
        breed="Shiba Inu",
        weight_kg=Decimal("9.2"),
        microchip=CHIP,
        notes="note",
        date_of_birth=date(2020, 1, 1),
    )
    updated = await _update(harness, ann, pet, sex="male")
    assert updated.sex is Sex.MALE
    for unchanged in (
        "name",
        "species",
        "breed",
        "weight_kg",
        "microchip",
        "notes",
        "date_of_birth",
    ):
        assert getattr(updated, unchanged) == getattr(pet, unchanged), unchanged

    cleared = await _update(harness, ann, updated, breed=None, notes=None, microchip=None)
    assert (cleared.breed, cleared.notes, cleared.microchip) == (None, None, None)
    assert (cleared.weight_kg, cleared.sex, cleared.version) == (Decimal("9.2"), Sex.MALE, 3)


async def test_a_no_op_update_records_nothing_and_keeps_the_version(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    ann = await _owner(harness)
    pet = await _create(harness, ann, breed="Mix", weight_kg=Decimal("3.5"))
    events_before = list(store.outbox)
    harness.clock.advance(timedelta(minutes=1))
    for changes in ({}, {"name": "Pochi"}, {"breed": " Mix ", "weight_kg": Decimal("3.50")}):
        same = await _update(harness, ann, pet, **changes)
        assert same.version == 1
        assert same.updated_at == pet.updated_at
    assert store.outbox == events_before
    assert store.state.pets[pet.id] == pet


async def test_an_invalid_update_changes_nothing(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    ann = await _owner(harness)
    pet = await _create(harness, ann)
    with pytest.raises(InvalidInput):
        await _update(harness, ann, pet, weight_kg=1.5)
    with pytest.raises(InvalidInput):
        await _update(harness, ann, pet, species="unicorn")
    assert store.state.pets[pet.id] == pet
    assert len(_pet_events(store)) == 1


# -- who may see and change what -------------------------------------------------


async def test_another_owners_pet_is_not_found_never_forbidden(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    ann, bob = await _owner(harness, "ann@example.com"), await _owner(harness, "bob@example.com")
    pet = await _create(harness, ann)
    for command in (
        GetPet(actor=bob, pet_id=pet.id),
        UpdatePet(actor=bob, pet_id=pet.id, name="Stolen"),
        DeletePet(actor=bob, pet_id=pet.id),
    ):
        with pytest.raises(PetNotFound) as caught:
            await harness.bus.execute(command)
        assert caught.value.code == "pet-not-found"
        assert str(caught.value) == "no such pet"
    assert store.state.pets[pet.id] == pet


async def test_admins_read_any_pet_but_change_only_their_own(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    ann, bob = await _owner(harness, "ann@example.com"), await _owner(harness, "bob@example.com")
    admin = principal(
        await register(harness.bus, "admin@example.com", roles=frozenset({Role.ADMIN}))
    )
    anns = await _create(harness, ann, name="Pochi")
    harness.clock.advance(timedelta(seconds=1))
    bobs = await _create(harness, bob, name="Rex")

    assert await harness.bus.execute(GetPet(actor=admin, pet_id=bobs.id)) == bobs
    everyone = await harness.bus.execute(ListPets(actor=admin, all_owners=True))
    assert [p.id for p in everyone.items] == [anns.id, bobs.id] and everyone.total == 2
    just_bob = await harness.bus.execute(ListPets(actor=admin, owner_id=bob.user_id))
    assert [p.id for p in just_bob.items] == [bobs.id] and just_bob.total == 1
    assert (await harness.bus.execute(ListPets(actor=OPERATOR, all_owners=True))).total == 2

    with pytest.raises(PetNotFound):
        await _update(harness, admin, bobs, name="Admin's now")
    with pytest.raises(PetNotFound):
        await harness.bus.execute(DeletePet(actor=admin, pet_id=bobs.id))
    assert store.state.pets[bobs.id] == bobs


async def test_a_non_admin_cannot_list_another_owners_pets(harness: AuthHarness) -> None:
    ann, bob = await _owner(harness, "ann@example.com"), await _owner(harness, "bob@example.com")
    await _create(harness, bob)
    with pytest.raises(PermissionDenied):
        await harness.bus.execute(ListPets(actor=ann, owner_id=bob.user_id))
    with pytest.raises(PermissionDenied):
        await harness.bus.execute(ListPets(actor=ann, all_owners=True))


async def test_only_pet_owners_create_pets(
    harness: AuthHarness,
    store: InMemoryStore,  # type: ignore[type-arg]
) -> None:
    vet = principal(await register(harness.bus, "vet@example.com", roles=frozenset({Role.VET})))
    with pytest.raises(PermissionDenied) as caught:
        await _create(harness, vet)
    assert caught.value.code == "permission-denied"
    with pytest.raises(PermissionDenied):
        await _create(harness, OPERATOR)
    assert store.state.pets == {}


async def test_unknown_pets_are_not_found(harness: AuthHarness) -> None:
    ann = await _owner(harness)
    pet = await _create(harness, ann)
    await harness.bus.execute(DeletePet(actor=ann, pet_id=pet.id))
    with pytest.raises(PetNotFound):
        await _update(harness, ann, pet, name="Ghost")
