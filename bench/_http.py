"""Shared helpers of the HTTP benchmarks (`booking_http`, `availability_http`): server
processes on a free loopback port, and `wrk` runs with their figures parsed.

A server is started as a child process in its own session (so a stop reaches its uvicorn
workers too), waited for until its readiness path answers 200, and stopped with SIGTERM
(SIGKILL to its process group after a grace period). Its stderr goes to a log file whose tail
is shown when it fails to start.

wrk gets a generated Lua script that reads its requests from a data file (one request per
line, spread over wrk's threads) and counts the HTTP statuses it receives; `run_wrk` parses
requests/s, the latency percentiles of `--latency` and those status counts.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

WRK = shutil.which("wrk") or "/usr/bin/wrk"
PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 15.0

# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, kw_only=True)
class ServerCommand:
    """How to start one server: argv (with `{port}` where the port goes) and extra env."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_path: str = "/health/ready"


def petpro_serve(
    name: str,
    *,
    workers: int,
    env: Mapping[str, str],
    ready_path: str = "/health/ready",
) -> ServerCommand:
    """`petpro serve` as deployed (uvicorn, `workers` processes, its own logging)."""
    petpro = str(Path(PYTHON).with_name("petpro"))
    return ServerCommand(
        name=name,
        argv=(
            petpro,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--workers",
            str(workers),
        ),
        env=env,
        ready_path=ready_path,
    )


def uvicorn_app(
    name: str, app: str, *, workers: int, env: Mapping[str, str], ready_path: str
) -> ServerCommand:
    """A bare ASGI callable (`module:attribute`) under uvicorn with the server settings
    `petpro serve` uses (same loop and HTTP parser chosen by uvicorn, log level info, which
    keeps uvicorn's access log on as in `petpro serve`)."""
    return ServerCommand(
        name=name,
        argv=(
            PYTHON,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--workers",
            str(workers),
            "--log-level",
            "info",
        ),
        env=env,
        ready_path=ready_path,
    )


@dataclass(frozen=True, kw_only=True)
class Server:
    name: str
    url: str  # http://127.0.0.1:<port>
    pid: int


@contextlib.contextmanager
def running(command: ServerCommand, *, log_dir: Path) -> Iterator[Server]:
    """Start `command` on a free port, wait until `ready_path` answers 200, yield; stop it."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command.argv]
    env = {**os.environ, **command.env}
    env["PYTHONPATH"] = os.pathsep.join(
        [
            *filter(None, [command.env.get("PYTHONPATH")]),
            str(ROOT),
            str(ROOT / "src"),
            *filter(None, [os.environ.get("PYTHONPATH")]),
        ]
    )
    log_path = log_dir / f"{command.name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own commands
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # uvicorn's access log
            stderr=log,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url + command.ready_path, log_path)
        yield Server(name=command.name, url=url, pid=process.pid)
    finally:
        stop(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode} before it was ready:\n" + tail(log_path)
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"server not ready at {url} within {STARTUP_TIMEOUT_SECONDS}s:\n" + tail(log_path)
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server (uvicorn's supervisor stops its workers), SIGKILL its process group
    if it is still there after the grace period."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"  (server {process.pid} ignored SIGTERM; killing its process group)")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stray workers of this server only
    process.wait()


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http_json(
    method: str,
    url: str,
    *,
    body: object = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, object]:
    """One request with a JSON body (or none); (status, parsed JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        raw = error.read()
        status = error.code
    return status, (json.loads(raw) if raw else None)


# -- wrk -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""

    def line(self) -> str:
        fields = [self.method, self.path, self.body]
        for name, value in self.headers.items():
            fields += [name, value]
        if any("\t" in part or "\n" in part for part in fields):
            raise ValueError("request fields must not contain tabs or newlines")
        return "\t".join(fields)


# Each wrk thread reads the data file and keeps every n-th line (its share), then sends them
# in order, cycling when it runs out (`exhausted` counts those repeats). Statuses are counted
# per thread and summed in done(), which prints one line the parser reads.
_LUA = r"""
local threads = {}
local counter = 1

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function split(line)
  local fields, start = {}, 1
  while true do
    local stop = string.find(line, "\t", start, true)
    if not stop then
      table.insert(fields, string.sub(line, start))
      return fields
    end
    table.insert(fields, string.sub(line, start, stop - 1))
    start = stop + 1
  end
end

function init(args)
  local path, thread_count = args[1], tonumber(args[2])
  requests, statuses, exhausted = {}, {}, 0
  local index = 0
  for line in io.lines(path) do
    if index % thread_count == thread_index then
      local fields = split(line)
      local headers = {}
      for i = 4, #fields, 2 do headers[fields[i]] = fields[i + 1] end
      local body = fields[3]
      if body == "" then body = nil end
      table.insert(requests, wrk.format(fields[1], fields[2], headers, body))
    end
    index = index + 1
  end
  if #requests == 0 then error("no requests for thread " .. thread_index) end
end

function request()
  local r = requests[counter]
  counter = counter + 1
  if counter > #requests then
    counter = 1
    exhausted = exhausted + 1
  end
  return r
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, cycles = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
    cycles = cycles + thread:get("exhausted")
  end
  local parts = {}
  for status, count in pairs(total) do table.insert(parts, status .. "=" .. count) end
  io.write("BENCH-STATUSES " .. table.concat(parts, " ") .. "\n")
  io.write("BENCH-EXHAUSTED " .. cycles .. "\n")
end
"""


@dataclass(frozen=True, kw_only=True)
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    latency_ms: Mapping[int, float]  # percentile (50, 75, 90, 99) -> milliseconds
    statuses: Mapping[int, int]
    socket_errors: int
    exhausted: int  # times a thread ran out of requests and started over

    def count(self, *statuses: int) -> int:
        return sum(self.statuses.get(status, 0) for status in statuses)

    @property
    def p99(self) -> float:
        return self.latency_ms[99]


def write_requests(path: Path, requests: Sequence[Request]) -> None:
    path.write_text("".join(request.line() + "\n" for request in requests))


def run_wrk(
    url: str,
    requests_file: Path,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    timeout_seconds: float = 10.0,
) -> WrkResult:
    """`wrk -t<threads> -c<connections> -d<seconds>s --latency` against `url`, sending the
    requests of `requests_file` (see `write_requests`); bounded: killed after seconds + 60."""
    script = requests_file.with_suffix(".lua")
    script.write_text(_LUA)
    argv = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout_seconds))}s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        str(requests_file),
        str(threads),
    ]
    completed = subprocess.run(  # noqa: S603 - wrk with our own arguments
        argv, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stderr}")
    return parse_wrk(completed.stdout)


