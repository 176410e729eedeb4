"""Categories: a tree the product catalogue is filed in.

A category has a name and an optional parent; names are unique among siblings, compared
case-insensitively (`sibling_key`, which the stores keep unique too). A category never ends
up under itself: moving one checks its new parent's ancestors.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from petpro_core.inventory.domain.errors import CategoryCycle
from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.errors import InvalidInput

MAX_CATEGORY_NAME_LENGTH = 100


def category_name(raw: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not 1 <= len(cleaned) <= MAX_CATEGORY_NAME_LENGTH:
        raise InvalidInput(f"name must be 1 to {MAX_CATEGORY_NAME_LENGTH} characters", field="name")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise InvalidInput("name must not contain control characters", field="name")
    return cleaned


@dataclass(frozen=True, kw_only=True)
class Category:
    category_id: UUID
    name: str
    parent_id: UUID | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", category_name(self.name))
        object.__setattr__(self, "created_at", ensure_aware(self.created_at))
        object.__setattr__(self, "updated_at", ensure_aware(self.updated_at))
        if self.parent_id == self.category_id:
            raise CategoryCycle("a category cannot be its own parent")
        if self.version < 1:
            raise ValueError("a category's version starts at 1")

    @property
    def sibling_key(self) -> str:
        """Unique among all categories: the parent and the case-folded name."""
        return f"{self.parent_id or 'root'}/{self.name.casefold()}"

    def changed(self, *, name: str, parent_id: UUID | None, now: datetime) -> Category:
        return replace(
            self, name=name, parent_id=parent_id, updated_at=now, version=self.version + 1
        )


def check_no_cycle(
    category_id: UUID, new_parent_id: UUID | None, parents: Mapping[UUID, UUID | None]
) -> None:
    """CategoryCycle when `new_parent_id` is the category or one of its descendants.
    `parents` maps every category id to its parent id."""
    seen: set[UUID] = set()
    current = new_parent_id
    while current is not None and current not in seen:
        if current == category_id:
            raise CategoryCycle("a category cannot be moved under itself or its descendants")
        seen.add(current)
        current = parents.get(current)


def descendants(root: UUID, categories: Iterable[Category]) -> frozenset[UUID]:
    """The category and every category below it."""
    children: dict[UUID | None, list[UUID]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category.category_id)
    found: set[UUID] = set()
    pending = [root]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.add(current)
        pending.extend(children.get(current, ()))
    return frozenset(found)
