"""The clinic context's domain: clinics (profile, booking policy, staff), the services they
offer and each clinic's schedule (vets' weekly hours and exceptions)."""
