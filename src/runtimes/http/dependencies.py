"""Litestar dependencies: the container, its message bus, and the authenticated principal.

dependency-injector's ``@inject`` wiring does not reach Litestar handlers, so the
container's providers are wrapped in Litestar's ``Provide``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from petpro_core.auth.commands import Authenticate
from petpro_core.auth.domain.errors import InvalidToken
from petpro_core.auth.domain.roles import Principal
from petpro_core.shared.actors import Actor
from petpro_core.shared.messagebus import MessageBus
from runtimes.containers import ApplicationContainer

BEARER_SCHEME = "bearerAuth"
BEARER_SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
_BEARER = "bearer"

# Handler parameter types. A declarative container is a DynamicContainer at run time, so
# Litestar must not validate it against ApplicationContainer.
Bus = NamedDependency[MessageBus]
Container = NamedDependency[SkipValidation[ApplicationContainer]]
CurrentPrincipal = NamedDependency[Principal]


def container_dependencies(container: ApplicationContainer) -> dict[str, Provide]:
    def provide_container() -> ApplicationContainer:
        return container

    def provide_bus() -> MessageBus:
        return container.bus()

    return {
        "container": Provide(provide_container, sync_to_thread=False, use_cache=True),
        "bus": Provide(provide_bus, sync_to_thread=False, use_cache=True),
    }


async def current_principal(request: Request[Any, Any, Any], bus: Bus) -> Principal:
    """``Authorization: Bearer <access token>`` resolved by the core; 401 otherwise."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != _BEARER or not token.strip():
        raise InvalidToken("a bearer access token is required")
    principal: Principal = await bus.execute(Authenticate(access_token=token.strip()))
    return principal


AUTHENTICATED: dict[str, Provide] = {"principal": Provide(current_principal)}


def actor_of(principal: Principal) -> Actor:
    """The principal as every context but auth sees it: an id and role names."""
    return Actor(user_id=principal.user_id, roles=frozenset(role.value for role in principal.roles))
