"""The event backbone on real infrastructure: auth commits on PostgreSQL, the relay
publishes to Redis Streams, booking's consumer projects into its own schema. What we put on
the stream is a CloudEvent the official SDK reads."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from redis.asyncio import Redis
from sqlalchemy import func, select

from adapters.sql.booking import tables as booking_tables
from adapters.sql.database import SqlDatabase
from petpro_core.auth.commands import CreatePet, UpdatePet
from petpro_core.auth.domain.pets import Pet
from petpro_core.booking.commands import GetCachedPet
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.shared.tracing import MessageContext, message_context
from runtimes.backbone import EventBackbone
from runtimes.containers import ApplicationContainer, build_container
from runtimes.settings import Settings
from tests.support.brokers import delete_keys
from tests.support.servers import configured_redis_url, require_redis
from tests.unit.builders import principal, register

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
async def app(clean_postgres_url: str, tmp_path: Path) -> AsyncIterator[ApplicationContainer]:
    redis_url = require_redis(configured_redis_url())
    prefix = f"petpro-test-{secrets.token_hex(6)}"
    settings = Settings(
        database_url=clean_postgres_url,
        redis_url=redis_url,
        stream_prefix=prefix,
        data_dir=tmp_path,
        argon2_memory_kib=1024,
        argon2_time_cost=1,
    )
    container = build_container(settings)
    admin = Redis.from_url(redis_url)
    try:
        yield container
    finally:
        await container.backbone().close()
        await container.databases().dispose()
        await delete_keys(admin, prefix)
        await admin.aclose()


async def _until(check: Any, seconds: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await check()
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.02)


async def test_pet_events_flow_from_auth_to_booking_through_redis(
    app: ApplicationContainer,
) -> None:
    backbone: EventBackbone = app.backbone()
    bus = app.bus()
    stop = asyncio.Event()
    running = asyncio.create_task(backbone.run(stop))
    try:
        owner = principal(await register(bus, "ann@example.com"))
        with message_context(MessageContext.start("req-1")):
            pet: Pet = await bus.execute(CreatePet(actor=owner, name="Pochi", species="cat"))
        for number in range(3):
            await bus.execute(UpdatePet(actor=owner, pet_id=pet.id, name=f"Pochi {number}"))

        async def projected() -> CachedPet:
            cached: CachedPet = await bus.execute(GetCachedPet(pet_id=pet.id))
            assert cached.version == 4
            return cached

        cached = await _until(projected)
        assert (cached.name, cached.species) == ("Pochi 2", "cat")
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)

    database: SqlDatabase = app.databases().for_context("booking")
    async with database.engine.connect() as connection:
        inbox_rows = await connection.scalar(select(func.count()).select_from(booking_tables.inbox))
    assert inbox_rows == 4  # pet.created + three pet.updated, each handled once
    [status] = [s for s in await backbone.outbox_status() if s.context == "auth"]
    assert status.pending == 0
    lags = await backbone.consumer_lag()
    assert all(lag.pending == 0 and lag.lag == 0 for lag in lags)


async def test_what_goes_on_the_stream_is_a_cloudevent(app: ApplicationContainer) -> None:
    backbone: EventBackbone = app.backbone()
    bus = app.bus()
    owner = principal(await register(bus, "ann@example.com"))
    with message_context(MessageContext.start("req-2", "00-" + "a" * 32 + "-" + "b" * 16 + "-01")):
        pet: Pet = await bus.execute(CreatePet(actor=owner, name="Pochi", species="dog"))
    await backbone.relay("auth").relay_all()

    client = Redis.from_url(app.settings().redis_url or "")
    try:
        [(_, fields)] = await client.xrange(f"{app.settings().stream_prefix}:events:pet.created")
    finally:
        await client.aclose()

    # The SDK validates the required and optional attributes and the extension names.
    event = JSONFormat().read(CloudEvent, fields[b"body"])
    assert event.get_specversion() == "1.0"
    assert event.get_type() == "petpro.pet.created.v2"
    assert event.get_source() == "/petpro/auth"
    assert event.get_subject() == str(pet.id)
    assert (event.get_dataschema() or "").endswith("/petpro.pet.created.v2.json")
    assert event.get_datacontenttype() == "application/json"
    assert event.get_time() is not None and event.get_time().tzinfo is not None
    assert event.get_extension("correlationid") == "req-2"
    assert event.get_extension("traceparent").split("-")[1] == "a" * 32
    assert event.get_extension("aggregateid") == str(pet.id)
    assert event.get_extension("aggregatetype") == "pet"
    assert event.get_extension("aggregateversion") == 1
    data = event.get_data()
    assert isinstance(data, dict) and data["name"] == "Pochi"
    assert event.get_id() == data["event_id"]
    assert fields[b"type"] == b"petpro.pet.created.v2"
