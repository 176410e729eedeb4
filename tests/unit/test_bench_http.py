"""The HTTP benchmarks' reading of wrk's output (bench/_http.py): the figures they report
are only as right as this parser."""

from __future__ import annotations

import pytest

from bench._http import Request, parse_wrk

WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:41234
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   148.12ms   41.07ms 512.33ms   71.22%
    Req/Sec   105.61     28.40   190.00     68.00%
  Latency Distribution
     50%  133.70ms
     75%  166.90ms
     90%  850.00us
     99%    1.52s
  3169 requests in 15.04s, 3.11MB read
  Non-2xx or 3xx responses: 2
  Socket errors: connect 0, read 1, write 0, timeout 3
Requests/sec:    210.71
Transfer/sec:    211.47KB
BENCH-STATUSES 201=3167 409=2
BENCH-EXHAUSTED 0
"""


def test_parses_rate_latency_statuses_and_errors() -> None:
    result = parse_wrk(WRK_OUTPUT)

    assert result.requests == 3169
    assert result.seconds == pytest.approx(15.04)
    assert result.requests_per_second == pytest.approx(210.71)
    assert result.latency_ms == pytest.approx({50: 133.7, 75: 166.9, 90: 0.85, 99: 1520.0})
    assert result.statuses == {201: 3167, 409: 2}
    assert result.count(201) == 3167
    assert result.socket_errors == 4
    assert result.exhausted == 0


def test_output_without_figures_is_refused() -> None:
    with pytest.raises(ValueError, match="unexpected wrk output"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_request_lines_refuse_tabs_and_newlines() -> None:
    line = Request(method="POST", path="/bookings", headers={"A": "b"}, body='{"x":1}').line()
    assert line == 'POST\t/bookings\t{"x":1}\tA\tb'
    with pytest.raises(ValueError):
        Request(method="GET", path="/x", body="a\nb").line()
