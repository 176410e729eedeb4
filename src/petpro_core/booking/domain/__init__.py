"""The booking context's domain: its read models of other contexts' data, and (later) bookings."""
