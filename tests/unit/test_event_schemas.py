"""The schema registry: generation, files, each evolution rule, and decoding old versions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from adapters.codec.cloudevents import decode_cloudevent, encode_cloudevent
from adapters.codec.events import decode_payload, encode_payload
from adapters.codec.schemas import (
    NOT_COMMITTED_HINT,
    all_event_schemas,
    breaking_changes,
    check_schemas,
    committed_schemas,
    compatibility_problems,
    event_schema,
    render,
    schema_path,
    schema_problems,
    write_schemas,
)
from petpro_core.contracts.auth import PetCreated, PetCreatedV1, PetUpdated, PetUpdatedV1
from petpro_core.contracts.booking import PaymentProcessed
from petpro_core.contracts.catalog import CATALOG
from petpro_core.contracts.clinic import ClinicCreated
from petpro_core.contracts.examples import EXAMPLES
from petpro_core.shared.money import Money

REPOSITORY = Path(__file__).resolve().parents[2]
PET_V1 = "petpro.pet.created.v1"


def pet_v1() -> dict[str, Any]:
    return event_schema(PetCreatedV1)


def without_property(schema: dict[str, Any], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(schema)
    del changed["properties"][name]
    changed["required"] = [field for field in changed["required"] if field != name]
    return changed


# -- payloads and Money ------------------------------------------------------------------


def test_money_round_trips_as_an_exact_decimal_string_and_its_currency() -> None:
    payment = EXAMPLES[PaymentProcessed]
    payload = encode_payload(payment)
    assert payload["amount"] == {"amount": "6600", "currency": "JPY"}
    decoded = decode_payload(PaymentProcessed, json.loads(json.dumps(payload)))
    assert decoded == payment
    assert decoded.amount == Money.of("6600", "JPY")
    assert str(decoded.amount.amount) == "6600"


def test_money_decoding_keeps_trailing_zeros_and_refuses_an_unknown_currency() -> None:
    payload = encode_payload(EXAMPLES[PaymentProcessed])
    cents = decode_payload(
        PaymentProcessed, {**payload, "amount": {"amount": "12.50", "currency": "EUR"}}
    )
    assert str(cents.amount.amount) == "12.50"
    with pytest.raises(ValueError, match="unsupported currency"):
        decode_payload(PaymentProcessed, {**payload, "amount": {"amount": "1", "currency": "XXX"}})


def test_money_has_a_json_schema_of_amount_and_currency() -> None:
    schema = event_schema(PaymentProcessed)
    assert schema["properties"]["amount"] == {"$ref": "#/$defs/Money"}
    money = schema["$defs"]["Money"]
    assert set(money["required"]) == {"amount", "currency"}
    assert money["properties"]["currency"]["type"] == "string"
    assert {"type": "string"} in money["properties"]["amount"]["anyOf"]


@pytest.mark.parametrize("event_class", list(EXAMPLES), ids=lambda cls: cls.type_name())
def test_every_example_round_trips_through_the_codec(event_class: type) -> None:
    example = EXAMPLES[event_class]
    wire = json.loads(json.dumps(encode_payload(example)))
    assert decode_payload(event_class, wire) == example


# -- decoding old versions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "current"), [(PetCreatedV1, PetCreated), (PetUpdatedV1, PetUpdated)]
)
def test_a_v1_pet_cloudevent_decodes_into_the_v2_event_with_grams(old: type, current: type) -> None:
    v1 = EXAMPLES[old]
    body = encode_cloudevent(
        event_id=v1.event_id,
        event_type=v1.type_name(),
        context="auth",
        occurred_at=v1.occurred_at,
        aggregate_type=v1.AGGREGATE,
        aggregate_id=v1.aggregate_id,
        aggregate_version=v1.aggregate_version,
        payload_json=json.dumps(encode_payload(v1)),
        headers=None,
    )
    received = decode_cloudevent(body)
    assert received.event_type == v1.type_name()
    event = received.event
    assert type(event) is current and event.VERSION == 2
    assert event.weight_grams == int(v1.weight_kg * 1000)  # 3.875 kg → 3875, 4.1 kg → 4100
    kept = {"pet_id", "owner_id", "name", "species", "breed", "sex", "date_of_birth", "microchip"}
    assert {name: getattr(event, name) for name in kept} == {
        name: getattr(v1, name) for name in kept
    }


# -- generation --------------------------------------------------------------------------


def test_a_schema_is_identified_by_its_dataschema_uri_and_titled_by_its_type() -> None:
    schema = event_schema(PetCreated)
    assert schema["$id"] == "https://petpro.dev/schemas/events/petpro.pet.created.v2.json"
    assert schema["title"] == "petpro.pet.created.v2"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["description"].startswith("Make the pet available for appointments.")
    assert "weight_grams" in schema["required"] and "weight_kg" not in schema["properties"]
    assert schema["examples"] == [encode_payload(EXAMPLES[PetCreated])]
    assert "weight_kg" in event_schema(PetCreatedV1)["required"]


def test_schemas_cover_every_version_and_are_deterministic() -> None:
    schemas = all_event_schemas()
    versions = {version.type_name() for item in CATALOG for version in item.versions}
    assert set(schemas) == versions
    assert render(schemas[PET_V1]) == render(all_event_schemas()[PET_V1])


def test_write_schemas_writes_pretty_sorted_json_with_a_trailing_newline(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert len(written) == len(all_event_schemas())
    assert schema_path(tmp_path, PET_V1) == tmp_path / "events" / f"{PET_V1}.json"
    text = schema_path(tmp_path, PET_V1).read_text()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    before = {path: path.read_bytes() for path in written}
    write_schemas(tmp_path)
    assert {path: path.read_bytes() for path in written} == before


def test_the_committed_registry_is_compatible_with_the_code() -> None:
    assert check_schemas(REPOSITORY / "schemas") == []


# -- evolution rules ---------------------------------------------------------------------


def test_an_unchanged_schema_is_compatible() -> None:
    assert compatibility_problems(pet_v1(), pet_v1()) == []


def test_removing_a_property_breaks_the_version() -> None:
    assert compatibility_problems(pet_v1(), without_property(pet_v1(), "breed")) == [
        "property 'breed' was removed"
    ]


def test_retyping_a_property_breaks_the_version() -> None:
    new = pet_v1()
    new["properties"]["name"] = {"type": "integer", "title": "Name"}
    (problem,) = compatibility_problems(pet_v1(), new)
    assert problem.startswith("property 'name' was retyped from {")
    assert '"type":"string"' in problem and '"type":"integer"' in problem


def test_retyping_through_a_shared_definition_breaks_every_property_using_it() -> None:
    old = event_schema(PaymentProcessed)
    new = copy.deepcopy(old)
    new["$defs"]["Money"]["properties"]["amount"] = {"type": "number"}
    assert compatibility_problems(old, new) == [
        "property 'amount.amount' was retyped"
        ' from {"anyOf":[{"type":"number"},{"type":"string"}]} to {"type":"number"}'
    ]


def test_a_nested_object_evolves_by_the_same_rules() -> None:
    old = event_schema(ClinicCreated)
    dropped = copy.deepcopy(old)
    del dropped["$defs"]["PostalAddress"]["properties"]["region"]
    assert compatibility_problems(old, dropped) == ["property 'address.region' was removed"]
    grown = copy.deepcopy(old)
    grown["$defs"]["PostalAddress"]["properties"]["floor"] = {"type": "string"}
    assert compatibility_problems(old, grown) == []


def test_a_new_required_property_breaks_the_version() -> None:
    new = pet_v1()
    new["properties"]["colour"] = {"type": "string"}
    new["required"].append("colour")
    assert compatibility_problems(pet_v1(), new) == ["new required property 'colour'"]


def test_making_an_optional_property_required_breaks_the_version() -> None:
    new = pet_v1()
    new["required"].append("event_id")
    assert compatibility_problems(pet_v1(), new) == ["optional property 'event_id' became required"]


def test_additive_and_documentation_changes_are_compatible() -> None:
    new = pet_v1()
    new["properties"]["colour"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    new["description"] = "Reworded."
    new["title"] = "Something else"
    new["properties"]["name"]["title"] = "The pet's name"
    new["properties"]["name"]["description"] = "As the owner spells it."
    new["examples"] = []
    assert compatibility_problems(pet_v1(), new) == []


def test_moving_a_definition_under_another_name_is_compatible() -> None:
    old = event_schema(PaymentProcessed)
    new = copy.deepcopy(old)
    new["$defs"] = {"Amount": new["$defs"].pop("Money")}
    new["properties"]["amount"] = {"$ref": "#/$defs/Amount"}
    assert compatibility_problems(old, new) == []


def test_a_property_named_like_a_keyword_is_compared_as_a_property() -> None:
    old = {"properties": {"title": {"type": "string"}}, "required": ["title"]}
    new = {"properties": {"title": {"type": "integer"}}, "required": ["title"]}
    assert len(compatibility_problems(old, new)) == 1


def test_schema_problems_report_stale_and_uncommitted_versions() -> None:
    current = {PET_V1: without_property(pet_v1(), "breed"), "petpro.pet.created.v2": {}}
    committed = {PET_V1: pet_v1(), "petpro.pet.adopted.v1": {}}
    assert schema_problems(committed, current) == [
        "petpro.pet.adopted.v1: committed, but the code no longer has this version",
        f"{PET_V1}: property 'breed' was removed",
        f"petpro.pet.created.v2: {NOT_COMMITTED_HINT}",
    ]


def test_check_schemas_reads_the_files_it_compares(tmp_path: Path) -> None:
    assert len(check_schemas(tmp_path)) == len(all_event_schemas())  # nothing committed yet
    write_schemas(tmp_path)
    assert check_schemas(tmp_path) == []

    path = schema_path(tmp_path, PET_V1)
    committed = json.loads(path.read_text())
    committed["properties"]["nickname"] = {"type": "string"}  # the code has since lost it
    path.write_text(render(committed))
    schema_path(tmp_path, "petpro.pet.created.v9").write_text("{}\n")
    schema_path(tmp_path, "petpro.pet.deleted.v1").unlink()
    assert check_schemas(tmp_path) == [
        f"{PET_V1}: property 'nickname' was removed",
        "petpro.pet.created.v9: committed, but the code no longer has this version",
        f"petpro.pet.deleted.v1: {NOT_COMMITTED_HINT}",
    ]
    assert breaking_changes(tmp_path) == [f"{PET_V1}: property 'nickname' was removed"]


def test_a_committed_file_that_is_not_a_schema_is_a_problem(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    schema_path(tmp_path, PET_V1).write_text("{not json")
    (problem,) = check_schemas(tmp_path)
    assert f"{PET_V1}.json: not JSON" in problem
    schema_path(tmp_path, PET_V1).write_text("[]")
    with pytest.raises(ValueError, match="a schema is a JSON object"):
        committed_schemas(tmp_path)
