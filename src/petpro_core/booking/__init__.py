"""Booking context: availability, bookings, the booking saga and payments.

Built by its own issue; the package exists so the architecture contracts cover it."""
