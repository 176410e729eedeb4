"""/health: liveness (the process answers) and readiness (its databases answer)."""

from __future__ import annotations

from litestar import Router, get

from petpro_core.shared.errors import ServiceUnavailable
from runtimes.http.dependencies import Container
from runtimes.http.dto import HealthResponse
from runtimes.http.problems import problem_responses


@get("/live", summary="Liveness", responses=problem_responses())
async def live() -> HealthResponse:
    return HealthResponse()


@get("/ready", summary="Readiness: the databases answer", responses=problem_responses(503))
async def ready(container: Container) -> HealthResponse:
    try:
        await container.databases().ping()
    except Exception as exc:
        raise ServiceUnavailable("a database is not reachable") from exc
    return HealthResponse()


def health_router() -> Router:
    return Router("/health", route_handlers=[live, ready], tags=["health"])
