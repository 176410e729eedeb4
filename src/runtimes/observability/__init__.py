"""Logs, metrics and request context."""
