"""Composition roots: settings, containers, the HTTP app and the workers."""
