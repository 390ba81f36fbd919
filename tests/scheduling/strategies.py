"""Shared data, independent oracles and Hypothesis strategies for the scheduling tests.

The oracles here restate the rules the slow, obvious way (scan minute by minute, count months
by hand) so that the tests do not check the code against itself.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st

from scheduling.model import (
    Course,
    InjectedDose,
    MaintenanceMode,
    QuietHours,
    ReminderSettings,
)
from scheduling.regimen import mid_treatment_course, next_dose

# TESTING.md: at least these five; Sydney has southern DST, Kolkata a half-hour offset.
ZONES: tuple[str, ...] = (
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
)
DST_ZONES: tuple[str, ...] = ("Europe/London", "America/New_York", "Australia/Sydney")

# The 2026 DST change days: "gap" = clocks go forward (a wall hour is skipped), "fold" =
# clocks go back (a wall hour happens twice). Sydney's are the other way round in the year.
GAP_DAYS: dict[str, date] = {
    "Europe/London": date(2026, 3, 29),  # 01:00 GMT -> 02:00 BST
    "America/New_York": date(2026, 3, 8),  # 02:00 EST -> 03:00 EDT
    "Australia/Sydney": date(2026, 10, 4),  # 02:00 AEST -> 03:00 AEDT
}
FOLD_DAYS: dict[str, date] = {
    "Europe/London": date(2026, 10, 25),  # 02:00 BST -> 01:00 GMT
    "America/New_York": date(2026, 11, 1),  # 02:00 EDT -> 01:00 EST
    "Australia/Sydney": date(2026, 4, 5),  # 03:00 AEDT -> 02:00 AEST
}
# A wall time inside each gap, and the first valid wall time after the gap.
GAP_WALLS: dict[str, tuple[time, time]] = {
    "Europe/London": (time(1, 30), time(2, 0)),
    "America/New_York": (time(2, 30), time(3, 0)),
    "Australia/Sydney": (time(2, 30), time(3, 0)),
}
# A wall time that happens twice on each fold day.
FOLD_WALLS: dict[str, time] = {
    "Europe/London": time(1, 30),
    "America/New_York": time(1, 30),
    "Australia/Sydney": time(2, 30),
}
DST_CHANGE_DAYS: list[tuple[str, date]] = [
    (zone, day) for zone in DST_ZONES for day in (GAP_DAYS[zone], FOLD_DAYS[zone])
]

# Property tests: no deadline (zoneinfo's first lookups are slow), a budget that keeps the
# whole folder well under 30 s.
PROPERTY = settings(max_examples=120, deadline=None)
SLOW_PROPERTY = settings(max_examples=60, deadline=None)


# --- oracles -------------------------------------------------------------------------------


def wall_exists(day: date, wall: time, zone: ZoneInfo) -> bool:
    """Whether the clock in `zone` ever shows `wall` on `day` (False inside a DST gap)."""
    naive = datetime.combine(day, wall)
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == naive


def first_valid_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant the clock first shows `wall` on `day`, or the first existing minute
    after it: found by walking forward one wall minute at a time."""
    naive = datetime.combine(day, wall)
    for minutes in range(0, 24 * 60):
        candidate = naive + timedelta(minutes=minutes)
        if wall_exists(candidate.date(), candidate.time(), zone):
            return candidate.replace(tzinfo=zone, fold=0).astimezone(UTC)
    raise AssertionError("no valid wall time within a day")


def wall_of(instant: datetime, zone: ZoneInfo) -> time:
    return instant.astimezone(zone).time().replace(tzinfo=None)


def first_instant_outside_quiet(start: datetime, reminder_settings: ReminderSettings) -> datetime:
    """The first whole minute at or after `start` whose local wall time is not quiet."""
    zone = ZoneInfo(reminder_settings.time_zone)
    quiet = reminder_settings.quiet_hours
    instant = start
    for _ in range(0, 48 * 60):
        if wall_of(instant, zone) not in quiet:
            return instant
        instant += timedelta(minutes=1)
    raise AssertionError("quiet hours never end")


def month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_after(previous: date, anchor_day: int) -> date:
    """The date in the calendar month after `previous`, on `anchor_day` or the month's end."""
    year, month = (
        (previous.year + 1, 1) if previous.month == 12 else (previous.year, previous.month + 1)
    )
    return date(year, month, min(anchor_day, month_length(year, month)))


def months_between(earlier: date, later: date) -> int:
    return (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month)


# --- building courses ----------------------------------------------------------------------


