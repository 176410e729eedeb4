"""`petpro worker` (and other `petpro` commands) as real processes, for the fault suites.

A `WorkerPool` starts workers with one environment (database, Redis, stream prefix, fast
timings), each logging JSON lines to its own file; `stop_all` (SIGTERM, then SIGKILL) or
`kill_all` ends whatever still runs. `PETPRO_FAULTS` arms a fault point in one worker: the
process SIGKILLs itself there, like a power cut.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

PETPRO = Path(sys.executable).parent / "petpro"

# Small batches and short waits, so crashes, retries and takeovers happen within seconds.
FAST_WORKER_ENV = {
    "PETPRO_LOG_FORMAT": "json",
    "PETPRO_LOG_LEVEL": "INFO",
    "PETPRO_RELAY_BATCH_SIZE": "10",
    "PETPRO_RELAY_CONCURRENT_CLAIMS": "1",  # exact batch counts at the fault points
    "PETPRO_RELAY_IDLE_SECONDS": "0.5",
    "PETPRO_CONSUMER_BATCH_SIZE": "10",
    "PETPRO_CONSUMER_CLAIM_IDLE_SECONDS": "1",
    "PETPRO_CONSUMER_RETRY_BASE_SECONDS": "0.05",
    "PETPRO_CONSUMER_RETRY_MAX_SECONDS": "0.5",
    "PETPRO_CONSUMER_MAX_DELIVERIES": "3",
}
STOP_SECONDS = 10.0


def worker_environment(
    *, database_url: str, redis_url: str, stream_prefix: str, data_dir: Path, **overrides: str
) -> dict[str, str]:
    """This process's environment without any PETPRO_* of its own, plus the worker's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PETPRO_")}
    env.update(FAST_WORKER_ENV)
    env.update(
        {
            "PETPRO_DATABASE_URL": database_url,
            "PETPRO_REDIS_URL": redis_url,
            "PETPRO_STREAM_PREFIX": stream_prefix,
            "PETPRO_DATA_DIR": str(data_dir),
            "COLUMNS": "250",  # rich tables of `petpro dlq list` etc. without wrapped cells
        }
    )
    env.update(overrides)
    return env


@dataclass
class WorkerProcess:
    """One `petpro worker` process; its stdout and stderr go to `log_path`."""

    name: str
    args: tuple[str, ...]
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def running(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines (anything else, e.g. a traceback, as {"message": line})."""
        records = []
        for line in self.log_text().splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = {"message": line}
            records.append(record if isinstance(record, dict) else {"message": line})
        return records

    def logged(self, message: str) -> list[dict[str, Any]]:
        """Log records whose message starts with `message`."""
        return [r for r in self.log_records() if str(r.get("message", "")).startswith(message)]

    def terminate(self, timeout: float = STOP_SECONDS) -> int:
        """SIGTERM, then wait for the exit; answers the exit code (SIGKILL after `timeout`)."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"{self.name} ignored SIGTERM for {timeout} s:\n{self.log_text()}"
            ) from None

    def kill(self) -> int:
        if self.running():
            self.process.kill()
        return self.process.wait()

    def wait(self, timeout: float) -> int:
        """Wait for the process to end by itself (e.g. at a fault point)."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.name} still running after {timeout} s:\n{self.log_text()}"
            ) from None


class WorkerPool:
    """Starts workers sharing one environment; `stop_all` ends the ones still running."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.workers: list[WorkerProcess] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(
        self, *contexts: str, name: str | None = None, faults: str | None = None, **env: str
    ) -> WorkerProcess:
        """`petpro worker --context …` for each context (none: all of them)."""
        name = name or f"worker{len(self.workers) + 1}-{'+'.join(contexts) or 'all'}"
        args = ["worker", *(arg for context in contexts for arg in ("--context", context))]
        environment = {**self.env, **env}
        if faults:
            environment["PETPRO_FAULTS"] = faults
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(PETPRO), *args],
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(name, tuple(args), process, log_path)
        self.workers.append(worker)
        return worker

    def stop_all(self, timeout: float = STOP_SECONDS) -> None:
        for worker in self.workers:
            if worker.running():
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            try:
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()

    def kill_all(self) -> None:
        """SIGKILL whatever still runs (the test is over: nothing to finish)."""
        for worker in self.workers:
            worker.kill()

    def logs(self) -> str:
        """The end of every worker's log, for a failure message."""
        return "\n".join(f"--- {w.name} ---\n{w.log_text()[-4000:]}" for w in self.workers)


def _ready_or_ended(worker: WorkerProcess) -> bool:
    return bool(worker.logged("event backbone running")) or not worker.running()


@contextmanager
def running_workers(
    env: Mapping[str, str], log_dir: Path, contexts: Sequence[str], timeout: float
) -> Iterator[WorkerPool]:
    """One `petpro worker` per context (as split services would run them), each running its
    backbone before the block starts; all stopped after it."""
    pool = WorkerPool(env, log_dir)
    try:
        started = [pool.start(context) for context in contexts]
        for worker in started:
            wait_until(partial(_ready_or_ended, worker), timeout=timeout, message=worker.log_text)
            assert worker.running(), worker.log_text()
        yield pool
    finally:
        pool.stop_all()


def run_petpro(
    args: Sequence[str], env: Mapping[str, str], timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run one `petpro` command to completion."""
    return subprocess.run(
        [str(PETPRO), *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_until(
    condition: Callable[[], Any],
    *,
    timeout: float,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition not met",
) -> Any:
    """Poll `condition` until it answers something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"after {timeout} s: {text}")
        time.sleep(interval)
