"""Clocks for the bot: the system clock in production, a settable one for tests and the console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduling.model import require_utc


def system_clock() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until moved; `/wait` in the console and tests move it."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start, "start")

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> datetime:
        instant = require_utc(instant, "instant")
        if instant < self._now:
            raise ValueError("time only moves forward")
        self._now = instant
        return self._now
