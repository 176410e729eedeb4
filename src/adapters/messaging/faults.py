"""Named fault points for crash tests: `faults.point("relay.after_publish")`.

Production code passes through them at no cost. A test arms a point to fire on its n-th
pass, either by killing the process outright (SIGKILL: no cleanup, no `finally`, exactly
like a power cut; used by the fault suites that run `petpro worker` as a subprocess through
the `PETPRO_FAULTS` variable) or by raising `SimulatedCrash` (the in-memory bus).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

FAULTS_VARIABLE = "PETPRO_FAULTS"

# The points the relay and the consumer pass through.
KNOWN_POINTS = frozenset(
    {
        "relay.before_publish",  # claimed, nothing published yet
        "relay.after_publish",  # published, not yet marked
        "consumer.before_commit",  # effects applied in the transaction, not committed
        "consumer.after_commit",  # committed, not yet acknowledged
    }
)


class SimulatedCrash(BaseException):
    """Raised at an armed fault point in raise mode. A BaseException, so handlers that catch
    Exception cannot swallow it: it unwinds like a crash."""


class FaultPoints:
    def __init__(self, armed: Mapping[str, int] | None = None, *, kill: bool = False) -> None:
        unknown = set(armed or {}) - KNOWN_POINTS
        if unknown:
            raise ValueError(f"unknown fault points: {', '.join(sorted(unknown))}")
        self._remaining = {name: count for name, count in (armed or {}).items() if count > 0}
        self._kill = kill

    @classmethod
    def from_environment(cls) -> FaultPoints:
        """`PETPRO_FAULTS="relay.after_publish=3"`: SIGKILL this process the 3rd time."""
        spec = os.environ.get(FAULTS_VARIABLE, "").strip()
        if not spec:
            return NO_FAULTS
        armed: dict[str, int] = {}
        for part in spec.split(","):
            name, _, count = part.strip().partition("=")
            armed[name] = int(count or 1)
        return cls(armed, kill=True)

    def arm(self, name: str, on_pass: int = 1) -> None:
        if name not in KNOWN_POINTS:
            raise ValueError(f"unknown fault point {name!r}")
        self._remaining[name] = on_pass

    def point(self, name: str) -> None:
        remaining = self._remaining.get(name)
        if remaining is None:
            return
        if remaining > 1:
            self._remaining[name] = remaining - 1
            return
        del self._remaining[name]
        if self._kill:
            os.kill(os.getpid(), signal.SIGKILL)
        raise SimulatedCrash(name)


NO_FAULTS = FaultPoints()
