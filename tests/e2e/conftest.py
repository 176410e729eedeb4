"""Fixtures for the HTTP end-to-end tests: the real app on memory storage, a fixed clock.

`api` is the usual entry point: a TestClient wrapper that registers, logs in and makes
admins. `make_api(**settings)` builds another app with different settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from httpx import Response
from litestar.testing import TestClient

from petpro_core.auth.commands import ChangeRoles
from petpro_core.auth.domain.roles import OPERATOR, Role
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.messagebus import Command
from runtimes.containers import ApplicationContainer, build_container
from runtimes.http.app import create_app
from runtimes.settings import Settings
from tests.support.auth import STRONG_PASSWORD

PROBLEM_PREFIX = "https://petpro.dev/problems/"


def assert_problem(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem with the given status (and `type` code); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].startswith(PROBLEM_PREFIX)
    assert body["status"] == status
    assert body["title"] and "detail" in body
    if code is not None:
        assert body["type"] == PROBLEM_PREFIX + code, body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    client: TestClient[Any]
    container: ApplicationContainer
    clock: FixedClock
    settings: Settings

    def register(
        self, email: str, password: str = STRONG_PASSWORD, *, display_name: str = "Tester"
    ) -> Response:
        return self.client.post(
            "/auth/register",
            json={"email": email, "display_name": display_name, "password": password},
        )

    def login(self, email: str, password: str = STRONG_PASSWORD) -> Response:
        return self.client.post("/auth/login", json={"email": email, "password": password})

    def tokens(self, email: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
        response = self.login(email, password)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def user(self, email: str) -> dict[str, str]:
        """Register (201) and log in: the bearer headers of a new pet owner."""
        assert self.register(email).status_code == 201
        return bearer(self.tokens(email)["access_token"])

    def admin(self, email: str = "admin@example.com") -> dict[str, str]:
        response = self.register(email)
        assert response.status_code == 201
        self.execute(
            ChangeRoles(
                actor=OPERATOR, user_id=UUID(response.json()["id"]), grant=frozenset({Role.ADMIN})
            )
        )
        return bearer(self.tokens(email)["access_token"])

    def execute(self, command: Command) -> Any:
        """Run a command on the app's own bus, in the app's event loop."""
        return self.client.blocking_portal.call(self.container.bus().execute, command)


ApiFactory = Callable[..., Api]


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[ApiFactory]:
    numbers = count()
    with ExitStack() as stack:

        def make(**overrides: Any) -> Api:
            fields: dict[str, Any] = {
                "database_url": "memory://",
                "data_dir": tmp_path / f"app{next(numbers)}",
                "argon2_memory_kib": 1024,
                "argon2_time_cost": 1,
                "rate_limit_per_minute": 0,
            }
            fields.update(overrides)
            settings = Settings(**fields)
            clock = FixedClock()
            container = build_container(settings, clock=clock)
            client = stack.enter_context(TestClient(create_app(container)))
            return Api(client=client, container=container, clock=clock, settings=settings)

        yield make


@pytest.fixture
def api(make_api: ApiFactory) -> Api:
    return make_api()
