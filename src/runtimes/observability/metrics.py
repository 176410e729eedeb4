"""Prometheus metrics at `/metrics`: Litestar's Prometheus middleware counts HTTP requests;
the event backbone's gauges (outbox backlog per context, pending and lag per consumer group
and stream) are read fresh from the outboxes and the broker on every scrape."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

from runtimes.backbone import EventBackbone

log = logging.getLogger("petpro.metrics")

OUTBOX_PENDING = Gauge(
    "petpro_outbox_pending", "Committed events not yet published, per context.", ["context"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "petpro_outbox_oldest_pending_age_seconds",
    "Age of the oldest unpublished outbox row (0 when none), per context.",
    ["context"],
)
CONSUMER_PENDING = Gauge(
    "petpro_consumer_pending",
    "Messages delivered to a consumer group and not yet acknowledged.",
    ["group", "stream"],
)
CONSUMER_LAG = Gauge(
    "petpro_consumer_lag",
    "Messages in a stream not yet delivered to the consumer group (-1 when unknown).",
    ["group", "stream"],
)


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(app_name="petpro", group_path=True, exclude=["/metrics"])


async def refresh_backbone_metrics(backbone: EventBackbone) -> None:
    now = datetime.now(UTC)
    for status in await backbone.outbox_status():
        OUTBOX_PENDING.labels(status.context).set(status.pending)
        age = (now - status.oldest_pending_at).total_seconds() if status.oldest_pending_at else 0
        OUTBOX_OLDEST_AGE.labels(status.context).set(max(age, 0.0))
    for lag in await backbone.consumer_lag():
        CONSUMER_PENDING.labels(lag.group, lag.stream).set(lag.pending)
        CONSUMER_LAG.labels(lag.group, lag.stream).set(-1 if lag.lag is None else lag.lag)


def metrics_handler(backbone: EventBackbone) -> HTTPRouteHandler:
    """The `/metrics` route handler for this app's backbone."""

    @get("/metrics", include_in_schema=False)
    async def metrics() -> Response[bytes]:
        try:
            await refresh_backbone_metrics(backbone)
        except Exception:  # a scrape still answers with what it has
            log.exception("could not read the event backbone's state for metrics")
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return metrics
