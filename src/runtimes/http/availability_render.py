"""Availability answers as JSON, each slot rendered once per kept computation.

A month of slots is thousands of objects; rendering them is most of a search's cost once the
core keeps its computations (`petpro_core.booking.availability_memo`). A computation's slots
are rendered once, and each answer joins the fragments of its part of the window. The
document is byte for byte what `AvailabilityView` serialises to (a test holds it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from uuid import UUID

from pydantic import TypeAdapter

from petpro_core.booking.availability_memo import AvailableSlots, ComputedSlots
from runtimes.http.dto_bookings import SlotView

_SLOT = TypeAdapter(SlotView)


class AvailabilityRenderer:
    """Keeps the rendered slots of the `capacity` most recently used computations, and the
    `documents` most recently sent answers whole (a month is about 340 KiB; asked again
    until a booking or the clock moves it, it is sent as it is)."""

    def __init__(self, capacity: int = 128, documents: int = 16) -> None:
        self._capacity = capacity
        self._fragments: OrderedDict[Hashable, tuple[bytes, ...]] = OrderedDict()
        self._documents: OrderedDict[Hashable, bytes] = OrderedDict()
        self._documents_kept = documents

    def document(self, clinic_id: UUID, service_id: UUID, answer: AvailableSlots) -> bytes:
        key = (clinic_id, service_id, answer.computed.key, answer.first, answer.last)
        found = self._documents.get(key)
        if found is not None:
            self._documents.move_to_end(key)
            return found
        fragments = self._rendered(answer.computed)[answer.first : answer.last]
        head = f'{{"clinic_id":"{clinic_id}","service_id":"{service_id}","slots":['.encode()
        document = head + b",".join(fragments) + b"]}"
        self._documents[key] = document
        while len(self._documents) > self._documents_kept:
            self._documents.popitem(last=False)
        return document

    def _rendered(self, computed: ComputedSlots) -> tuple[bytes, ...]:
        found = self._fragments.get(computed.key)
        if found is None:
            found = tuple(
                _SLOT.dump_json(
                    SlotView.model_construct(
                        vet_id=slot.vet_id, starts_at=slot.starts_at, ends_at=slot.ends_at
                    )
                )
                for slot in computed.slots
            )
            self._fragments[computed.key] = found
            while len(self._fragments) > self._capacity:
                self._fragments.popitem(last=False)
        else:
            self._fragments.move_to_end(computed.key)
        return found
