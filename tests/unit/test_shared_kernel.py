"""The shared kernel: ids, money, message bus, pagination, clock and event names."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from petpro_core.contracts.auth import AUTH_EVENTS, PetCreated, PetDeleted, UserCreated, UserUpdated
from petpro_core.shared.clock import FixedClock, ensure_aware
from petpro_core.shared.errors import InvalidInput
from petpro_core.shared.events import Event
from petpro_core.shared.ids import new_id, parse_id
from petpro_core.shared.messagebus import Command, MessageBus
from petpro_core.shared.money import Money
from petpro_core.shared.pagination import MAX_LIMIT, PageRequest

# -- ids ---------------------------------------------------------------------


def _unix_ms(value: uuid.UUID) -> int:
    return value.int >> 80


def test_new_id_is_a_uuid_v7_with_the_rfc_variant() -> None:
    value = new_id()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_new_id_embeds_the_current_unix_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= _unix_ms(value) <= after


def test_new_ids_are_ordered_by_creation_time() -> None:
    earlier = [new_id() for _ in range(5)]
    time.sleep(0.003)
    later = [new_id() for _ in range(5)]
    assert max(earlier) < min(later)
    assert max(_unix_ms(v) for v in earlier) < min(_unix_ms(v) for v in later)


def test_new_ids_are_unique() -> None:
    assert len({new_id() for _ in range(2000)}) == 2000


def test_new_ids_made_within_one_millisecond_still_increase() -> None:
    # "Later wins" rules compare event ids; thousands are made per millisecond here.
    made = [new_id() for _ in range(20_000)]
    assert made == sorted(made)
    assert all(value.version == 7 and value.variant == uuid.RFC_4122 for value in made)


def test_parse_id_accepts_uuids_and_their_text_and_rejects_the_rest() -> None:
    value = new_id()
    assert parse_id(value) is value
    assert parse_id(str(value)) == value
    with pytest.raises(ValueError):
        parse_id("not-a-uuid")


# -- money -------------------------------------------------------------------


def test_money_holds_a_decimal_amount() -> None:
    money = Money(Decimal("12.50"), "USD")
    assert money.amount == Decimal("12.50")
    assert str(money) == "12.50 USD"


@pytest.mark.parametrize("amount", [1.5, 0.1, 10.0])
def test_money_rejects_float_amounts(amount: float) -> None:
    with pytest.raises(TypeError):
        Money(amount, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [1.5, 10.0])
def test_money_of_rejects_floats_too(amount: float) -> None:
    # Decimal(1.5) is exact, so a float would slip through `of` unless it is refused there.
    with pytest.raises(TypeError):
        Money.of(amount, "USD")  # type: ignore[arg-type]


def test_money_rejects_int_and_str_in_the_constructor() -> None:
    with pytest.raises(TypeError):
        Money(5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money("5", "USD")  # type: ignore[arg-type]


def test_money_of_parses_text_and_integers() -> None:
    assert Money.of("19.99", "EUR") == Money(Decimal("19.99"), "EUR")
    assert Money.of(7, "GBP") == Money(Decimal("7"), "GBP")
    with pytest.raises(ValueError, match="not an amount"):
        Money.of("twelve", "USD")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_money_rejects_non_finite_amounts(amount: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        Money(Decimal(amount), "USD")


def test_money_rejects_unknown_currencies() -> None:
    with pytest.raises(ValueError, match="unsupported currency"):
        Money.of("1", "XYZ")
    with pytest.raises(ValueError, match="unsupported currency"):
        Money.of("1", "usd")


def test_money_respects_currency_minor_units() -> None:
    assert Money.of("1500", "JPY").amount == Decimal("1500")
    with pytest.raises(ValueError, match="JPY has 0 minor digits"):
        Money.of("1500.5", "JPY")
    assert Money.of("10.25", "USD").amount == Decimal("10.25")
    with pytest.raises(ValueError, match="USD has 2 minor digits"):
        Money.of("10.255", "USD")


def test_money_adds_and_subtracts_within_one_currency() -> None:
    total = Money.of("10.10", "USD") + Money.of("0.20", "USD")
    assert total == Money(Decimal("10.30"), "USD")
    assert total.currency == "USD"
    assert Money.of("5", "JPY") - Money.of("7", "JPY") == Money(Decimal("-2"), "JPY")
    assert -Money.of("3.50", "EUR") == Money(Decimal("-3.50"), "EUR")


def test_money_refuses_to_mix_currencies() -> None:
    with pytest.raises(ValueError, match="cannot combine USD with EUR"):
        Money.of("1", "USD") + Money.of("1", "EUR")
    with pytest.raises(ValueError, match="cannot combine JPY with USD"):
        Money.of("1", "JPY") - Money.of("1", "USD")


# -- message bus -------------------------------------------------------------


@dataclass(frozen=True)
class Ping(Command):
    text: str


@dataclass(frozen=True)
class Unhandled(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class Happened(Event):
    NAME = "thing.happened"
    AGGREGATE = "thing"

    thing_id: uuid.UUID

    @property
    def aggregate_id(self) -> uuid.UUID:
        return self.thing_id


def _happened() -> Happened:
    return Happened(
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC), aggregate_version=1, thing_id=new_id()
    )


async def test_bus_returns_the_command_handlers_result() -> None:
    async def pong(cmd: Ping) -> str:
        return f"pong:{cmd.text}"

    bus = MessageBus({Ping: pong})
    assert await bus.execute(Ping("hi")) == "pong:hi"


async def test_bus_allows_one_handler_per_command() -> None:
    async def first(cmd: Ping) -> str:
        return "first"

    async def second(cmd: Ping) -> str:
        return "second"

    bus = MessageBus({Ping: first})
    with pytest.raises(ValueError, match="Ping already has a handler"):
        bus.register_command(Ping, second)
    assert await bus.execute(Ping("x")) == "first"


async def test_unknown_command_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match="Unhandled"):
        await MessageBus().execute(Unhandled())


async def test_events_fan_out_to_every_subscriber_in_order() -> None:
    seen: list[tuple[str, uuid.UUID]] = []

    def recorder(name: str):  # type: ignore[no-untyped-def]
        async def handle(event: Happened) -> None:
            seen.append((name, event.thing_id))

        return handle

    bus = MessageBus(event_handlers={Happened: [recorder("a"), recorder("b")]})
    bus.subscribe(Happened, recorder("c"))
    event = _happened()
    await bus.publish(event)
    assert seen == [("a", event.thing_id), ("b", event.thing_id), ("c", event.thing_id)]


async def test_publishing_an_event_nobody_subscribed_to_is_a_no_op() -> None:
    await MessageBus().publish(_happened())


async def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    seen: list[str] = []
    boom_a, boom_b = RuntimeError("a failed"), KeyError("c failed")

    async def fail_a(event: Happened) -> None:
        raise boom_a

    async def ok_b(event: Happened) -> None:
        seen.append("b")

    async def fail_c(event: Happened) -> None:
        raise boom_b

    async def ok_d(event: Happened) -> None:
        seen.append("d")

    bus = MessageBus(event_handlers={Happened: [fail_a, ok_b, fail_c, ok_d]})
    with pytest.raises(ExceptionGroup) as caught:
        await bus.publish(_happened())
    assert seen == ["b", "d"]
    assert list(caught.value.exceptions) == [boom_a, boom_b]
    assert "thing.happened" in str(caught.value)


# -- pagination --------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 50, MAX_LIMIT])
def test_page_request_accepts_limits_in_range(limit: int) -> None:
    assert PageRequest(limit=limit, offset=0).limit == limit


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_page_request_rejects_limits_out_of_range(limit: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        PageRequest(limit=limit)
    assert caught.value.code == "invalid-input"


def test_page_request_rejects_negative_offsets() -> None:
    assert PageRequest(offset=10_000).offset == 10_000
    with pytest.raises(InvalidInput, match="offset"):
        PageRequest(offset=-1)


# -- clock -------------------------------------------------------------------


def test_fixed_clock_moves_only_when_told() -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock = FixedClock(start)
    assert clock.now() == start
    assert clock.now() == start
    clock.advance(timedelta(minutes=5))
    assert clock.now() == start + timedelta(minutes=5)


def test_fixed_clock_rejects_a_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1, 9, 0))


def test_ensure_aware_rejects_naive_and_normalises_to_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ensure_aware(datetime(2026, 1, 1))
    tokyo = datetime(2026, 1, 1, 18, 0, tzinfo=timezone(timedelta(hours=9)))
    normalised = ensure_aware(tokyo)
    assert normalised == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert normalised.utcoffset() == timedelta(0)


# -- events ------------------------------------------------------------------


def test_event_type_names_follow_the_cloudevents_convention() -> None:
    assert UserCreated.type_name() == "petpro.user.created.v1"
    assert UserUpdated.type_name() == "petpro.user.updated.v1"
    assert PetCreated.type_name() == "petpro.pet.created.v2"
    assert PetDeleted.type_name() == "petpro.pet.deleted.v1"
    assert len({e.type_name() for e in AUTH_EVENTS}) == len(AUTH_EVENTS)


def test_events_reject_naive_timestamps_and_versions_below_one() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Happened(occurred_at=datetime(2026, 1, 1), aggregate_version=1, thing_id=new_id())
    with pytest.raises(ValueError, match="starts at 1"):
        Happened(
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC), aggregate_version=0, thing_id=new_id()
        )


def test_events_store_occurred_at_in_utc_and_get_a_v7_id() -> None:
    event = Happened(
        occurred_at=datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9))),
        aggregate_version=2,
        thing_id=new_id(),
    )
    assert event.occurred_at == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert event.occurred_at.tzinfo == UTC
    assert event.event_id.version == 7
    assert event.aggregate_id == event.thing_id
