"""Clinic context: veterinary clinics, staff, services and schedules.

Built by its own issue; the package exists so the architecture contracts cover it."""