def inject_next(course: Course, on: date, at: datetime | None = None) -> Course:
    """The course after the next dose was injected on `on`."""
    number = next_dose(course).number
    dose = InjectedDose(number, on, at)
    return Course(course.mode, course.first_dose_date, (*course.injected, dose))


def course_from(mode: MaintenanceMode, first_dose_date: date, *injected_on: date) -> Course:
    """A course started on `first_dose_date` with doses 1, 2, ... injected on these dates."""
    doses = tuple(InjectedDose(number, on) for number, on in enumerate(injected_on, start=1))
    return Course(mode, first_dose_date, doses)


def on_time_course(mode: MaintenanceMode, first_dose_date: date, doses_injected: int) -> Course:
    """A course with the first `doses_injected` doses each injected on its due date."""
    course = Course(mode, first_dose_date)
    for _ in range(doses_injected):
        course = inject_next(course, next_dose(course).due_on)
    return course


def settings_in(
    zone: str, reminder_time: time = time(9, 0), **overrides: object
) -> ReminderSettings:
    return ReminderSettings(time_zone=zone, reminder_time=reminder_time, **overrides)  # type: ignore[arg-type]


# --- strategies ----------------------------------------------------------------------------

zones = st.sampled_from(ZONES)
modes = st.sampled_from(list(MaintenanceMode))

SPECIAL_DATES: list[date] = sorted(
    {
        *GAP_DAYS.values(),
        *FOLD_DAYS.values(),
        date(2024, 2, 29),
        date(2028, 2, 29),
        date(2026, 1, 31),
        date(2026, 1, 30),
        date(2026, 1, 29),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 8, 31),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2028, 1, 31),
    }
)
dates = st.one_of(
    st.sampled_from(SPECIAL_DATES),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
)
# Dates on or right around a DST change day, where the wall-clock rules bite.
dates_near_dst = st.one_of(
    st.builds(
        lambda day, shift: day + timedelta(days=shift),
        st.sampled_from([day for _, day in DST_CHANGE_DAYS]),
        st.integers(-2, 2),
    ),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
)
walls = st.builds(time, st.integers(0, 23), st.integers(0, 59))


def _quiet(start_minute: int, length_minutes: int) -> QuietHours:
    end_minute = (start_minute + length_minutes) % (24 * 60)
    return QuietHours(
        time(start_minute // 60, start_minute % 60), time(end_minute // 60, end_minute % 60)
    )


# Night-time windows of 30 min to 12 h, at any minute (plus the default and "none").
quiet_hours = st.one_of(
    st.just(QuietHours()),
    st.just(QuietHours(time(0, 0), time(0, 0))),
    st.builds(_quiet, st.integers(0, 24 * 60 - 1), st.integers(30, 12 * 60)),
)
check_in_delays = st.integers(60, 23 * 60).map(lambda minutes: timedelta(minutes=minutes))

reminder_settings = st.builds(
    ReminderSettings,
    time_zone=zones,
    reminder_time=walls,
    quiet_hours=quiet_hours,
    heads_up=st.booleans(),
    prep=st.booleans(),
    check_in_delay=check_in_delays,
)

# Instants within a day and a half of a 2026 DST change, or anywhere in 2026; whole minutes.
_TRANSITION_INSTANTS = [
    datetime.combine(day, time(12), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    for zone, day in DST_CHANGE_DAYS
]
instants = st.one_of(
    st.builds(
        lambda base, minutes: base + timedelta(minutes=minutes),
        st.sampled_from(_TRANSITION_INSTANTS),
        st.integers(-36 * 60, 36 * 60),
    ),
    st.builds(
        lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
        st.integers(0, 365 * 24 * 60),
    ),
)

# Days from the due date to the actual injection: mostly on time, sometimes early or late.
injection_offsets = st.one_of(st.just(0), st.integers(-6, 20))


@st.composite
def courses(draw: st.DrawFn, max_injected: int = 14) -> Course:
    """A course from Week 0 or from a mid-treatment report, with some doses injected."""
    mode = draw(modes)
    if draw(st.booleans()):
        course = Course(mode=mode, first_dose_date=draw(dates))
    else:
        course = mid_treatment_course(draw(dates), draw(st.integers(1, 12)), mode)
        if draw(st.booleans()):  # a Week 0 on file, irrelevant once a dose is reported
            course = Course(mode, draw(dates), course.injected)
    for offset in draw(st.lists(injection_offsets, max_size=max_injected)):
        course = inject_next(course, next_dose(course).due_on + timedelta(days=offset))
    return course
