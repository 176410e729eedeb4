"""Clinic context: veterinary clinics (profile, booking policy, staff), the services they
offer and their schedules (vets' weekly hours, holidays, closures and leave).

It publishes clinic.*, service.* and schedule.* snapshots; booking builds availability
from them. It asks auth who users are through its StaffDirectory port."""
