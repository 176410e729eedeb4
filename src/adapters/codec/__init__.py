"""Codecs at the edge: events to and from JSON-able payloads (pydantic stays out of the core)."""
