"""Test helpers shared by every tier: fakes, builders and server probes."""
