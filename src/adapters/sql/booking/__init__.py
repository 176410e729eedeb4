"""SQL adapters of the booking context: tables (schema `booking`), repositories, unit of work."""
