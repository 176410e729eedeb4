"""Shared kernel: identifiers, clock, money, errors, events, message bus, unit of work."""
