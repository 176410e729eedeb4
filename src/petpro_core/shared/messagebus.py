"""The message bus: a command has exactly one handler, an event any number.

Handlers are async callables taking the message. A command handler's return value is
the command's result; event handlers return nothing. A failing event handler does not
stop the others; the failures are raised together afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from petpro_core.shared.events import Event

Result = TypeVar("Result")
CommandHandler = Callable[[Any], Awaitable[Any]]
EventHandler = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """Base of imperative messages. Subclasses are frozen dataclasses."""


class MessageBus:
    def __init__(
        self,
        command_handlers: Mapping[type[Command], CommandHandler] | None = None,
        event_handlers: Mapping[type[Event], Sequence[EventHandler]] | None = None,
    ) -> None:
        self._commands: dict[type[Command], CommandHandler] = {}
        self._events: dict[type[Event], list[EventHandler]] = {}
        for command_type, handler in (command_handlers or {}).items():
            self.register_command(command_type, handler)
        for event_type, handlers in (event_handlers or {}).items():
            for handler in handlers:
                self.subscribe(event_type, handler)

    def register_command(self, command_type: type[Command], handler: CommandHandler) -> None:
        if command_type in self._commands:
            raise ValueError(f"{command_type.__name__} already has a handler")
        self._commands[command_type] = handler

    def subscribe(self, event_type: type[Event], handler: EventHandler) -> None:
        self._events.setdefault(event_type, []).append(handler)

    async def execute(self, command: Command) -> Any:
        handler = self._commands.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for command {type(command).__name__}")
        return await handler(command)

    async def publish(self, event: Event) -> None:
        failures: list[Exception] = []
        for handler in self._events.get(type(event), ()):
            try:
                await handler(event)
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise ExceptionGroup(f"handlers of {event.NAME} failed", failures)
