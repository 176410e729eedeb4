"""Running core work from a command: build the container, prepare the schema, run, clean up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from runtimes.containers import ApplicationContainer, build_container
from runtimes.schema import prepare_schema

T = TypeVar("T")


def run(work: Callable[[ApplicationContainer], Awaitable[T]]) -> T:
    container = build_container()
    prepare_schema(container.settings(), container.databases())

    async def main() -> T:
        try:
            return await work(container)
        finally:
            await container.notification.channels().aclose()
            await container.databases().dispose()

    return asyncio.run(main())
