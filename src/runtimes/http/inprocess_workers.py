"""All-in-one mode: the relays, consumers and periodic jobs (saga recovery, reservation
expiry) run inside the HTTP server's process, started with the app and stopped (in-flight
batches finished) when it shuts down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from runtimes.backbone import EventBackbone
from runtimes.sweepers import Sweeper, run_sweepers

log = logging.getLogger("petpro.backbone")
SHUTDOWN_GRACE_SECONDS = 10.0


def inprocess_workers(
    backbone: EventBackbone, sweepers: Sequence[Sweeper] = ()
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()

        async def run_all() -> None:
            await asyncio.gather(backbone.run(stop), run_sweepers(sweepers, stop))

        task = asyncio.create_task(run_all(), name="petpro-event-backbone")
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
