"""Book a vet appointment end to end, on in-memory adapters: no server, no files.

An admin opens a clinic in Tokyo with a vet and a desk clerk; an owner registers a cat; the
shop stocks a flea treatment at the clinic; the owner finds a free slot and books it with the
treatment prepared (payment through the deterministic fake gateway, products reserved in
inventory); a rival cannot take the same slot; a declined card leaves the slot free; the
owner moves the appointment, then cancels it late (half refunded, per the clinic's policy);
the clinic's day sheet; the events the booking context recorded.

Everything goes through the application's message bus, as the HTTP routes and the CLI do.
The clock is fixed (and moved by hand) so the output is the same on every run.

Run it:  .venv/bin/python examples/book_an_appointment.py
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from adapters.payments.fake_gateway import FakePaymentGateway
from petpro_core.auth.commands import CreatePet, CreateUser, RegisterUser
from petpro_core.auth.domain.roles import OPERATOR, Principal, Role
from petpro_core.auth.domain.users import User
from petpro_core.booking.commands import (
    CancelBooking,
    CreateBooking,
    FindAvailability,
    GetDaySheet,
    RescheduleBooking,
)
from petpro_core.booking.domain.bookings import Booking, ProductLine
from petpro_core.booking.domain.errors import booking_failure
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
from petpro_core.shared.errors import PetProError
from petpro_core.shared.money import Money
from runtimes.containers import build_container
from runtimes.settings import Settings

TOKYO = ZoneInfo("Asia/Tokyo")
PASSWORD = "correct horse battery staple"  # noqa: S105 (an example's users)


def at(day: date, hh_mm: str) -> datetime:
    """A Tokyo wall time as an aware datetime."""
    return datetime.combine(day, time.fromisoformat(hh_mm), TOKYO)


def show(moment: datetime) -> str:
    return moment.astimezone(TOKYO).strftime("%a %d %b %H:%M")


def actor(user: User) -> Actor:
    """How every context but auth sees a user: an id and role names."""
    return Actor(user_id=user.id, roles=frozenset(role.value for role in user.roles))


async def main() -> None:
    # Monday 2 March 2026, 09:00 in Tokyo.
    clock = FixedClock(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    container = build_container(
        Settings(
            database_url="memory://",
            data_dir=".petpro-example",
            argon2_memory_kib=1024,
            argon2_time_cost=1,
        ),
        clock=clock,
    )
    bus = container.bus()
    gateway: FakePaymentGateway = container.booking.payments()
    wednesday, thursday = date(2026, 3, 4), date(2026, 3, 5)

    print("1. An admin opens a clinic")
    clinic = await bus.execute(
        CreateClinic(
            actor=OPERATOR_ACTOR,
            name="Shibuya Animal Clinic",
            address=AddressInput(
                lines=("1-2-3 Jingumae",), locality="Shibuya", region="Tokyo", country="JP"
            ),
            time_zone="Asia/Tokyo",
            booking_policy=PolicyInput(slot_minutes=30, min_notice_minutes=60),
        )
    )
    vet = await bus.execute(
        CreateUser(
            actor=OPERATOR,
            email="dr.sato@example.com",
            display_name="Dr Sato",
            password=PASSWORD,
            roles=frozenset({Role.VET}),
        )
    )
    desk = await bus.execute(
        CreateUser(
            actor=OPERATOR,
            email="desk@example.com",
            display_name="Front desk",
            password=PASSWORD,
            roles=frozenset({Role.CLINIC_STAFF}),
        )
    )
    for member, role in ((vet, "vet"), (desk, "clinic_staff")):
        await bus.execute(
            AssignStaff(
                actor=OPERATOR_ACTOR, clinic_id=clinic.clinic_id, user_id=member.id, role=role
            )
        )
    clerk = actor(desk)
    await bus.execute(
        SetVetHours(
            actor=clerk,
            clinic_id=clinic.clinic_id,
            vet_id=vet.id,
            hours=tuple(
                HoursInput(weekday=day, starts=time.fromisoformat(a), ends=time.fromisoformat(b))
                for day in range(1, 6)
                for a, b in (("09:00", "12:00"), ("14:00", "18:00"))
            ),
        )
    )
    checkup = await bus.execute(
        AddService(
            actor=clerk,
            clinic_id=clinic.clinic_id,
            name="Check-up",
            duration_minutes=30,
            buffer_after_minutes=10,
            price=PriceInput(amount="6600", currency="JPY"),
            species=("cat", "dog"),
            vet_ids=(vet.id,),
        )
    )
    print(f"   {clinic.name} ({clinic.time_zone}), vet {vet.email}, desk {desk.email}")
    print(f"   {checkup.name}: {checkup.duration_minutes} min at {checkup.price}, Mon-Fri hours")

    print("2. An owner registers with a pet")
    ann = await bus.execute(
        RegisterUser(email="ann@example.com", display_name="Ann", password=PASSWORD)
    )
    mochi = await bus.execute(
        CreatePet(actor=Principal(user_id=ann.id, roles=ann.roles), name="Mochi", species="cat")
    )
    print(f"   {ann.email} with {mochi.name} the {mochi.species.value}")

    print("3. The shop stocks a product at the clinic")
    flea = await bus.execute(
        CreateProduct(
            actor=OPERATOR_ACTOR,
            sku="FLEA-CAT-S",
            name="Flea treatment for cats",
            unit="pack",
            price=Money.of("1500", "JPY"),
            species=("cat",),
        )
    )
    await bus.execute(
        ReceiveStock(
            actor=OPERATOR_ACTOR,
            product_id=flea.product_id,
            location_id=clinic.clinic_id,
            quantity=10,
            reference="delivery note 0001",
        )
    )

    async def stock() -> str:
        item = await bus.execute(
            GetStock(actor=OPERATOR_ACTOR, product_id=flea.product_id, location_id=clinic.clinic_id)
        )
        return f"on hand {item.on_hand}, reserved {item.reserved}, available {item.available}"

    print(f"   {flea.name}: {await stock()}")

    print("4. The owner looks up availability on Wednesday")

    async def free_starts(day: date) -> list[datetime]:
        found = await bus.execute(
            FindAvailability(
                clinic_id=clinic.clinic_id,
                service_id=checkup.service_id,
                window_start=at(day, "00:00"),
                window_end=at(day + timedelta(days=1), "00:00"),
            )
        )
        return [slot.starts_at for slot in found.slots]

    slots = await free_starts(wednesday)
    print(f"   {len(slots)} free slots: {', '.join(s.strftime('%H:%M') for s in slots[:4])}, …")

    print("5. The owner books the first slot, with the flea treatment prepared")
    booking = await bus.execute(
        CreateBooking(
            actor=actor(ann),
            pet_id=mochi.id,
            clinic_id=clinic.clinic_id,
            service_id=checkup.service_id,
            starts_at=slots[0],
            products=(ProductLine(product_id=flea.product_id, quantity=1),),
            payment_token="tok_visa",
        )
    )
    print(f"   booking {booking.booking_id}: {booking.status} for {show(booking.starts_at)}")
    print(
        f"   the gateway's ledger: {len(gateway.charges)} charge of "
        f"{gateway.total_charged()} JPY ({gateway.charges[0].reference})"
    )
    print(f"   stock: {await stock()}")

    print("6. A second owner tries the same slot")
    bob = await bus.execute(
        RegisterUser(email="bob@example.com", display_name="Bob", password=PASSWORD)
    )
    rex = await bus.execute(
        CreatePet(actor=Principal(user_id=bob.id, roles=bob.roles), name="Rex", species="dog")
    )

    async def bob_books(starts_at: datetime, token: str) -> Booking:
        booked: Booking = await bus.execute(
            CreateBooking(
                actor=actor(bob),
                pet_id=rex.id,
                clinic_id=clinic.clinic_id,
                service_id=checkup.service_id,
                starts_at=starts_at,
                payment_token=token,
            )
        )
        return booked

    try:
        await bob_books(slots[0], "tok_visa")
    except PetProError as error:
        print(f"   refused: {error.code} ({error.detail})")

    print("7. The second owner books another slot with a card that is declined")
    next_free = (await free_starts(wednesday))[0]
    declined = await bob_books(next_free, "tok_declined")
    failure = booking_failure(declined)
    assert failure is not None
    still_free = next_free in await free_starts(wednesday)
    print(f"   {declined.status} at {show(next_free)}: {failure.code} ({failure.detail})")
    print(f"   the slot is still free: {still_free}")
    retried = await bob_books(next_free, "tok_mastercard")
    print(f"   with another card: {retried.status} for {show(retried.starts_at)}")

    print("8. The owner moves the appointment to Thursday 10:00")
    moved = await bus.execute(
        RescheduleBooking(
            actor=actor(ann), booking_id=booking.booking_id, starts_at=at(thursday, "10:00")
        )
    )
    print(
        f"   now {show(moved.starts_at)}; Wednesday {slots[0]:%H:%M} is free again: "
        f"{slots[0] in await free_starts(wednesday)}"
    )

    print("9. Thursday 06:00: the owner cancels, four hours before the visit")
    clock.advance(at(thursday, "06:00") - clock.now())
    cancelled = await bus.execute(
        CancelBooking(actor=actor(ann), booking_id=booking.booking_id, reason="Mochi is better")
    )
    policy = clinic.policy
    print(
        f"   {cancelled.status} by the {cancelled.cancelled_by}: refund {cancelled.refund} "
        f"of {cancelled.price} (under {policy.full_refund_hours} h notice: "
        f"{policy.late_refund_percent} %)"
    )
    print(
        f"   the gateway's ledger: charged {gateway.total_charged()} JPY, "
        f"refunded {gateway.total_refunded()} JPY"
    )
    print(f"   stock: {await stock()}")

    print("10. The clinic's day sheet for Wednesday (cancelled and failed bookings too)")
    sheet = await bus.execute(
        GetDaySheet(actor=clerk, clinic_id=clinic.clinic_id, day=wednesday, include_cancelled=True)
    )
    print(f"   {sheet.clinic_name}, {sheet.day:%A %Y-%m-%d} ({sheet.time_zone})")
    for vet_day in sheet.vets:
        print(f"   vet {vet.email if vet_day.vet_id == vet.id else vet_day.vet_id}")
        for b in vet_day.bookings:
            print(
                f"     {show(b.starts_at)}-{b.ends_at.astimezone(TOKYO):%H:%M}  "
                f"{b.status:9}  pet {b.pet_id}"
            )

    print("11. The events the booking context recorded (its outbox)")
    outbox = container.booking.memory_store().outbox
    for name, count in Counter(event.type_name() for event in outbox).items():
        print(f"   {count} x {name}")


if __name__ == "__main__":
    asyncio.run(main())
