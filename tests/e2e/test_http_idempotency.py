"""`Idempotency-Key` over HTTP: a tiny Litestar app with one POST route guarded by
`runtimes.http.idempotency.idempotent` on the in-memory store, and a handler that counts
how often it really ran."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

import pytest
from httpx import ASGITransport, AsyncClient
from httpx import Response as HttpxResponse
from litestar import Litestar, MediaType, Request, Response, post
from litestar.params import Body, HeaderParameter
from pydantic import BaseModel

from adapters.memory.idempotency import InMemoryIdempotencyStore
from petpro_core.shared.clock import FixedClock
from petpro_core.shared.errors import Conflict, ServiceUnavailable
from runtimes.http.idempotency import (
    IDEMPOTENCY_PROBLEM_STATUSES,
    IdempotencyKeyHeader,
    booking_id_for,
    derived_id,
    idempotent,
    request_fingerprint,
    request_idempotency_key,
)
from runtimes.http.problems import problem_details_plugin, problem_responses
from tests.e2e.conftest import assert_problem

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"
KEEP = timedelta(hours=24)


class SoldOut(Conflict):
    code = "sold-out"
    title = "Sold out"


class OrderIn(BaseModel):
    item: str
    quantity: int = 1


class OrderOut(BaseModel):
    id: str
    item: str
    quantity: int
    run: int


@dataclass
class Lab:
    client: AsyncClient
    store: InMemoryIdempotencyStore
    clock: FixedClock
    runs: Counter[str] = field(default_factory=Counter)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release_slow: asyncio.Event = field(default_factory=asyncio.Event)

    async def order(
        self, body: Any = None, *, key: str | None = KEY, user: str = "ada", **headers: str
    ) -> HttpxResponse:
        sent = {"X-User": user, **headers}
        if key is not None:
            sent["Idempotency-Key"] = key
        return await self.client.post(
            "/orders", json=body if body is not None else {"item": "kibble"}, headers=sent
        )


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    store = InMemoryIdempotencyStore()
    clock = FixedClock()
    runs: Counter[str] = Counter()
    started, release_slow = asyncio.Event(), asyncio.Event()

    @post(
        "/orders",
        status_code=201,
        responses=problem_responses(*IDEMPOTENCY_PROBLEM_STATUSES, 503),
    )
    async def create_order(
        request: Request[Any, Any, Any],
        data: Annotated[OrderIn, Body()],
        user: Annotated[str, HeaderParameter(name="X-User")],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        scope = f"user:{user}:POST /orders"

        async def run() -> Response[Any]:
            runs[data.item] += 1
            if data.item == "slow":
                started.set()
                await release_slow.wait()
            if data.item == "sold-out":
                raise SoldOut("nothing left", item=data.item)
            if data.item == "unavailable":
                raise ServiceUnavailable("the warehouse is not answering")
            if data.item == "boom":
                raise RuntimeError("a bug")
            if data.item == "note":
                return Response("noted", media_type=MediaType.TEXT, status_code=202)
            order_id = str(booking_id_for(scope, request_idempotency_key(request)))
            return Response(
                OrderOut(id=order_id, item=data.item, quantity=data.quantity, run=runs[data.item]),
                headers={"Location": f"/orders/{order_id}", "X-Not-Replayed": "1"},
            )

        return await idempotent(
            request, store=store, scope=scope, run=run, keep_for=KEEP, clock=clock
        )

    app = Litestar([create_order], plugins=[problem_details_plugin()], debug=False)
    # httpx's own ASGI transport runs requests concurrently on the test's event loop
    # (Litestar's AsyncTestClient handles one at a time).
    transport = ASGITransport(app=app)  # type: ignore[arg-type]  # Litestar's narrower scope types
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Lab(client, store, clock, runs, started, release_slow)


async def test_a_retry_replays_the_first_answer_and_runs_nothing(lab: Lab) -> None:
    first = await lab.order({"item": "kibble", "quantity": 2})
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert first.headers["x-not-replayed"] == "1"
    body = first.json()
    assert body["item"] == "kibble" and body["quantity"] == 2 and body["run"] == 1

    for _ in range(2):
        again = await lab.order({"item": "kibble", "quantity": 2})
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.content == first.content
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["location"] == first.headers["location"] == f"/orders/{body['id']}"
        assert "x-not-replayed" not in again.headers
    assert lab.runs["kibble"] == 1


async def test_any_media_type_replays_as_it_was(lab: Lab) -> None:
    first = await lab.order({"item": "note"})
    again = await lab.order({"item": "note"})
    assert first.status_code == again.status_code == 202
    assert first.headers["content-type"] == "text/plain; charset=utf-8"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.text == first.text == "noted"
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_key_order_and_whitespace_do_not_make_another_request(lab: Lab) -> None:
    first = await lab.order({"item": "kibble", "quantity": 2})
    reordered = await lab.client.post(
        "/orders",
        content=b'{\n  "quantity" : 2,\n\t"item":"kibble"   }\n',
        headers={"X-User": "ada", "Idempotency-Key": KEY, "Content-Type": "application/json"},
    )
    assert reordered.status_code == 201
    assert reordered.headers["Idempotent-Replayed"] == "true"
    assert reordered.content == first.content
    assert lab.runs["kibble"] == 1


async def test_a_quoted_key_is_the_same_key(lab: Lab) -> None:
    first = await lab.order(key=KEY)
    quoted = await lab.order(key=f'"{KEY}"')
    assert quoted.headers["Idempotent-Replayed"] == "true"
    assert quoted.content == first.content


async def test_the_same_key_with_another_body_is_422(lab: Lab) -> None:
    await lab.order({"item": "kibble", "quantity": 2})
    other = await lab.order({"item": "kibble", "quantity": 3})
    body = assert_problem(other, 422, "idempotency-key-reused")
    assert "another request" in body["detail"]
    assert lab.runs["kibble"] == 1


async def test_keys_belong_to_their_scope(lab: Lab) -> None:
    ada = await lab.order({"item": "kibble"}, user="ada")
    bob = await lab.order({"item": "kibble", "quantity": 5}, user="bob")
    assert ada.status_code == bob.status_code == 201
    assert "Idempotent-Replayed" not in bob.headers
    assert ada.json()["id"] != bob.json()["id"]
    assert lab.runs["kibble"] == 2


async def test_a_request_still_running_is_409_with_retry_after(lab: Lab) -> None:
    first = asyncio.create_task(lab.order({"item": "slow"}))
    await asyncio.wait_for(lab.started.wait(), 5)

    concurrent = await lab.order({"item": "slow"})
    assert_problem(concurrent, 409, "idempotency-key-in-flight")
    assert concurrent.headers["Retry-After"] == "30"  # the lock, on a clock that stands still
    lab.clock.advance(timedelta(seconds=20))
    still = await lab.order({"item": "slow"})
    assert still.headers["Retry-After"] == "10"

    lab.release_slow.set()
    answered = await asyncio.wait_for(first, 5)
    assert answered.status_code == 201
    replay = await lab.order({"item": "slow"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == answered.content
    assert lab.runs["slow"] == 1


async def test_a_missing_or_malformed_key_is_400_and_runs_nothing(lab: Lab) -> None:
    missing = await lab.order(key=None)
    body = assert_problem(missing, 400, "idempotency-key-missing")
    assert "Idempotency-Key" in body["detail"]

    for bad in ["has space", "x" * 256, '"unterminated\\"', "del\x7f"]:
        response = await lab.order(key=bad)
        assert_problem(response, 400, "idempotency-key-invalid")

    two = await lab.client.post(
        "/orders",
        json={"item": "kibble"},
        headers=[("X-User", "ada"), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
    )
    assert_problem(two, 400, "idempotency-key-missing")
    assert lab.runs["kibble"] == 0
    assert len(lab.store) == 0


async def test_a_domain_error_is_the_answer_and_is_replayed(lab: Lab) -> None:
    first = await lab.order({"item": "sold-out"})
    body = assert_problem(first, 409, "sold-out")
    assert body["item"] == "sold-out"  # the translator's extra members

    again = await lab.order({"item": "sold-out"})
    assert_problem(again, 409, "sold-out")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert lab.runs["sold-out"] == 1


async def test_a_5xx_answer_is_not_remembered(lab: Lab) -> None:
    for attempt in (1, 2):
        response = await lab.order({"item": "unavailable"})
        assert_problem(response, 503, "service-unavailable")
        assert "Idempotent-Replayed" not in response.headers
        assert lab.runs["unavailable"] == attempt
    assert len(lab.store) == 0


async def test_an_unexpected_error_is_500_and_frees_the_key(lab: Lab) -> None:
    failed = await lab.order({"item": "boom"})
    body = assert_problem(failed, 500, "internal-error")
    assert "a bug" not in body["detail"]

    # Nothing was answered, so the key is free, even for a corrected request.
    retried = await lab.order({"item": "kibble"})
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert lab.runs == Counter({"boom": 1, "kibble": 1})


async def test_an_expired_answer_is_forgotten(lab: Lab) -> None:
    await lab.order({"item": "kibble"})
    lab.clock.advance(KEEP)
    again = await lab.order({"item": "kibble", "quantity": 7})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert lab.runs["kibble"] == 2


async def test_the_header_and_problems_are_documented(lab: Lab) -> None:
    schema = (await lab.client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/orders"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and "Required" in header["description"]
    assert {"400", "409", "422"} <= set(operation["responses"])


def test_derived_ids_depend_on_scope_and_key_only() -> None:
    scope = "user:ada:POST /bookings"
    assert booking_id_for(scope, KEY) == booking_id_for(scope, KEY) == derived_id(scope, KEY)
    assert booking_id_for(scope, KEY) != booking_id_for(scope, KEY + "x")
    assert booking_id_for(scope, KEY) != booking_id_for("user:bob:POST /bookings", KEY)
    assert booking_id_for(scope, KEY).version == 5


def test_fingerprints() -> None:
    fp = request_fingerprint("POST", "/orders", "", b'{"a": 1, "b": [1, 2]}')
    assert len(fp) == 64
    assert fp == request_fingerprint("post", "/orders", "", b'{"b":[1,2],"a":1}')
    assert fp != request_fingerprint("POST", "/orders", "", b'{"a": 1, "b": [2, 1]}')
    assert fp != request_fingerprint("POST", "/orders", "", b'{"a": "1", "b": [1, 2]}')
    assert fp != request_fingerprint("POST", "/other", "", b'{"a": 1, "b": [1, 2]}')
    assert fp != request_fingerprint("PATCH", "/orders", "", b'{"a": 1, "b": [1, 2]}')
    assert fp != request_fingerprint("POST", "/orders", "x=1", b'{"a": 1, "b": [1, 2]}')
    with_query = request_fingerprint("POST", "/orders", "x=1&y=2", b"")
    assert with_query == request_fingerprint("POST", "/orders", "y=2&x=1", b"")
    # Not JSON: byte for byte.
    assert request_fingerprint("POST", "/p", "", b"a b") != request_fingerprint(
        "POST", "/p", "", b"a  b"
    )
    assert request_fingerprint("POST", "/p", "", b"\xff") == request_fingerprint(
        "POST", "/p", "", b"\xff"
    )
