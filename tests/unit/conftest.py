"""Fixtures of the unit tier: the auth core on in-memory adapters, driven through the bus."""

from __future__ import annotations

import pytest

from adapters.memory.unit_of_work import InMemoryStore
from tests.support.auth import AuthHarness, memory_harness


@pytest.fixture
def harness_and_store() -> tuple[AuthHarness, InMemoryStore]:  # type: ignore[type-arg]
    return memory_harness()


@pytest.fixture
def harness(harness_and_store: tuple[AuthHarness, InMemoryStore]) -> AuthHarness:  # type: ignore[type-arg]
    return harness_and_store[0]


@pytest.fixture
def store(harness_and_store: tuple[AuthHarness, InMemoryStore]) -> InMemoryStore:  # type: ignore[type-arg]
    return harness_and_store[1]
