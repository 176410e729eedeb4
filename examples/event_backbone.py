"""The event backbone on in-memory adapters: auth's pet events reach booking's pet cache
exactly once, even when the bus duplicates and reorders them and the relay crashes after
publishing.

Run it:  .venv/bin/python examples/event_backbone.py
"""

from __future__ import annotations

import asyncio

from adapters.memory.event_bus import InMemoryEventBus
from adapters.messaging.faults import FaultPoints
from petpro_core.auth.commands import CreatePet, RegisterUser, UpdatePet
from petpro_core.auth.domain.roles import Principal
from petpro_core.booking.commands import GetCachedPet
from petpro_core.shared.tracing import MessageContext, message_context
from runtimes.containers import build_container
from runtimes.settings import Settings


async def main() -> None:
    # memory:// picks the in-memory adapters; the event bus below replaces the in-process
    # one `petpro serve` would run, so faults can be injected and draining is explicit.
    container = build_container(
        Settings(database_url="memory://", data_dir=".petpro-example", argon2_memory_kib=1024)
    )
    app = container.bus()
    auth_store = container.auth.memory_store()
    booking_store = container.booking.memory_store()

    faults = FaultPoints()
    faults.arm("relay.after_publish")  # the first relay round dies before marking its batch
    bus = InMemoryEventBus(
        {"auth": auth_store},
        [container.booking.subscription()],
        duplicate_deliveries=True,
        reorder_seed=7,
        faults=faults,
    )

    with message_context(MessageContext.start("example-request")):
        ann = await app.execute(
            RegisterUser(
                email="ann@example.com", display_name="Ann", password="correct horse battery staple"
            )
        )
        owner = Principal(user_id=ann.id, roles=ann.roles)
        rex = await app.execute(CreatePet(actor=owner, name="Rex", species="dog"))
        for name in ("Rex II", "Rex III", "Rex IV"):
            await app.execute(UpdatePet(actor=owner, pet_id=rex.id, name=name))
    print(f"auth committed {len(auth_store.outbox)} events to its outbox")

    report = await bus.drain()
    print(f"relay crashes: {report.crashes}; rows relayed: {report.relayed}")
    print(f"messages settled by booking (duplicates included): {report.settled}")

    cached = await app.execute(GetCachedPet(pet_id=rex.id))
    print(f"booking's cache: {cached.name!r} at version {cached.version}")
    print(f"booking's inbox: {len(booking_store.state.inbox)} events, each handled once")


if __name__ == "__main__":
    asyncio.run(main())
