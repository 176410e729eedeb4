"""SQL adapters of the notification context."""
