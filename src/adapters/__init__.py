"""Implementations of the core's ports, one sub-package per technology."""
