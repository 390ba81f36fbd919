"""Turning a patient's wall-clock time on a local date into a UTC instant, and back.

A wall time that does not exist on that date (the spring-forward gap) moves forward to the
first valid minute; an ambiguous one (the fall-back fold) uses its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the clock in `zone` shows `wall` on `day`."""
    if wall.tzinfo is not None or wall.fold:
        wall = wall.replace(tzinfo=None, fold=0)
    local = datetime.combine(day, wall, tzinfo=zone)
    instant = local.astimezone(UTC)  # fold=0: the first of two occurrences
    # The wall time exists on that day if the instant reads it back: in a gap, fold=0 reads it
    # with the offset before the transition, and the instant that gives lies after it, so the
    # offsets differ. Every replan asks this for each reminder: one round trip, no `replace`.
    if instant.astimezone(zone).utcoffset() == local.utcoffset():
        return instant
    # In a gap, fold=1 reads the wall time with the offset after the transition (an instant
    # before it) and fold=0 with the offset before (an instant after it). The transition,
    # i.e. the first valid local minute, lies between: find it by bisection on seconds.
    low = local.replace(fold=1).astimezone(UTC)
    high = local.replace(fold=0).astimezone(UTC)
    if low > high:
        low, high = high, low
    after_offset = high.astimezone(zone).utcoffset()
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date the patient sees at `instant`."""
    return instant.astimezone(zone).date()


def local_time(instant: datetime, zone: ZoneInfo) -> time:
    """The wall-clock time the patient sees at `instant` (without zone)."""
    return instant.astimezone(zone).time().replace(tzinfo=None)
