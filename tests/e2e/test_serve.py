"""`petpro serve` as a newcomer runs it: a real process on the embedded default, restarted."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx

from tests.e2e.cli_support import FAST_ENV, STRONG_PASSWORD

PETPRO = Path(sys.executable).parent / "petpro"
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(workdir: Path, port: int) -> Iterator[httpx.Client]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PETPRO_")}
    env.update(FAST_ENV)
    process = subprocess.Popen(
        [str(PETPRO), "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"petpro serve exited early:\n{process.stdout.read()}")  # type: ignore[union-attr]
            try:
                if client.get("/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("petpro serve did not become ready")
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_with_no_configuration_keeps_users_and_pets_across_a_restart(tmp_path: Path) -> None:
    port = free_port()
    with running_server(tmp_path, port) as api:
        registered = api.post(
            "/auth/register",
            json={"email": "ann@example.com", "display_name": "Ann", "password": STRONG_PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        tokens = api.post(
            "/auth/login", json={"email": "ann@example.com", "password": STRONG_PASSWORD}
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        pet = api.post("/pets", headers=headers, json={"name": "Rex", "species": "dog"})
        assert pet.status_code == 201, pet.text
        # The in-process relay and consumer carry pet.created to booking's own file.
        data_dir = tmp_path / "petpro-data"
        _wait_for(lambda: _cached_pet_names(data_dir) == ["Rex"])
        assert _unpublished(data_dir) == 0

    # The embedded default: ./petpro-data in the working directory, one file per context.
    assert (tmp_path / "petpro-data" / "auth.db").is_file()
    assert (tmp_path / "petpro-data" / "jwt-ed25519.pem").is_file()

    with running_server(tmp_path, port) as api:
        # The signing key persisted, so a token from before the restart still works...
        before = api.get("/pets", headers=headers)
        assert before.status_code == 200, before.text
        # ...and the data did too.
        login = api.post(
            "/auth/login", json={"email": "ann@example.com", "password": STRONG_PASSWORD}
        )
        assert login.status_code == 200, login.text
        pets = api.get(
            "/pets", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
        ).json()
        assert pets["total"] == 1
        assert pets["items"][0]["id"] == pet.json()["id"]
        assert pets["items"][0]["name"] == "Rex"


def _cached_pet_names(data_dir: Path) -> list[str]:
    with closing(sqlite3.connect(data_dir / "booking.db")) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM pet_cache")]


def _unpublished(data_dir: Path) -> int:
    with closing(sqlite3.connect(data_dir / "auth.db")) as connection:
        query = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        (count,) = connection.execute(query).fetchone()
        return int(count)


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
