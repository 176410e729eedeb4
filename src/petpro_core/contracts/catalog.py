"""The event catalog: every published event, who publishes it, who subscribes, and why.

One entry per event name; its versions run oldest to newest. Consumers always receive the
newest version: an older message is upcast on read, one version step at a time, by the
entry's upcasters (pure functions over the JSON payload).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from petpro_core.contracts.auth import PetCreated, PetDeleted, PetUpdated, UserCreated, UserUpdated
from petpro_core.shared.events import Event

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


class UnknownEventType(LookupError):
    """A message's type is not in the catalog (or its version is newer than this code)."""


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    publisher: str
    subscribers: tuple[str, ...]
    purpose: str
    versions: tuple[type[Event], ...]
    # upcasters[k] turns a version-k payload into a version-(k+1) payload.
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if [v.VERSION for v in self.versions] != list(range(1, len(self.versions) + 1)):
            raise ValueError(f"{self.name}: versions must be 1..n in order")
        if any(self.name != v.NAME for v in self.versions):
            raise ValueError(f"{self.name}: every version must carry the entry's name")
        missing = set(range(1, len(self.versions))) - set(self.upcasters)
        if missing:
            raise ValueError(f"{self.name}: no upcaster from version(s) {sorted(missing)}")

    @property
    def current(self) -> type[Event]:
        return self.versions[-1]

    def upcast(self, version: int, payload: Payload) -> Payload:
        """A payload of `version` as a payload of the current version."""
        for step in range(version, self.current.VERSION):
            payload = self.upcasters[step](payload)
        return payload


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "user.created", "auth", (), "Initialise user data in other services", (UserCreated,)
    ),
    CatalogEntry("user.updated", "auth", (), "Synchronise user details", (UserUpdated,)),
    CatalogEntry(
        "pet.created",
        "auth",
        ("booking",),
        "Make the pet available for appointments",
        (PetCreated,),
    ),
    CatalogEntry("pet.updated", "auth", ("booking",), "Keep pet details current", (PetUpdated,)),
    CatalogEntry("pet.deleted", "auth", ("booking",), "Stop booking a removed pet", (PetDeleted,)),
)

_BY_NAME = {entry.name: entry for entry in CATALOG}


def entry(name: str) -> CatalogEntry:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownEventType(f"no event named {name!r} in the catalog") from None


def parse_type(event_type: str) -> tuple[str, int]:
    """`petpro.pet.created.v2` → (`pet.created`, 2)."""
    prefix, _, rest = event_type.partition(".")
    name, _, version = rest.rpartition(".v")
    if prefix != "petpro" or not name or not version.isdigit():
        raise UnknownEventType(f"{event_type!r} is not a petpro event type")
    return name, int(version)


def resolve(event_type: str, payload: Payload) -> tuple[type[Event], Payload]:
    """The current event class for a message of `event_type` and its payload upcast to it."""
    name, version = parse_type(event_type)
    found = entry(name)
    if version > found.current.VERSION:
        raise UnknownEventType(
            f"{event_type} is newer than this code knows (v{found.current.VERSION})"
        )
    return found.current, found.upcast(version, payload)


def published_by(context: str) -> tuple[CatalogEntry, ...]:
    return tuple(e for e in CATALOG if e.publisher == context)


def subscribed_by(context: str) -> tuple[CatalogEntry, ...]:
    return tuple(e for e in CATALOG if context in e.subscribers)