_DURATION_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _DURATION_UNITS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    """The figures of one `wrk --latency` run with the script of `run_wrk`."""
    latency = {
        int(share): _milliseconds(value)
        for share, value in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.MULTILINE)
    }
    totals = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if totals is None or rate is None or 99 not in latency:
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    statuses_line = re.search(r"^BENCH-STATUSES(.*)$", output, re.MULTILINE)
    exhausted = re.search(r"^BENCH-EXHAUSTED (\d+)", output, re.MULTILINE)
    statuses = {
        int(status): int(count)
        for status, count in re.findall(r"(\d+)=(\d+)", statuses_line[1] if statuses_line else "")
    }
    return WrkResult(
        requests=int(totals[1]),
        seconds=_milliseconds(totals[2] + totals[3]) / 1000,
        requests_per_second=float(rate[1]),
        latency_ms=latency,
        statuses=statuses,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        exhausted=int(exhausted[1]) if exhausted else 0,
    )


@contextlib.contextmanager
def work_directory(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        yield Path(directory)


# -- where the CPU goes -----------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, kw_only=True)
class CpuSample:
    server: float  # seconds of CPU of every process in the server's session
    postgres: float  # live PostgreSQL processes plus the backends the postmaster reaped
    children: float  # this process's waited-for children (wrk)
    machine: float  # every CPU's busy time (/proc/stat)
    at: float


def cpu_sample(server: Server, database: str) -> CpuSample:
    """CPU seconds used so far by the server's processes, by PostgreSQL (its auxiliary
    processes, the backends connected to `database`, and the backends the postmaster has
    reaped, so closed connections count too; other databases' live backends do not) and by
    the benchmark's finished child processes."""
    server_cpu = postgres = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        if int(fields[3]) == server.pid:  # the server's session
            server_cpu += used
        elif name == "postgres":
            client = "(" in command or "[local]" in command
            if not client or f" {database} " in command:
                postgres += used
            postgres += (int(fields[13]) + int(fields[14])) / _CLOCK_TICKS
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return CpuSample(
        server=server_cpu,
        postgres=postgres,
        children=usage.ru_utime + usage.ru_stime,
        machine=(sum(ticks[:8]) - idle) / _CLOCK_TICKS,
        at=time.monotonic(),
    )


@dataclass(frozen=True, kw_only=True)
class CpuUse:
    """CPU of one measured run, as milliseconds per request."""

    server_ms: float
    postgres_ms: float
    wrk_ms: float
    busy: float  # all three together, as a share of the machine's CPUs
    others: float  # everything else on the machine (other work disturbing the run), likewise

    @classmethod
    def between(cls, before: CpuSample, after: CpuSample, requests: int) -> CpuUse:
        requests = max(requests, 1)
        server = after.server - before.server
        postgres = after.postgres - before.postgres
        wrk = after.children - before.children
        elapsed = max(after.at - before.at, 1e-9)
        cpus = os.cpu_count() or 1
        ours = server + postgres + wrk
        return cls(
            server_ms=1000 * server / requests,
            postgres_ms=1000 * postgres / requests,
            wrk_ms=1000 * wrk / requests,
            busy=ours / elapsed / cpus,
            others=max(0.0, (after.machine - before.machine) - ours) / elapsed / cpus,
        )


def measured_run(
    server: Server,
    requests_file: Path,
    *,
    connections: int,
    seconds: float,
    database: str,
) -> tuple[WrkResult, CpuUse]:
    """`run_wrk` with the CPU each side used during it (`database`: the run's PostgreSQL
    database, whose backends count)."""
    before = cpu_sample(server, database)
    result = run_wrk(server.url, requests_file, connections=connections, seconds=seconds)
    after = cpu_sample(server, database)
    return result, CpuUse.between(before, after, result.requests)


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} / {five:.2f}"


def wait_for_quiet(limit: float, *, most_seconds: float = 300.0) -> None:
    """Wait (at most `most_seconds`) until the 1-minute load average is below `limit`: other
    work on the machine (a test suite) would take CPU from the servers being compared."""
    deadline = time.monotonic() + most_seconds
    shown = False
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        if not shown:
            print(f"  waiting for the machine to be quiet (load {load_average()}) ...", flush=True)
            shown = True
        time.sleep(5)
    if os.getloadavg()[0] >= limit:
        print(f"  ! the machine is busy (load {load_average()}): figures will be low and noisy")
