"""The notification context's domain: recipients, preferences, templates, deliveries, the
in-app inbox and appointment reminders."""
