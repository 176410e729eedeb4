"""Consumer-driven contracts: every subscriber states the fields it reads, and the publisher's
committed schema guarantees them. A publisher dropping a field a consumer reads fails here."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from adapters.codec.schemas import (
    CONSUMER_EXPECTATIONS,
    committed_schemas,
    expectation_gaps,
    unmet_expectations,
)
from petpro_core.contracts.catalog import CATALOG, CONTEXTS

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def committed() -> dict[str, dict[str, Any]]:
    return committed_schemas(REPOSITORY / "schemas")


def without_field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(schema)
    changed["properties"].pop(name)
    changed["required"].remove(name)
    return changed


def test_every_context_states_its_expectations() -> None:
    assert set(CONSUMER_EXPECTATIONS) == set(CONTEXTS)


def test_every_subscription_has_an_expectation_and_every_expectation_a_subscription() -> None:
    assert expectation_gaps() == []
    subscriptions = {(context, item.name) for item in CATALOG for context in item.subscribers}
    stated = {
        (context, name) for context, by_event in CONSUMER_EXPECTATIONS.items() for name in by_event
    }
    assert stated == subscriptions
    assert all(
        fields for by_event in CONSUMER_EXPECTATIONS.values() for fields in by_event.values()
    )


def test_every_expected_field_is_required_by_the_current_committed_schema(
    committed: dict[str, dict[str, Any]],
) -> None:
    assert unmet_expectations(committed) == []
    for context, by_event in CONSUMER_EXPECTATIONS.items():
        for name, fields in by_event.items():
            current = next(item.current for item in CATALOG if item.name == name)
            required = set(committed[current.type_name()]["required"])
            assert fields <= required, (context, name, fields - required)


def test_the_booking_pet_cache_reads_the_pet_snapshot_fields() -> None:
    assert CONSUMER_EXPECTATIONS["booking"]["pet.updated"] >= {
        "pet_id",
        "owner_id",
        "name",
        "species",
        "breed",
        "aggregate_version",
    }


def test_the_check_fails_when_a_publisher_drops_a_field_a_consumer_reads(
    committed: dict[str, dict[str, Any]],
) -> None:
    schemas = dict(committed)
    schemas["petpro.pet.updated.v2"] = without_field(committed["petpro.pet.updated.v2"], "breed")
    assert unmet_expectations(schemas) == [
        "booking reads pet.updated.breed, which petpro.pet.updated.v2 does not require"
    ]


def test_the_check_fails_when_a_read_field_becomes_optional(
    committed: dict[str, dict[str, Any]],
) -> None:
    schemas = dict(committed)
    loosened = copy.deepcopy(committed["petpro.payment.processed.v1"])
    loosened["required"].remove("amount")
    schemas["petpro.payment.processed.v1"] = loosened
    assert unmet_expectations(schemas) == [
        f"{reader} reads payment.processed.amount, which petpro.payment.processed.v1 does not"
        " require"
        for reader in ("finance", "notification")
    ]


def test_the_check_reports_unknown_events_missing_schemas_and_unsubscribed_reads() -> None:
    expectations = {
        "finance": {"pet.adopted": frozenset({"pet_id"}), "payment.processed": frozenset({"x"})}
    }
    assert unmet_expectations({}, expectations) == [
        "finance reads petpro.payment.processed.v1, which has no schema",
        "finance expects fields of pet.adopted, which is not in the catalog",
    ]
    gaps = expectation_gaps(expectations)
    assert "finance states expected fields of pet.adopted but does not subscribe to it" in gaps
    assert "booking subscribes to pet.created but states no expected fields" in gaps
