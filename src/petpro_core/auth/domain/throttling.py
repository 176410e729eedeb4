"""Login throttling: a sliding window of failed attempts per account and per client address.

Failures are counted for an e-mail whether or not an account exists, so the throttle
itself reveals nothing about which addresses are registered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from petpro_core.shared.errors import TooManyAttempts


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    max_failures: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window <= timedelta(0):
            raise ValueError("a throttle allows at least one failure in a positive window")


@dataclass(frozen=True, slots=True)
class FailureWindow:
    """What a store knows of one key inside the window: how many, and the oldest."""

    count: int
    oldest: datetime | None


def account_key(email: str) -> str:
    return f"account:{email}"


def address_key(address: str) -> str:
    return f"address:{address}"


def enforce(rule: ThrottleRule, window: FailureWindow, now: datetime) -> None:
    """Raise TooManyAttempts while the key has used up its failures in the window."""
    if window.count < rule.max_failures or window.oldest is None:
        return
    retry_after = (window.oldest + rule.window - now).total_seconds()
    raise TooManyAttempts(
        "too many failed login attempts; try again later",
        retry_after_seconds=max(1, math.ceil(retry_after)),
    )
