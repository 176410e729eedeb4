"""What the booking context consumes: auth's pet events into the pet cache; the clinic
context's clinic, service and schedule events into the clinic cache."""

from __future__ import annotations

from petpro_core.booking.ports import BookingUnitOfWorkFactory
from petpro_core.booking.projections import (
    project_clinic,
    project_pet_deletion,
    project_pet_snapshot,
    project_schedule,
    project_service,
)
from petpro_core.contracts.auth import PetCreated, PetDeleted, PetUpdated
from petpro_core.contracts.clinic import (
    ClinicCreated,
    ClinicUpdated,
    ScheduleUpdated,
    ServiceCreated,
    ServiceUpdated,
)
from petpro_core.shared.subscriptions import Subscription

BOOKING_CONSUMER = "booking"


def booking_subscription(unit_of_work: BookingUnitOfWorkFactory) -> Subscription:
    return Subscription(
        consumer=BOOKING_CONSUMER,
        unit_of_work=unit_of_work,
        handlers={
            PetCreated: project_pet_snapshot,
            PetUpdated: project_pet_snapshot,
            PetDeleted: project_pet_deletion,
            ClinicCreated: project_clinic,
            ClinicUpdated: project_clinic,
            ServiceCreated: project_service,
            ServiceUpdated: project_service,
            ScheduleUpdated: project_schedule,
        },
    )
