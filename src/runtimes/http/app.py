"""The Litestar application factory.

``uvicorn --factory runtimes.http.app:create_app`` builds the container from the
environment (``PETPRO_*``). The app never migrates the database: ``petpro serve`` does
that, when configured to, before the server starts.
"""

from __future__ import annotations

import gc
from importlib.metadata import PackageNotFoundError, version

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from runtimes.containers import ApplicationContainer, build_container
from runtimes.http.dependencies import BEARER_SCHEME, container_dependencies
from runtimes.http.docs import OfflineDocsRenderPlugin
from runtimes.http.inprocess_workers import inprocess_workers
from runtimes.http.problems import PROBLEM_BASE_URI, problem_details_plugin
from runtimes.http.request_context import request_context_middleware
from runtimes.http.routes.auth import auth_router
from runtimes.http.routes.bookings import bookings_router, clinic_bookings_router
from runtimes.http.routes.clinics import clinics_router
from runtimes.http.routes.customer_orders import (
    customer_orders_router,
    location_customer_orders_router,
)
from runtimes.http.routes.finance import finance_router
from runtimes.http.routes.health import health_router
from runtimes.http.routes.inventory import (
    categories_router,
    locations_router,
    products_router,
    reservations_router,
)
from runtimes.http.routes.notifications import notifications_router
from runtimes.http.routes.pets import pets_router
from runtimes.http.routes.users import users_router
from runtimes.http.routes.vendors import purchase_orders_router, vendors_router
from runtimes.observability.logging import configure_logging
from runtimes.observability.metrics import metrics_handler, prometheus_config
from runtimes.sweepers import application_sweepers

DOCS_PATH = "/schema"  # also /schema/docs; the schema itself is /schema/openapi.json

_DESCRIPTION = f"""PetPro: pet owners, their pets, and the accounts behind them.

Authenticate with `POST /auth/login` and send `Authorization: Bearer <access_token>`.
Every error is an RFC 9457 `application/problem+json` document whose `type` is
`{PROBLEM_BASE_URI}<code>` (e.g. `email-taken`, `pet-not-found`, `validation-error`).
Decimal values such as `weight_kg` are JSON strings (`"4.125"`); inputs accept a string or a number.
"""


def create_app(container: ApplicationContainer | None = None) -> Litestar:
    container = container or build_container()
    settings = container.settings()

    backbone = container.backbone()

    async def dispose_databases() -> None:
        await backbone.close()
        await container.notification.channels().aclose()
        await container.databases().dispose()

    return Litestar(
        route_handlers=[
            auth_router(settings.rate_limit_per_minute),
            users_router(),
            pets_router(),
            clinics_router(),
            clinic_bookings_router(),
            bookings_router(),
            customer_orders_router(),
            location_customer_orders_router(),
            categories_router(),
            products_router(),
            locations_router(),
            reservations_router(),
            vendors_router(),
            purchase_orders_router(),
            finance_router(),
            notifications_router(),
            health_router(),
            metrics_handler(backbone),
        ],
        dependencies=container_dependencies(container),
        middleware=[request_context_middleware, prometheus_config().middleware],
        lifespan=(
            [inprocess_workers(backbone, application_sweepers(container))]
            if settings.runs_inprocess_workers
            else []
        ),
        plugins=[problem_details_plugin()],
        cors_config=(
            CORSConfig(allow_origins=list(settings.cors_allow_origins))
            if settings.cors_allow_origins
            else None
        ),
        openapi_config=_openapi_config(),
        on_shutdown=[dispose_databases],
        debug=False,
    )


def create_served_app() -> Litestar:
    """The app as `petpro serve` runs it (in every uvicorn worker): structured logs on."""
    container = build_container()
    settings = container.settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(container)
    # The app, its routes, schemas and container live as long as the worker: move them out of
    # the collector's way, or each full collection pauses every request in flight on this
    # worker for ~100 ms (as `petpro worker` does).
    gc.collect()
    gc.freeze()
    return app


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="PetPro",
        version=_package_version(),
        description=_DESCRIPTION,
        path=DOCS_PATH,
        render_plugins=[OfflineDocsRenderPlugin(path=["/", "/docs"])],
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="The access_token from POST /auth/login or /auth/refresh.",
                )
            }
        ),
    )


def _package_version() -> str:
    try:
        return version("petpro")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"
