"""Wall clock to UTC: the patient's chosen local time on a local date, across DST changes
(DESIGN.md "The regimen": gap -> first valid minute, fold -> first occurrence)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.wallclock import local_date, local_instant, local_time
from tests.scheduling.strategies import (
    DST_CHANGE_DAYS,
    DST_ZONES,
    FOLD_DAYS,
    FOLD_WALLS,
    GAP_DAYS,
    GAP_WALLS,
    ZONES,
    wall_exists,
)

D = date.fromisoformat


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("zone", "day"), DST_CHANGE_DAYS)
def test_the_fixture_days_are_real_2026_dst_changes(zone: str, day: date) -> None:
    """The DST days these tests rely on really change the UTC offset (guards the fixtures)."""
    tz = ZoneInfo(zone)
    morning = datetime.combine(day, time(0, 0), tzinfo=tz).utcoffset()
    evening = datetime.combine(day, time(23, 59), tzinfo=tz).utcoffset()
    assert morning != evening
    gap = day == GAP_DAYS[zone]
    assert (evening > morning) is gap  # type: ignore[operator]


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_utc", "expected_wall"),
    [
        ("Europe/London", "2026-03-29", time(1, 30), "2026-03-29T01:00", time(2, 0)),
        ("Europe/London", "2026-03-29", time(1, 0), "2026-03-29T01:00", time(2, 0)),
        ("Europe/London", "2026-03-29", time(1, 59), "2026-03-29T01:00", time(2, 0)),
        ("America/New_York", "2026-03-08", time(2, 30), "2026-03-08T07:00", time(3, 0)),
        ("America/New_York", "2026-03-08", time(2, 0), "2026-03-08T07:00", time(3, 0)),
        ("Australia/Sydney", "2026-10-04", time(2, 30), "2026-10-03T16:00", time(3, 0)),
        ("Australia/Sydney", "2026-10-04", time(2, 1), "2026-10-03T16:00", time(3, 0)),
    ],
)
def test_wall_time_in_spring_forward_gap_moves_to_first_valid_minute(
    zone: str, day: str, wall: time, expected_utc: str, expected_wall: time
) -> None:
    """A dose time inside the spring-forward gap moves to the first valid minute."""
    tz = ZoneInfo(zone)
    assert not wall_exists(D(day), wall, tz)
    instant = local_instant(D(day), wall, tz)
    assert instant == utc(expected_utc)
    assert local_time(instant, tz) == expected_wall
    assert local_date(instant, tz) == D(day)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_utc"),
    [
        ("Europe/London", "2026-10-25", time(1, 30), "2026-10-25T00:30"),  # BST, not GMT
        ("Europe/London", "2026-10-25", time(1, 0), "2026-10-25T00:00"),
        ("America/New_York", "2026-11-01", time(1, 30), "2026-11-01T05:30"),  # EDT, not EST
        ("Australia/Sydney", "2026-04-05", time(2, 30), "2026-04-04T15:30"),  # AEDT, not AEST
    ],
)
def test_ambiguous_fall_back_wall_time_uses_the_first_occurrence(
    zone: str, day: str, wall: time, expected_utc: str
) -> None:
    """A wall time that happens twice (fall-back) is read as its first occurrence (fold=0)."""
    tz = ZoneInfo(zone)
    instant = local_instant(D(day), wall, tz)
    assert instant == utc(expected_utc)
    assert instant.astimezone(tz).fold == 0
    assert local_time(instant, tz) == wall
    # The same wall time an hour later is the second occurrence: we chose the earlier one.
    assert local_time(instant + timedelta(hours=1), tz) == wall


@pytest.mark.parametrize("zone", DST_ZONES)
def test_fold_1_on_the_wall_time_is_ignored(zone: str) -> None:
    """The chosen time is a plain wall time: a `fold=1` on it does not pick the second one."""
    tz = ZoneInfo(zone)
    day, wall = FOLD_DAYS[zone], FOLD_WALLS[zone]
    assert local_instant(day, wall.replace(fold=1), tz) == local_instant(day, wall, tz)


@pytest.mark.parametrize("zone", DST_ZONES)
def test_times_outside_the_gap_on_a_gap_day_are_unchanged(zone: str) -> None:
    """On a spring-forward day every wall time that exists maps to exactly that wall time."""
    tz = ZoneInfo(zone)
    day = GAP_DAYS[zone]
    gap_wall, after_gap = GAP_WALLS[zone]
    for wall in (time(0, 0), time(0, 59), after_gap, time(9, 0), time(21, 30), time(23, 59)):
        instant = local_instant(day, wall, tz)
        assert instant.astimezone(tz).replace(tzinfo=None) == datetime.combine(day, wall)
    assert not wall_exists(day, gap_wall, tz)


@pytest.mark.parametrize(
    ("zone", "wall", "expected_utc"),
    [
        ("Europe/London", time(9, 0), "2026-01-15T09:00"),  # GMT
        ("America/New_York", time(9, 0), "2026-01-15T14:00"),  # EST
        ("Australia/Sydney", time(9, 0), "2026-01-14T22:00"),  # AEDT (southern summer)
        ("Asia/Kolkata", time(9, 0), "2026-01-15T03:30"),  # half-hour offset
        ("Asia/Kolkata", time(0, 15), "2026-01-14T18:45"),  # the previous UTC day
        ("UTC", time(9, 0), "2026-01-15T09:00"),
    ],
)
def test_wall_time_in_winter_uses_the_zone_offset(zone: str, wall: time, expected_utc: str) -> None:
    """The chosen local time on a date becomes the instant with that zone's offset then."""
    assert local_instant(D("2026-01-15"), wall, ZoneInfo(zone)) == utc(expected_utc)


