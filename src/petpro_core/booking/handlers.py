"""Application services of the booking context: one handler per command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from petpro_core.booking.commands import GetCachedPet
from petpro_core.booking.domain.errors import CachedPetNotFound
from petpro_core.booking.domain.pet_cache import CachedPet
from petpro_core.booking.ports import BookingUnitOfWorkFactory
from petpro_core.shared.messagebus import MessageBus


@dataclass(frozen=True, kw_only=True)
class BookingDependencies:
    uow: BookingUnitOfWorkFactory


class BookingHandlers:
    def __init__(self, deps: BookingDependencies) -> None:
        self._deps = deps

    def register(self, bus: MessageBus) -> None:
        handlers: dict[type[Any], Any] = {GetCachedPet: self.get_cached_pet}
        for command_type, handler in handlers.items():
            bus.register_command(command_type, handler)

    async def get_cached_pet(self, cmd: GetCachedPet) -> CachedPet:
        async with self._deps.uow() as uow:
            pet = await uow.pet_cache.get(cmd.pet_id)
        if pet is None or (pet.deleted and not cmd.include_deleted):
            raise CachedPetNotFound("booking knows no such pet")
        return pet
