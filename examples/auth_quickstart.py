"""Use PetPro's auth context as a library, on in-memory adapters: no server, no files.

Run it:  .venv/bin/python examples/auth_quickstart.py
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from petpro_core.auth.commands import Authenticate, CreatePet, Login, RegisterUser, UpdatePet
from petpro_core.shared.errors import PetProError
from runtimes.containers import build_container
from runtimes.settings import Settings


async def main() -> None:
    # memory:// picks the in-memory adapters; everything else is the production wiring.
    container = build_container(Settings(database_url="memory://", data_dir=".petpro-example"))
    bus = container.bus()

    ann = await bus.execute(
        RegisterUser(
            email="Ann@Example.com", display_name="Ann", password="correct horse battery staple"
        )
    )
    print(f"registered {ann.email} as {sorted(r.value for r in ann.roles)}")

    try:
        await bus.execute(
            RegisterUser(email="bob@example.com", display_name="Bob", password="password1234")
        )
    except PetProError as error:
        print(f"rejected: {error.detail} ({error.code})")

    tokens = await bus.execute(
        Login(
            email="ann@example.com",
            password="correct horse battery staple",
            client_address="127.0.0.1",
        )
    )
    print(f"logged in: {tokens.token_type} token valid for {tokens.expires_in} s")

    ann_acting = await bus.execute(Authenticate(access_token=tokens.access_token))
    rex = await bus.execute(
        CreatePet(
            actor=ann_acting, name="Rex", species="dog", sex="male", weight_kg=Decimal("12.5")
        )
    )
    rex = await bus.execute(UpdatePet(actor=ann_acting, pet_id=rex.id, weight_kg=Decimal("13.1")))
    print(f"{rex.name} the {rex.species.value} weighs {rex.weight_kg} kg (version {rex.version})")

    print("events waiting in the auth outbox:")
    for event in container.auth.memory_store().outbox:
        print(f"  {event.type_name():28} aggregate {event.aggregate_id} v{event.aggregate_version}")


if __name__ == "__main__":
    asyncio.run(main())
