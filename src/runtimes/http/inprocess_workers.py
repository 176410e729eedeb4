"""All-in-one mode: the relays and consumers run inside the HTTP server's process, started
with the app and stopped (in-flight batches finished) when it shuts down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from runtimes.backbone import EventBackbone

log = logging.getLogger("petpro.backbone")
SHUTDOWN_GRACE_SECONDS = 10.0


def inprocess_workers(
    backbone: EventBackbone,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(backbone.run(stop), name="petpro-event-backbone")
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, SHUTDOWN_GRACE_SECONDS)
            except TimeoutError:
                log.error("event backbone did not stop in time; cancelled")
            except Exception:
                log.exception("event backbone failed")

    return lifespan
