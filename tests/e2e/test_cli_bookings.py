"""`petpro bookings …` and `petpro clinics day-sheet` through Typer's runner on the embedded
SQLite store.

A clinic in Tokyo, owners, a product and bookings are set up through the application's bus
on the same data directory. The CLI's containers share the test's fixed clock and fake
payment gateway (the fake keeps its ledger in one process's memory, like a provider's
account would be shared), so refunds and the clinic-local "today" can be asserted.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from dependency_injector import providers

import cli.session
from adapters.payments.fake_gateway import FakePaymentGateway
from cli.errors import EXIT_CONFLICT, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_USAGE
from petpro_core.auth.commands import CreatePet, CreateUser, RegisterUser
from petpro_core.auth.domain.roles import OPERATOR, Principal, Role
from petpro_core.auth.domain.users import User
from petpro_core.booking.commands import CreateBooking, GetBooking
from petpro_core.booking.domain.bookings import Booking, BookingStatus, ProductLine
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
from petpro_core.inventory.commands import CreateProduct, GetStock, ReceiveStock
from petpro_core.shared.actors import OPERATOR_ACTOR, Actor
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.messagebus import MessageBus
from petpro_core.shared.money import Money
from runtimes.containers import ApplicationContainer, build_container
from runtimes.schema import prepare_schema
from runtimes.settings import Settings
from tests.e2e.cli_support import STRONG_PASSWORD, cli_env, invoke
from tests.e2e.test_cli import one_line_error

T = TypeVar("T")

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY_9AM = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
WEDNESDAY, THURSDAY = date(2026, 3, 4), date(2026, 3, 5)


def at(day: date, hh_mm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hh_mm), TOKYO)


class Deployment:
    """One data directory; every container built on it (the CLI's too) shares the clock and
    the payment gateway unless `gateway_per_container`."""

    def __init__(self, data_dir: Path) -> None:
        self.settings = Settings(
            data_dir=data_dir, database_url=None, argon2_memory_kib=1024, argon2_time_cost=1
        )
        self.clock = FixedClock(MONDAY_9AM)
        self.gateway = FakePaymentGateway()
        self.gateway_per_container = False
        self.own_gateways: list[FakePaymentGateway] = []  # those of the other "processes"

    def container(self) -> ApplicationContainer:
        container = build_container(self.settings, clock=self.clock)
        gateway = self.gateway
        if self.gateway_per_container:
            gateway = FakePaymentGateway()
            self.own_gateways.append(gateway)
        container.booking.payments.override(providers.Object(gateway))
        return container

    def run(self, work: Callable[[MessageBus], Awaitable[T]]) -> T:
        container = self.container()
        prepare_schema(container.settings(), container.databases())

        async def main() -> T:
            try:
                return await work(container.bus())
            finally:
                await container.databases().dispose()

        return asyncio.run(main())


@dataclass
class World:
    clinic_id: UUID
    service_id: UUID
    vet_id: UUID
    product_id: UUID
    ann: Actor
    ann_pet: UUID
    bob: Actor
    bob_pet: UUID


def _actor(user: User) -> Actor:
    return Actor(user_id=user.id, roles=frozenset(role.value for role in user.roles))


async def _open_clinic(bus: MessageBus) -> World:
    clinic = await bus.execute(
        CreateClinic(
            actor=OPERATOR_ACTOR,
            name="Shibuya Animal Clinic",
            address=AddressInput(lines=("1-2-3 Jingumae",), locality="Shibuya", country="JP"),
            time_zone="Asia/Tokyo",
            booking_policy=PolicyInput(slot_minutes=30, min_notice_minutes=60),
        )
    )
    vet = await bus.execute(
        CreateUser(
            actor=OPERATOR,
            email="vet@example.com",
            display_name="Dr Sato",
            password=STRONG_PASSWORD,
            roles=frozenset({Role.VET}),
        )
    )
    await bus.execute(
        AssignStaff(actor=OPERATOR_ACTOR, clinic_id=clinic.clinic_id, user_id=vet.id, role="vet")
    )
    await bus.execute(
        SetVetHours(
            actor=OPERATOR_ACTOR,
            clinic_id=clinic.clinic_id,
            vet_id=vet.id,
            hours=tuple(
                HoursInput(weekday=day, starts=time(9), ends=time(12)) for day in range(1, 6)
            ),
        )
    )
    service = await bus.execute(
        AddService(
            actor=OPERATOR_ACTOR,
            clinic_id=clinic.clinic_id,
            name="Check-up",
            duration_minutes=30,
            buffer_after_minutes=10,
            price=PriceInput(amount="6600", currency="JPY"),
            vet_ids=(vet.id,),
        )
    )
    product = await bus.execute(
        CreateProduct(
            actor=OPERATOR_ACTOR,
            sku="FLEA-S",
            name="Flea treatment",
            unit="pack",
            price=Money.of("1500", "JPY"),
        )
    )
    await bus.execute(
        ReceiveStock(
            actor=OPERATOR_ACTOR,
            product_id=product.product_id,
            location_id=clinic.clinic_id,
            quantity=5,
        )
    )
    owners = []
    for email, species in (("ann@example.com", "cat"), ("bob@example.com", "dog")):
        user = await bus.execute(
            RegisterUser(email=email, display_name=email[:3], password=STRONG_PASSWORD)
        )
        pet = await bus.execute(
            CreatePet(
                actor=Principal(user_id=user.id, roles=user.roles), name="Pet", species=species
            )
        )
        owners.append((_actor(user), pet.id))
    (ann, ann_pet), (bob, bob_pet) = owners
    return World(
        clinic_id=clinic.clinic_id,
        service_id=service.service_id,
        vet_id=vet.id,
        product_id=product.product_id,
        ann=ann,
        ann_pet=ann_pet,
        bob=bob,
        bob_pet=bob_pet,
    )


def _book(
    world: World,
    owner: Actor,
    pet: UUID,
    starts_at: datetime,
    token: str = "tok_visa",
    **extra: Any,
) -> CreateBooking:
    return CreateBooking(
        actor=owner,
        pet_id=pet,
        clinic_id=world.clinic_id,
        service_id=world.service_id,
        starts_at=starts_at,
        payment_token=token,
        **extra,
    )


@dataclass
class Booked:
    world: World
    ann: Booking  # confirmed, Wednesday 09:00, one product reserved
    declined: Booking  # Bob's, failed, Wednesday 10:00
    bob: Booking  # confirmed, Thursday 10:00


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path / "data")
    monkeypatch.setattr(cli.session, "build_container", deployment.container)
    yield deployment


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data", COLUMNS="220")  # wide enough for whole ids


@pytest.fixture
def booked(deployment: Deployment) -> Booked:
    async def setup(bus: MessageBus) -> Booked:
        world = await _open_clinic(bus)
        product = ProductLine(product_id=world.product_id, quantity=1)
        ann = await bus.execute(
            _book(world, world.ann, world.ann_pet, at(WEDNESDAY, "09:00"), products=(product,))
        )
        declined = await bus.execute(
            _book(world, world.bob, world.bob_pet, at(WEDNESDAY, "10:00"), "tok_declined")
        )
        bob = await bus.execute(_book(world, world.bob, world.bob_pet, at(THURSDAY, "10:00")))
        return Booked(world=world, ann=ann, declined=declined, bob=bob)

    booked = deployment.run(setup)
    assert booked.ann.status is BookingStatus.CONFIRMED
    assert booked.declined.status is BookingStatus.FAILED
    assert booked.bob.status is BookingStatus.CONFIRMED
    return booked


def _ok(args: list[str], env: dict[str, str]) -> str:
    result = invoke(args, env)
    assert result.exit_code == 0, result.output
    return result.stdout


def _reserved(deployment: Deployment, world: World) -> int:
    async def stock(bus: MessageBus) -> int:
        item = await bus.execute(
            GetStock(actor=OPERATOR_ACTOR, product_id=world.product_id, location_id=world.clinic_id)
        )
        reserved: int = item.reserved
        return reserved

    return deployment.run(stock)


def test_list_shows_a_clinics_bookings_in_its_local_time(
    booked: Booked, env: dict[str, str]
) -> None:
    clinic = str(booked.world.clinic_id)
    table = _ok(["bookings", "list", "--clinic", clinic], env)
    # Default: today in Tokyo (Monday 2 March) and the 7 days after it.
    assert "3 bookings from 2026-03-02 to 2026-03-09 (Asia/Tokyo)" in table
    assert "2026-03-04 Wed 09:00" in table and "2026-03-05 Thu 10:00" in table
    assert table.count("confirmed") == 2 and table.count("failed") == 1
    assert str(booked.ann.booking_id) in table and str(booked.ann.pet_id) in table
    assert "6600 JPY" in table and str(booked.world.vet_id) in table
    assert table.index("Wed 09:00") < table.index("Wed 10:00") < table.index("Thu 10:00")

    thursday = _ok(
        ["bookings", "list", "--clinic", clinic, "--from", "2026-03-05", "--to", "2026-03-05"], env
    )
    assert "1 booking from 2026-03-05 to 2026-03-05" in thursday
    assert str(booked.bob.booking_id) in thursday and str(booked.ann.booking_id) not in thursday
    later = _ok(["bookings", "list", "--clinic", clinic, "--from", "2026-03-06"], env)
    assert "0 bookings from 2026-03-06 to 2026-03-13" in later

    rows = list(
        csv.DictReader(
            io.StringIO(_ok(["bookings", "list", "--clinic", clinic, "--format", "csv"], env))
        )
    )
    assert [(r["starts_at"], r["status"], r["price"], r["currency"]) for r in rows] == [
        ("2026-03-04T09:00:00+09:00", "confirmed", "6600", "JPY"),
        ("2026-03-04T10:00:00+09:00", "failed", "6600", "JPY"),
        ("2026-03-05T10:00:00+09:00", "confirmed", "6600", "JPY"),
    ]
    assert rows[1]["failure_reason"] == "payment declined: card declined"

    records = json.loads(_ok(["bookings", "list", "--clinic", clinic, "--format", "json"], env))
    assert [r["id"] for r in records] == [
        str(b.booking_id) for b in (booked.ann, booked.declined, booked.bob)
    ]
    assert records[0]["products"] == [{"product_id": str(booked.world.product_id), "quantity": 1}]
    assert records[0]["refund"] is None


def test_the_clinic_cancels_a_booking_with_a_full_refund(
    deployment: Deployment, booked: Booked, env: dict[str, str]
) -> None:
    booking = str(booked.ann.booking_id)
    shown = _ok(["bookings", "show", booking], env)
    assert "confirmed" in shown and "2026-03-04 Wed 09:00-09:30 (Asia/Tokyo)" in shown
    assert f"1 x {booked.world.product_id}" in shown and "6600 JPY" in shown
    assert _reserved(deployment, booked.world) == 1

    # Wednesday 07:00 in Tokyo: two hours before; the owner would get half, the clinic
    # cancelling gives everything back.
    deployment.clock.advance(at(WEDNESDAY, "07:00") - deployment.clock.now())
    cancelled = _ok(["bookings", "cancel", booking, "--reason", "the vet is ill"], env)
    assert f"cancelled booking {booking} (2026-03-04 Wed 09:00 Asia/Tokyo)" in cancelled
    assert "refund 6600 JPY" in cancelled
    [refund] = deployment.gateway.refunds
    assert refund.amount == Money.of("6600", "JPY")
    assert _reserved(deployment, booked.world) == 0

    shown = _ok(["bookings", "show", booking], env)
    assert "cancelled" in shown and "by the clinic: the vet is ill" in shown
    assert json.loads(_ok(["bookings", "show", booking, "--format", "json"], env))["refund"] == (
        "6600"
    )

    again = invoke(["bookings", "cancel", booking], env)
    assert again.exit_code == EXIT_CONFLICT
    assert "the booking is cancelled" in one_line_error(again)
    failed = invoke(["bookings", "cancel", str(booked.declined.booking_id)], env)
    assert failed.exit_code == EXIT_CONFLICT and "failed" in one_line_error(failed)
    assert len(deployment.gateway.refunds) == 1


def test_the_console_refunds_a_charge_another_process_took(
    deployment: Deployment, booked: Booked, env: dict[str, str]
) -> None:
    # The console is another process: its gateway never saw the charge, and refunds it by
    # the reference alone (which carries the charged amount).
    deployment.gateway_per_container = True
    result = invoke(["bookings", "cancel", str(booked.ann.booking_id)], env)
    assert result.exit_code == 0, result.output
    assert "refund 6600 JPY" in result.stdout and "warning" not in result.stderr
    assert deployment.gateway.refunds == []
    refunds = [r.amount for gateway in deployment.own_gateways for r in gateway.refunds]
    assert refunds == [Money.of("6600", "JPY")]
    assert _reserved(deployment, booked.world) == 0


def test_a_cancellation_stands_when_the_refund_cannot_be_paid_yet(
    deployment: Deployment, booked: Booked, env: dict[str, str]
) -> None:
    # The provider is down: the cancellation stands, the refund waits for the recovery job.
    deployment.gateway.refunds_unavailable = True
    result = invoke(["bookings", "cancel", str(booked.ann.booking_id)], env)
    assert result.exit_code == 0, result.output
    assert "refund 6600 JPY" in result.stdout
    assert deployment.gateway.refunds == []

    deployment.gateway.refunds_unavailable = False
    deployment.clock.advance(timedelta(minutes=5))  # past the backoff and the lease
    assert "advanced 1 booking saga" in _ok(["bookings", "recover"], env)
    assert [r.amount for r in deployment.gateway.refunds] == [Money.of("6600", "JPY")]
    assert _reserved(deployment, booked.world) == 0


def test_recover_resumes_a_saga_left_by_a_payment_outage(
    deployment: Deployment, env: dict[str, str]
) -> None:
    async def book_during_outage(bus: MessageBus) -> Booking:
        world = await _open_clinic(bus)
        deployment.gateway.charges_unavailable = True
        held: Booking = await bus.execute(
            _book(world, world.ann, world.ann_pet, at(WEDNESDAY, "09:00"))
        )
        deployment.gateway.charges_unavailable = False
        return held

    held = deployment.run(book_during_outage)
    assert held.status is BookingStatus.HELD
    assert "held" in _ok(["bookings", "show", str(held.booking_id)], env)

    deployment.clock.advance(timedelta(minutes=2))  # past the backoff
    assert _ok(["bookings", "recover"], env).strip() == "advanced 1 booking saga"
    assert _ok(["bookings", "recover"], env).strip() == "advanced 0 booking sagas"

    async def status(bus: MessageBus) -> BookingStatus:
        booking: Booking = await bus.execute(
            GetBooking(actor=OPERATOR_ACTOR, booking_id=held.booking_id)
        )
        return booking.status

    assert deployment.run(status) is BookingStatus.CONFIRMED
    assert len(deployment.gateway.charges) == 1


def test_the_day_sheet_lists_each_vets_day_in_the_clinics_zone(
    booked: Booked, env: dict[str, str]
) -> None:
    clinic, vet = str(booked.world.clinic_id), str(booked.world.vet_id)
    today = _ok(["clinics", "day-sheet", clinic], env)
    assert "Shibuya Animal Clinic: Monday 2026-03-02 (Asia/Tokyo), 0 bookings" in today
    assert f"vet@example.com ({vet})" in today and "free all day" in today

    wednesday = _ok(["clinics", "day-sheet", clinic, "--day", "2026-03-04"], env)
    assert "Wednesday 2026-03-04 (Asia/Tokyo), 1 booking" in wednesday
    assert "09:00-09:30" in wednesday and "confirmed" in wednesday
    assert str(booked.ann.pet_id) in wednesday and str(booked.ann.owner_id) in wednesday
    assert "failed" not in wednesday

    everything = _ok(["clinics", "day-sheet", clinic, "--day", "2026-03-04", "--all"], env)
    assert "2 bookings" in everything and "10:00-10:30" in everything and "failed" in everything

    one_vet = _ok(
        ["clinics", "day-sheet", clinic, "--day", "2026-03-05", "--vet", "vet@example.com"], env
    )
    assert "1 booking" in one_vet and str(booked.bob.booking_id) in one_vet

    nobody = invoke(["clinics", "day-sheet", clinic, "--vet", "nobody@example.com"], env)
    assert nobody.exit_code == EXIT_NOT_FOUND
    bad_day = invoke(["clinics", "day-sheet", clinic, "--day", "4 March"], env)
    assert bad_day.exit_code == EXIT_USAGE and "--day" in one_line_error(bad_day)


def test_booking_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    # The real wiring: no shared clock or gateway, the system clock.
    env = cli_env(tmp_path / "data")
    unknown = "01900000-0000-7000-8000-000000000000"
    for args in (
        ["bookings", "show", unknown],
        ["bookings", "cancel", unknown, "--reason", "x"],
        ["bookings", "list", "--clinic", unknown],
        ["clinics", "day-sheet", unknown],
        ["clinics", "day-sheet", unknown, "--day", "2026-03-04"],
    ):
        result = invoke(args, env)
        assert result.exit_code == EXIT_NOT_FOUND, (args, result.output)
        assert "no such" in one_line_error(result)

    not_an_id = invoke(["bookings", "show", "yesterday"], env)
    assert not_an_id.exit_code == EXIT_USAGE and "UUID" in one_line_error(not_an_id)
    no_clinic = invoke(["bookings", "list"], env)
    assert no_clinic.exit_code == EXIT_USAGE and "--clinic" in one_line_error(no_clinic)
    bad_format = invoke(["bookings", "list", "--clinic", unknown, "--format", "xml"], env)
    assert bad_format.exit_code == EXIT_USAGE
    long_reason = invoke(["bookings", "cancel", unknown, "--reason", "x" * 501], env)
    assert long_reason.exit_code == EXIT_INVALID and "500" in one_line_error(long_reason)

    assert _ok(["bookings", "recover"], env).strip() == "advanced 0 booking sagas"


def test_list_windows_are_checked(booked: Booked, env: dict[str, str]) -> None:
    clinic = str(booked.world.clinic_id)
    backwards = invoke(
        ["bookings", "list", "--clinic", clinic, "--from", "2026-03-05", "--to", "2026-03-04"], env
    )
    assert backwards.exit_code == EXIT_USAGE and "before --from" in one_line_error(backwards)
    too_long = invoke(
        ["bookings", "list", "--clinic", clinic, "--from", "2026-03-01", "--to", "2026-04-01"], env
    )
    assert too_long.exit_code == EXIT_USAGE and "31 days" in one_line_error(too_long)
    bad_date = invoke(["bookings", "list", "--clinic", clinic, "--from", "March"], env)
    assert bad_date.exit_code == EXIT_USAGE and "--from" in one_line_error(bad_date)
