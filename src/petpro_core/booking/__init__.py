"""Booking context: availability, bookings, the booking saga and payments.

- `domain/`: bookings and their events, the refund policy, the saga's state, availability,
  booking's caches of pets (from auth) and clinics (from clinic), errors.
- `commands` / `handlers`: create (hold + saga), get, lists, day sheet, cancel, reschedule,
  availability, the recovery worker's `AdvanceDueSagas`.
- `saga`: the orchestrator (charge, reserve, compensate) with leases, backoff, fault points.
- `subscriptions` / `projections`: the caches, kept from other contexts' events.
"""
