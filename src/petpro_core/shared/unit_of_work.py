"""The unit-of-work port: one transaction over one context's repositories.

Handlers `record` the events their change raised; `commit` writes the change and the
events to the context's outbox atomically; leaving the block without `commit` (or on an
exception) rolls both back. Handlers never publish to the broker themselves.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from petpro_core.shared.events import Event


class UnitOfWork(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def record(self, *events: Event) -> None:
        """Queue events for the outbox; they are written only if the transaction commits."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
