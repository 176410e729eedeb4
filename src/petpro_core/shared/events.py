"""Events: immutable facts, named `<aggregate>.<what happened>` and versioned.

Integration events (the published language) live in `petpro_core.contracts`; they
subclass `Event`. The unit of work writes every recorded event to its context's outbox in
the same transaction as the change that raised it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from petpro_core.shared.clock import ensure_aware
from petpro_core.shared.ids import new_id


@dataclass(frozen=True, kw_only=True)
class Event:
    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1
    AGGREGATE: ClassVar[str]

    occurred_at: datetime
    aggregate_version: int
    event_id: UUID = field(default_factory=new_id)

    def __post_init__(self) -> None:
        object.__setattr__(self, "occurred_at", ensure_aware(self.occurred_at))
        if self.aggregate_version < 1:
            raise ValueError("aggregate_version starts at 1")

    @property
    def aggregate_id(self) -> UUID:
        raise NotImplementedError

    @classmethod
    def type_name(cls) -> str:
        """The CloudEvents `type`: `petpro.<name>.v<version>`."""
        return f"petpro.{cls.NAME}.v{cls.VERSION}"
