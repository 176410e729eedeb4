"""Data of the HTTP benchmarks (`booking_http`, `availability_http`), made with the app's own
commands through its message bus, so every row is what the product itself would write:

- a throw-away PostgreSQL database with every context's schema (`fresh_database`);
- vets (users with the vet role), one clinic with them on its staff, a service they all
  perform, their weekly hours; owners with pets, each logged in (an access token);
- the events of all that carried to booking's caches by the app's own event backbone run
  in this process (`deliver_events`), until booking's pet, clinic, service and schedule
  caches hold everything.

Passwords are hashed with argon2's cheapest parameters here (the seed logs hundreds of users
in; the cost of hashing is what `login_concurrency` measures, not these benchmarks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import time as clock_time
from pathlib import Path
from uuid import UUID

import psycopg
from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from adapters.sql import migrate
from adapters.sql.booking.tables import (
    clinic_cache,
    pet_cache,
    schedule_cache,
    service_cache,
)
from adapters.sql.database import CONTEXT_SCHEMAS, SqlDatabase
from petpro_core.auth.commands import Authenticate, CreatePet, CreateUser, Login, RegisterUser
from petpro_core.auth.domain.roles import OPERATOR, Role
from petpro_core.clinic.commands import (
    AddressInput,
    AddService,
    AssignStaff,
    CreateClinic,
    HoursInput,
    PolicyInput,
    PriceInput,
    SetVetHours,
)
from petpro_core.shared.actors import OPERATOR_ACTOR
from runtimes.containers import ApplicationContainer, build_container
from runtimes.settings import Settings

CONNECT_TIMEOUT_SECONDS = 5
PASSWORD = "correct horse battery staple"  # noqa: S105 - a test password
ACCESS_TOKEN_TTL_SECONDS = 3600  # the longest the settings allow; a run takes minutes
SPECIES = ("dog", "cat", "rabbit", "bird")
PET_NAMES = ("Bella", "Luna", "Max", "Charlie", "Milo", "Daisy", "Rocky", "Coco", "Oscar")


# -- database --------------------------------------------------------------------------------


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create `petpro_bench_<hex>`, migrate every context's schema, yield its URL; drop it
    (WITH FORCE) afterwards."""
    name = f"petpro_bench_{secrets.token_hex(5)}"
    admin = libpq_url(server_url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        database = SqlDatabase(url)
        for context in CONTEXT_SCHEMAS:
            migrate.upgrade(database, context)
        yield url
    finally:
        with psycopg.connect(
            admin, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def app_environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The `PETPRO_*` variables of the seed and of `petpro serve` (the same data directory,
    so both use the Ed25519 key generated there)."""
    return {
        "PETPRO_DATABASE_URL": libpq_url(database_url),
        "PETPRO_DATA_DIR": str(data_dir),
        "PETPRO_ACCESS_TOKEN_TTL_SECONDS": str(ACCESS_TOKEN_TTL_SECONDS),
        "PETPRO_ARGON2_MEMORY_KIB": "1024",
        "PETPRO_ARGON2_TIME_COST": "1",
        "PETPRO_LOG_LEVEL": "WARNING",
        **extra,
    }


def seed_container(database_url: str, data_dir: Path) -> ApplicationContainer:
    # The relay's notice on a fresh in-process broker ("groups created") is expected here.
    logging.getLogger("petpro").setLevel(logging.ERROR)
    env = app_environment(database_url, data_dir)
    settings = Settings.model_validate(
        {
            "database_url": env["PETPRO_DATABASE_URL"],
            "data_dir": data_dir,
            "access_token_ttl_seconds": ACCESS_TOKEN_TTL_SECONDS,
            "argon2_memory_kib": 1024,
            "argon2_time_cost": 1,
            "log_level": "WARNING",
        }
    )
    return build_container(settings)


# -- the clinic and its people ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClinicPlan:
    name: str
    time_zone: str
    vets: int
    # (ISO weekday, local start, local end) of every vet
    hours: Sequence[tuple[int, clock_time, clock_time]]
    service_name: str
    duration_minutes: int
    buffer_after_minutes: int
    price: str
    currency: str
    slot_minutes: int
    horizon_days: int
    min_notice_minutes: int = 60


@dataclass(frozen=True, kw_only=True)
class Owner:
    user_id: UUID
    token: str
    pet_ids: tuple[UUID, ...]


@dataclass(frozen=True, kw_only=True)
class Seeded:
    clinic_id: UUID
    service_id: UUID
    vet_ids: tuple[UUID, ...]
    owners: tuple[Owner, ...]

    @property
    def pets(self) -> list[tuple[Owner, UUID]]:
        return [(owner, pet_id) for owner in self.owners for pet_id in owner.pet_ids]


async def seed(
    container: ApplicationContainer, plan: ClinicPlan, *, owners: int, pets_per_owner: int
) -> Seeded:
    bus = container.bus()
    tag = secrets.token_hex(3)
    vet_ids = []
    for number in range(plan.vets):
        vet = await bus.execute(
            CreateUser(
                actor=OPERATOR,
                email=f"vet{number}-{tag}@clinic.example",
                display_name=f"Dr. Vet {number}",
                password=PASSWORD,
                roles=frozenset({Role.VET}),
            )
        )
        vet_ids.append(vet.id)
    clinic = await bus.execute(
        CreateClinic(
            actor=OPERATOR_ACTOR,
            name=plan.name,
            address=AddressInput(
                lines=("1-2-3 Shibuya",), locality="Shibuya-ku", region="Tokyo", country="JP"
            ),
            time_zone=plan.time_zone,
            phone="+81 3 1234 5678",
            booking_policy=PolicyInput(
                min_notice_minutes=plan.min_notice_minutes,
                horizon_days=plan.horizon_days,
                slot_minutes=plan.slot_minutes,
            ),
        )
    )
    for vet_id in vet_ids:
        await bus.execute(
            AssignStaff(
                actor=OPERATOR_ACTOR, clinic_id=clinic.clinic_id, user_id=vet_id, role="vet"
            )
        )
    service = await bus.execute(
        AddService(
            actor=OPERATOR_ACTOR,
            clinic_id=clinic.clinic_id,
            name=plan.service_name,
            duration_minutes=plan.duration_minutes,
            buffer_after_minutes=plan.buffer_after_minutes,
            price=PriceInput(amount=plan.price, currency=plan.currency),
            vet_ids=tuple(vet_ids),
        )
    )
    hours = tuple(HoursInput(weekday=d, starts=s, ends=e) for d, s, e in plan.hours)
    for vet_id in vet_ids:
        await bus.execute(
            SetVetHours(
                actor=OPERATOR_ACTOR, clinic_id=clinic.clinic_id, vet_id=vet_id, hours=hours
            )
        )

    seeded_owners = []
    for number in range(owners):
        email = f"owner{number}-{tag}@example.com"
        user = await bus.execute(
            RegisterUser(email=email, display_name=f"Owner {number}", password=PASSWORD)
        )
        pair = await bus.execute(
            Login(
                email=email,
                password=PASSWORD,
                client_address=f"10.0.{number // 250}.{number % 250}",
            )
        )
        principal = await bus.execute(Authenticate(access_token=pair.access_token))
        pet_ids = []
        for index in range(pets_per_owner):
            pet = await bus.execute(
                CreatePet(
                    actor=principal,
                    name=f"{PET_NAMES[(number + index) % len(PET_NAMES)]} {number}",
                    species=SPECIES[(number + index) % len(SPECIES)],
                )
            )
            pet_ids.append(pet.id)
        seeded_owners.append(
            Owner(user_id=user.id, token=pair.access_token, pet_ids=tuple(pet_ids))
        )
    return Seeded(
        clinic_id=clinic.clinic_id,
        service_id=service.service_id,
        vet_ids=tuple(vet_ids),
        owners=tuple(seeded_owners),
    )


async def booking_caches(
    database: SqlDatabase, seeded: Seeded, schedule_exceptions: int = 0
) -> tuple[int, bool, bool, bool]:
    """(pets in booking's pet cache, clinic cached, service cached with every vet, schedule
    cached with every vet's hours and `schedule_exceptions` exceptions)."""
    async with database.engine.connect() as connection:
        pets = (await connection.execute(select(func.count()).select_from(pet_cache))).scalar_one()
        clinic = (
            await connection.execute(
                select(func.count()).where(clinic_cache.c.clinic_id == seeded.clinic_id)
            )
        ).scalar_one()
        service = (
            await connection.execute(
                select(service_cache.c.vet_ids).where(
                    service_cache.c.service_id == seeded.service_id
                )
            )
        ).scalar()
        schedule = (
            await connection.execute(
                select(schedule_cache.c.weekly_hours, schedule_cache.c.exceptions).where(
                    schedule_cache.c.clinic_id == seeded.clinic_id
                )
            )
        ).first()
    vets_in_hours = {hours["vet_id"] for hours in schedule[0]} if schedule else set()
    return (
        int(pets),
        bool(clinic),
        service is not None and len(service) == len(seeded.vet_ids),
        len(vets_in_hours) == len(seeded.vet_ids)
        and schedule is not None
        and len(schedule[1]) == schedule_exceptions,
    )


async def deliver_events(
    container: ApplicationContainer,
    seeded: Seeded,
    *,
    schedule_exceptions: int = 0,
    timeout_seconds: float = 120.0,
) -> None:
    """Run the app's event backbone (in-process relays and consumers) until booking's
    caches hold every pet, the clinic, the service and the schedule (with
    `schedule_exceptions` exceptions)."""
    database = container.databases().for_context("booking")
    expected_pets = len(seeded.pets)
    stop = asyncio.Event()
    backbone = container.backbone()
    task = asyncio.create_task(backbone.run(stop))
    deadline = time.monotonic() + timeout_seconds
    try:
        while True:
            state = await booking_caches(database, seeded, schedule_exceptions)
            if state == (expected_pets, True, True, True):
                return
            if task.done():
                task.result()
                raise RuntimeError("the event backbone stopped")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"booking's caches not filled after {timeout_seconds}s: pets "
                    f"{state[0]}/{expected_pets}, clinic {state[1]}, service {state[2]}, "
                    f"schedule {state[3]}"
                )
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
