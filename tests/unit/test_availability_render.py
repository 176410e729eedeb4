"""The availability document assembled from slots rendered once is the document the DTO
would serialise, for any part of a kept computation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from petpro_core.booking.availability_memo import ComputedSlots
from petpro_core.booking.domain.availability import Slot
from petpro_core.shared.ids import new_id
from runtimes.http.availability_render import AvailabilityRenderer
from runtimes.http.dto_bookings import AvailabilityView, SlotView

NEW_YORK = ZoneInfo("America/New_York")


def _slots() -> tuple[Slot, ...]:
    vets = (new_id(), new_id())
    # Across the autumn change: the offsets differ within one answer.
    start = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    return tuple(
        Slot(
            vet_id=vets[k % 2],
            starts_at=(start + timedelta(minutes=15 * k)).astimezone(NEW_YORK),
            ends_at=(start + timedelta(minutes=15 * k + 30)).astimezone(NEW_YORK),
        )
        for k in range(20)
    )


def test_each_part_of_a_computation_renders_as_the_dto_would() -> None:
    computed = ComputedSlots(key=("k", 1), slots=_slots())
    clinic_id, service_id = new_id(), new_id()
    renderer = AvailabilityRenderer()
    for lower, upper in [(0, 20), (3, 11), (7, 7), (19, 20)]:
        end = computed.starts[upper] if upper < 20 else computed.starts[-1] + timedelta(1)
        answer = computed.between(computed.starts[lower], end)
        expected = AvailabilityView(
            clinic_id=clinic_id,
            service_id=service_id,
            slots=[
                SlotView(vet_id=s.vet_id, starts_at=s.starts_at, ends_at=s.ends_at)
                for s in computed.slots[lower:upper]
            ],
        )
        assert answer.slots == list(computed.slots[lower:upper])
        document = renderer.document(clinic_id, service_id, answer)
        assert document == expected.model_dump_json().encode()


def test_rendered_slots_are_kept_per_computation_and_bounded() -> None:
    renderer = AvailabilityRenderer(capacity=2)
    slots = _slots()
    clinic_id, service_id = new_id(), new_id()
    for key in range(3):
        computed = ComputedSlots(key=key, slots=slots[key:])
        answer = computed.between(computed.starts[0], computed.starts[-1] + timedelta(1))
        renderer.document(clinic_id, service_id, answer)
    assert list(renderer._fragments) == [1, 2]


def test_whole_documents_are_kept_per_part_and_bounded() -> None:
    renderer = AvailabilityRenderer(documents=2)
    computed = ComputedSlots(key="k", slots=_slots())
    clinic_id, service_id = new_id(), new_id()
    parts = [computed.between(computed.starts[n], computed.starts[n + 5]) for n in range(3)]
    documents = [renderer.document(clinic_id, service_id, part) for part in parts]

    assert len(set(documents)) == 3
    assert renderer.document(clinic_id, service_id, parts[2]) is documents[2]  # kept
    assert len(renderer._documents) == 2
    again = renderer.document(clinic_id, service_id, parts[0])  # dropped: rendered again
    assert again == documents[0] and again is not documents[0]
    assert renderer.document(new_id(), service_id, parts[2]) != documents[2]
