"""/notifications: the signed-in user's in-app inbox and notification preferences, and the
delivery log (admins only).

Every route needs a bearer token and acts on the token's user: nobody reads or marks
another user's messages. Messages are written by the notification context when the events
behind them arrive (a booking confirmed, a refund, low stock at your clinic, …).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Router, get, post, put
from litestar.params import Body, QueryParameter
from litestar.status_codes import HTTP_200_OK

from petpro_core.notification.commands import (
    CountUnread,
    GetPreferences,
    ListDeliveries,
    ListNotifications,
    MarkRead,
    UpdatePreferences,
)
from runtimes.http.dependencies import (
    AUTHENTICATED,
    BEARER_SECURITY,
    Bus,
    CurrentPrincipal,
    actor_of,
)
from runtimes.http.dto_notifications import (
    DeliveryPage,
    DeliveryResponse,
    MarkReadRequest,
    MarkReadResponse,
    NotificationPage,
    NotificationResponse,
    PreferencesResponse,
    PreferencesUpdate,
    UnreadCount,
)
from runtimes.http.problems import problem_responses
from runtimes.http.routes import Limit, Offset, page_request

# -- the inbox --------------------------------------------------------------------------------


@get(
    "/",
    summary="My notifications",
    description="Your in-app messages, newest first.",
    responses=problem_responses(401),
)
async def list_notifications(
    principal: CurrentPrincipal,
    bus: Bus,
    unread_only: Annotated[bool, QueryParameter(description="Only unread messages.")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> NotificationPage:
    page = await bus.execute(
        ListNotifications(
            actor=actor_of(principal),
            unread_only=unread_only,
            page=page_request(limit, offset),
        )
    )
    return NotificationPage(
        items=[NotificationResponse.of(m) for m in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@get(
    "/unread-count",
    summary="How many of my notifications are unread",
    responses=problem_responses(401),
)
async def unread_count(principal: CurrentPrincipal, bus: Bus) -> UnreadCount:
    return UnreadCount(unread=await bus.execute(CountUnread(actor=actor_of(principal))))


@post(
    "/read",
    status_code=HTTP_200_OK,
    summary="Mark notifications read",
    description='`{"ids": [...]}` marks those of yours; `{"all": true}` marks every one.',
    responses=problem_responses(401),
)
async def mark_read(
    data: Annotated[MarkReadRequest, Body(title="Which messages")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> MarkReadResponse:
    changed = await bus.execute(
        MarkRead(actor=actor_of(principal), message_ids=None if data.all else data.ids)
    )
    return MarkReadResponse(changed=changed)


# -- preferences ------------------------------------------------------------------------------


@get(
    "/preferences",
    summary="My notification preferences",
    description="Channels per category (in-app and e-mail by default), quiet hours, and the "
    "SMS number and push token you registered.",
    responses=problem_responses(401),
)
async def get_preferences(principal: CurrentPrincipal, bus: Bus) -> PreferencesResponse:
    return PreferencesResponse.of(await bus.execute(GetPreferences(actor=actor_of(principal))))


@put(
    "/preferences",
    summary="Change my notification preferences",
    description="Members absent stay unchanged; `channels` replaces the categories it names. "
    "SMS and push need `sms_number` / `push_token` first. Quiet hours hold back reminders and "
    "other non-transactional messages (never a booking confirmation).",
    responses=problem_responses(401, 409),
)
async def update_preferences(
    data: Annotated[PreferencesUpdate, Body(title="Preference changes")],
    principal: CurrentPrincipal,
    bus: Bus,
) -> PreferencesResponse:
    preferences = await bus.execute(
        UpdatePreferences(
            actor=actor_of(principal),
            expected_version=data.expected_version,
            **data.changes(),
        )
    )
    return PreferencesResponse.of(preferences)


# -- the delivery log -------------------------------------------------------------------------


@get(
    "/deliveries",
    summary="The delivery log (admin)",
    description="Every message on every channel with its status, attempts and last error, "
    "newest first.",
    responses=problem_responses(401, 403),
)
async def list_deliveries(
    principal: CurrentPrincipal,
    bus: Bus,
    status: Annotated[
        str | None, QueryParameter(description="pending, sending, sent or failed.")
    ] = None,
    channel: Annotated[
        str | None, QueryParameter(description="in_app, email, sms or push.")
    ] = None,
    recipient_id: Annotated[UUID | None, QueryParameter(description="Only to this user.")] = None,
    kind: Annotated[
        str | None, QueryParameter(max_length=64, description="E.g. booking.confirmed.")
    ] = None,
    source_id: Annotated[
        UUID | None, QueryParameter(description="Only caused by this event (or reminder).")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    page = await bus.execute(
        ListDeliveries(
            actor=actor_of(principal),
            status=status,
            channel=channel,
            recipient_id=recipient_id,
            kind=kind,
            source_id=source_id,
            page=page_request(limit, offset),
        )
    )
    return DeliveryPage(
        items=[DeliveryResponse.of(d) for d in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


def notifications_router() -> Router:
    return Router(
        "/notifications",
        route_handlers=[
            list_notifications,
            unread_count,
            mark_read,
            get_preferences,
            update_preferences,
            list_deliveries,
        ],
        dependencies=AUTHENTICATED,
        security=BEARER_SECURITY,
        tags=["notifications"],
    )
