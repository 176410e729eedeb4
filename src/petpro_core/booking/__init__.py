"""Booking context: availability, bookings, the booking saga and payments.

So far: the pet cache, booking's projection of auth's pet events (`subscriptions`)."""
