"""The schema registry: a JSON Schema per event version, committed under `schemas/events/`.

The committed files are the published contract. `check_schemas` compares them with the code
under the evolution rules: within a version only additive changes are allowed (a new optional
property, a changed title or description); removing, retyping or newly requiring a property
needs a new version with an upcaster. `unmet_expectations` checks each consumer's stated
fields (`petpro_core.<context>.expectations`) against the publisher's schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from adapters.codec.cloudevents import dataschema_for
from adapters.codec.events import encode_payload
from petpro_core.auth.expectations import EXPECTED_FIELDS as AUTH_EXPECTS
from petpro_core.booking.expectations import EXPECTED_FIELDS as BOOKING_EXPECTS
from petpro_core.clinic.expectations import EXPECTED_FIELDS as CLINIC_EXPECTS
from petpro_core.contracts.catalog import CATALOG, UnknownEventType, entry
from petpro_core.contracts.examples import EXAMPLES
from petpro_core.finance.expectations import EXPECTED_FIELDS as FINANCE_EXPECTS
from petpro_core.inventory.expectations import EXPECTED_FIELDS as INVENTORY_EXPECTS
from petpro_core.notification.expectations import EXPECTED_FIELDS as NOTIFICATION_EXPECTS
from petpro_core.shared.events import Event
from petpro_core.vendor.expectations import EXPECTED_FIELDS as VENDOR_EXPECTS

Schema = dict[str, Any]
Expectations = Mapping[str, Mapping[str, frozenset[str]]]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
EVENTS_FOLDER = "events"
NOT_COMMITTED_HINT = "not committed: run petpro events schema"

# Consumer context → event name → the payload fields it reads.
CONSUMER_EXPECTATIONS: Expectations = {
    "auth": AUTH_EXPECTS,
    "booking": BOOKING_EXPECTS,
    "clinic": CLINIC_EXPECTS,
    "inventory": INVENTORY_EXPECTS,
    "vendor": VENDOR_EXPECTS,
    "notification": NOTIFICATION_EXPECTS,
    "finance": FINANCE_EXPECTS,
}

# Keywords that document a schema without constraining it: changing them is compatible.
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)
# Keywords whose value maps names to schemas (as opposed to being a schema, or plain data).
_SCHEMA_MAPS = frozenset({"properties", "$defs", "patternProperties", "dependentSchemas"})
# Keywords whose value is data, compared as it is (an enum member may well be called "title").
_PLAIN_DATA = frozenset({"required", "enum", "const"})


# -- generation ----------------------------------------------------------------------------


def event_schema(event_class: type[Event]) -> Schema:
    """The JSON Schema of one event version's payload (the CloudEvent's `data`)."""
    type_name = event_class.type_name()
    generated = TypeAdapter(event_class).json_schema()
    schema = {"$schema": JSON_SCHEMA_DIALECT, "$id": dataschema_for(type_name), **generated}
    schema["title"] = type_name
    if event_class in EXAMPLES:
        schema["examples"] = [encode_payload(EXAMPLES[event_class])]
    try:
        catalogued = entry(event_class.NAME)
    except UnknownEventType:
        return schema  # not (yet) in the catalog: the class docstring, if any, describes it
    about = [
        f"{catalogued.purpose} Published by {catalogued.publisher}.",
        generated.get("description"),
    ]
    schema["description"] = "\n\n".join(text for text in about if text)
    return schema


def all_event_schemas() -> dict[str, Schema]:
    """Every version of every catalogued event, by type name (`petpro.pet.created.v1`)."""
    return {
        version.type_name(): event_schema(version)
        for catalogued in CATALOG
        for version in catalogued.versions
    }


def render(schema: Schema) -> str:
    """The committed text: stable across runs, so an unchanged schema leaves no diff."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_path(directory: Path, type_name: str) -> Path:
    return directory / EVENTS_FOLDER / f"{type_name}.json"