@pytest.mark.parametrize(
    ("zone", "expected_utc"),
    [
        ("Europe/London", "2026-07-15T08:00"),  # BST
        ("America/New_York", "2026-07-15T13:00"),  # EDT
        ("Australia/Sydney", "2026-07-14T23:00"),  # AEST (southern winter)
        ("Asia/Kolkata", "2026-07-15T03:30"),
        ("UTC", "2026-07-15T09:00"),
    ],
)
def test_wall_time_in_summer_uses_the_summer_offset(zone: str, expected_utc: str) -> None:
    """In July the northern zones are on summer time and Sydney on standard time."""
    assert local_instant(D("2026-07-15"), time(9, 0), ZoneInfo(zone)) == utc(expected_utc)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("day", sorted({d for _, d in DST_CHANGE_DAYS} | {D("2028-02-29")}))
def test_instants_are_aware_utc(zone: str, day: date) -> None:
    """Every instant the wall clock produces is an aware UTC datetime."""
    for wall in (time(0, 0), time(1, 30), time(2, 30), time(9, 0), time(23, 59)):
        instant = local_instant(day, wall, ZoneInfo(zone))
        assert instant.tzinfo is UTC
        assert instant.utcoffset() == timedelta(0)


@pytest.mark.parametrize("zone", ZONES)
def test_local_date_and_time_invert_local_instant(zone: str) -> None:
    """local_date/local_time read back the date and wall time an instant was built from."""
    tz = ZoneInfo(zone)
    for day in (D("2026-01-31"), D("2026-06-30"), D("2028-02-29"), D("2026-12-31")):
        for wall in (time(0, 0), time(9, 15), time(23, 45)):
            instant = local_instant(day, wall, tz)
            assert local_date(instant, tz) == day
            assert local_time(instant, tz) == wall
            assert local_time(instant, tz).tzinfo is None


def test_local_date_is_the_patients_calendar_date() -> None:
    """One instant can be different calendar dates for patients in different zones."""
    instant = utc("2026-01-15T20:00")
    assert local_date(instant, ZoneInfo("Australia/Sydney")) == D("2026-01-16")
    assert local_date(instant, ZoneInfo("Asia/Kolkata")) == D("2026-01-16")  # 01:30 IST
    assert local_date(instant, ZoneInfo("America/New_York")) == D("2026-01-15")
    assert local_date(instant, ZoneInfo("UTC")) == D("2026-01-15")
