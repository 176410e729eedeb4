"""A service a clinic offers: duration, buffers, price, species and the vets who perform
it. Every change makes a new version; service.created / service.updated carry it whole."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from petpro_core.contracts.clinic import ServiceCreated, ServiceUpdated
from petpro_core.shared.money import Money


@dataclass(frozen=True, kw_only=True)
class Service:
    service_id: UUID
    clinic_id: UUID
    name: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: Money
    species: tuple[str, ...]  # empty: any species
    vet_ids: tuple[UUID, ...]
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @classmethod
    def offer(cls, *, now: datetime, **fields: Any) -> tuple[Service, ServiceCreated]:
        service = cls(created_at=now, updated_at=now, active=True, **fields)
        return service, ServiceCreated(occurred_at=now, **service._snapshot())

    def change(self, now: datetime, **changes: Any) -> tuple[Service, ServiceUpdated | None]:
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self, None
        changed = replace(self, **changes, updated_at=now, version=self.version + 1)
        return changed, ServiceUpdated(occurred_at=now, **changed._snapshot())

    def without_vet(self, vet_id: UUID, now: datetime) -> tuple[Service, ServiceUpdated | None]:
        return self.change(now, vet_ids=tuple(v for v in self.vet_ids if v != vet_id))

    def _snapshot(self) -> dict[str, Any]:
        return {
            "aggregate_version": self.version,
            "service_id": self.service_id,
            "clinic_id": self.clinic_id,
            "name": self.name,
            "duration_minutes": self.duration_minutes,
            "buffer_before_minutes": self.buffer_before_minutes,
            "buffer_after_minutes": self.buffer_after_minutes,
            "price": self.price,
            "species": self.species,
            "vet_ids": self.vet_ids,
            "active": self.active,
        }
