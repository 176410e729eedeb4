"""What the auth context consumes: booking's events, into each user's booking history."""

from __future__ import annotations

from petpro_core.auth.ports import AuthUnitOfWorkFactory
from petpro_core.auth.projections import project_booking
from petpro_core.contracts.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingFailed,
    BookingRescheduled,
)
from petpro_core.shared.subscriptions import Subscription

AUTH_CONSUMER = "auth"


def auth_subscription(unit_of_work: AuthUnitOfWorkFactory) -> Subscription:
    return Subscription(
        consumer=AUTH_CONSUMER,
        unit_of_work=unit_of_work,
        handlers={
            BookingCreated: project_booking,
            BookingConfirmed: project_booking,
            BookingCancelled: project_booking,
            BookingRescheduled: project_booking,
            BookingFailed: project_booking,
        },
    )