def write_schemas(directory: Path) -> list[Path]:
    """Write every event schema under `directory/events/`; returns the files, sorted."""
    (directory / EVENTS_FOLDER).mkdir(parents=True, exist_ok=True)
    written = []
    for type_name, schema in sorted(all_event_schemas().items()):
        path = schema_path(directory, type_name)
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def committed_schemas(directory: Path) -> dict[str, Schema]:
    """The committed schemas by type name; ValueError names a file that is not a JSON object."""
    found: dict[str, Schema] = {}
    for path in sorted((directory / EVENTS_FOLDER).glob("*.json")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON: {exc}") from None
        if not isinstance(schema, dict):
            raise ValueError(f"{path}: a schema is a JSON object")
        found[path.name.removesuffix(".json")] = schema
    return found


# -- evolution rules -----------------------------------------------------------------------


def _canonical(node: Any, root: Schema, trail: frozenset[str] = frozenset()) -> Any:
    """`node` with local `$ref`s inlined and annotations dropped, for comparing constraints."""
    if isinstance(node, list):
        return [_canonical(item, root, trail) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/") and reference not in trail:
        target: Any = root
        for part in reference[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        result.update(_canonical(target, root, trail | {reference}))
    for key, value in node.items():
        if key in _ANNOTATIONS or (key == "$ref" and result):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            result[key] = {name: _canonical(sub, root, trail) for name, sub in value.items()}
        elif key in _PLAIN_DATA:
            result[key] = value
        else:
            result[key] = _canonical(value, root, trail)
    result.pop("$defs", None)  # inlined where used; unused definitions constrain nothing
    return result


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and "properties" in schema


def _brief(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def _object_changes(old: Schema, new: Schema, where: str) -> list[str]:
    """Breaking differences between two object schemas (already canonical)."""
    problems = []
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, old_property in old_properties.items():
        if name not in new_properties:
            problems.append(f"property {where + name!r} was removed")
        else:
            problems += _property_changes(old_property, new_properties[name], f"{where}{name}")
    newly_required = set(new.get("required", ())) - set(old.get("required", ()))
    for name in sorted(newly_required):
        if name in old_properties:
            problems.append(f"optional property {where + name!r} became required")
        else:
            problems.append(f"new required property {where + name!r}")
    return problems


def _property_changes(old: Any, new: Any, where: str) -> list[str]:
    if _is_object(old) and _is_object(new):
        # A nested object evolves by the same rules as the payload itself.
        old_rest = {k: v for k, v in old.items() if k not in ("properties", "required")}
        new_rest = {k: v for k, v in new.items() if k not in ("properties", "required")}
        retyped = [] if old_rest == new_rest else [f"property {where!r} was retyped"]
        return retyped + _object_changes(old, new, f"{where}.")
    if old != new:
        return [f"property {where!r} was retyped from {_brief(old)} to {_brief(new)}"]
    return []


def compatibility_problems(committed: Schema, current: Schema) -> list[str]:
    """Why `current` cannot replace `committed` under the same version (empty: it can)."""
    return _object_changes(_canonical(committed, committed), _canonical(current, current), "")


def schema_problems(committed: Mapping[str, Schema], current: Mapping[str, Schema]) -> list[str]:
    """Every committed version still in code and compatible; every version in code committed."""
    problems = []
    for type_name in sorted(committed.keys() | current.keys()):
        if type_name not in current:
            problems.append(f"{type_name}: committed, but the code no longer has this version")
        elif type_name not in committed:
            problems.append(f"{type_name}: {NOT_COMMITTED_HINT}")
        else:
            problems += [
                f"{type_name}: {problem}"
                for problem in compatibility_problems(committed[type_name], current[type_name])
            ]
    return problems


def check_schemas(directory: Path) -> list[str]:
    """The committed schemas under `directory` against the code; empty when compatible."""
    try:
        committed = committed_schemas(directory)
    except ValueError as exc:
        return [str(exc)]
    return schema_problems(committed, all_event_schemas())


def breaking_changes(directory: Path) -> list[str]:
    """Incompatible changes to versions already committed (what regenerating would hide)."""
    try:
        committed = committed_schemas(directory)
    except ValueError:
        return []  # unreadable files are simply rewritten
    current = all_event_schemas()
    return [
        f"{type_name}: {problem}"
        for type_name in sorted(committed.keys() & current.keys())
        for problem in compatibility_problems(committed[type_name], current[type_name])
    ]


# -- consumer-driven contracts -------------------------------------------------------------


def expectation_gaps(expectations: Expectations = CONSUMER_EXPECTATIONS) -> list[str]:
    """Subscriptions in the catalog with no stated expectation, and expectations of events the
    context does not subscribe to."""
    subscribed = {(context, item.name) for item in CATALOG for context in item.subscribers}
    stated = {(context, name) for context, by_event in expectations.items() for name in by_event}
    return [
        f"{context} subscribes to {name} but states no expected fields"
        for context, name in sorted(subscribed - stated)
    ] + [
        f"{context} states expected fields of {name} but does not subscribe to it"
        for context, name in sorted(stated - subscribed)
    ]


def unmet_expectations(
    schemas: Mapping[str, Schema], expectations: Expectations = CONSUMER_EXPECTATIONS
) -> list[str]:
    """Fields a consumer reads that the current version's schema does not require."""
    problems = []
    for context, by_event in sorted(expectations.items()):
        for name, fields in sorted(by_event.items()):
            try:
                type_name = entry(name).current.type_name()
            except UnknownEventType:
                problems.append(f"{context} expects fields of {name}, which is not in the catalog")
                continue
            schema = schemas.get(type_name)
            if schema is None:
                problems.append(f"{context} reads {type_name}, which has no schema")
                continue
            required = set(schema.get("required", ()))
            problems += [
                f"{context} reads {name}.{field}, which {type_name} does not require"
                for field in sorted(fields - required)
            ]
    return problems


def contract_problems(directory: Path) -> list[str]:
    """Everything `petpro events check` reports: schema evolution and consumer contracts."""
    problems = check_schemas(directory)
    try:
        committed = committed_schemas(directory)
    except ValueError:
        committed = {}  # already reported by check_schemas
    # Consumers are held to the committed schema; a version not yet committed (reported
    # above) is judged by the code's schema rather than reported twice.
    published = {**all_event_schemas(), **committed}
    return problems + unmet_expectations(published) + expectation_gaps()
