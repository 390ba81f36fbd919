"""The Kesimpta dose plan: which dose is due on which local date, from the doses injected.

Loading doses at Weeks 0, 1 and 2, none at Week 3, then monthly from Week 4 (CLINICAL.md).
Every interval is counted from the day the previous dose was actually injected, so a late or
early dose moves everything after it. In `monthly` mode the dates follow an anchor (the date
of dose 4, or of the last dose injected off its planned date): Jan 31 -> Feb 28 -> Mar 31.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from scheduling.model import Course, InjectedDose, MaintenanceMode, PlannedDose

# Days from dose N to dose N+1 while loading: Week 0 -> 1 -> 2 -> (no Week 3) -> 4.
LOADING_INTERVALS: dict[int, int] = {1: 7, 2: 7, 3: 14}
FIRST_MAINTENANCE_DOSE = 4
FOUR_WEEKS = timedelta(days=28)


def add_months(anchor: date, months: int) -> date:
    """`anchor` moved by whole calendar months, the day clamped to the month's length."""
    month_index = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor.day, last_day))


@dataclass(frozen=True, slots=True)
class _Cursor:
    """Where the plan stands: the next dose, its due date, and the monthly anchor."""

    number: int
    due_on: date
    anchor: date | None = None  # monthly mode: the date the month count starts from
    months: int = 0  # monthly mode: `due_on == add_months(anchor, months)`


def _advance(cursor: _Cursor, injected_on: date, mode: MaintenanceMode) -> _Cursor:
    """The cursor after dose `cursor.number` was injected on `injected_on`."""
    number = cursor.number
    if number in LOADING_INTERVALS:
        return _Cursor(number + 1, injected_on + timedelta(days=LOADING_INTERVALS[number]))
    if mode is MaintenanceMode.EVERY_4_WEEKS:
        return _Cursor(number + 1, injected_on + FOUR_WEEKS)
    # Monthly: a dose on its planned date keeps the anchor, so a 31st comes back after a
    # short month; a dose on any other date (or the first monthly one) starts a new anchor.
    if cursor.anchor is not None and injected_on == cursor.due_on:
        anchor, months = cursor.anchor, cursor.months + 1
    else:
        anchor, months = injected_on, 1
    return _Cursor(number + 1, add_months(anchor, months), anchor, months)


def _cursor_after(course: Course) -> _Cursor:
    """Walk the injected doses in order; the result is the first dose not injected yet."""
    if not course.injected:
        assert course.first_dose_date is not None  # Course guarantees one or the other
        return _Cursor(1, course.first_dose_date)
    first = course.injected[0]
    # The first known dose has no known plan (it may be a mid-treatment start): it is taken
    # as injected off-plan, which makes it the monthly anchor when it is dose 4 or later.
    cursor = _Cursor(first.number, first.injected_on)
    for dose in course.injected:
        cursor = _advance(cursor, dose.injected_on, course.mode)
    return cursor


def next_dose(course: Course) -> PlannedDose:
    """The first dose not injected yet and its due date (it stays put until injected)."""
    cursor = _cursor_after(course)
    return PlannedDose(cursor.number, cursor.due_on)


def upcoming_doses(course: Course, count: int) -> list[PlannedDose]:
    """The next `count` doses not yet injected, assuming each is injected on its due date."""
    if count < 0:
        raise ValueError("count must not be negative")
    cursor = _cursor_after(course)
    planned: list[PlannedDose] = []
    for _ in range(count):
        planned.append(PlannedDose(cursor.number, cursor.due_on))
        cursor = _advance(cursor, cursor.due_on, course.mode)
    return planned


def planned_date_of(course: Course, number: int) -> date | None:
    """The date dose `number` was (or is) planned for, given the doses injected before it.

    None for the first dose of a mid-treatment start, whose plan the bot never knew.
    """
    known = tuple(dose for dose in course.injected if dose.number < number)
    if not known:
        starts_mid_treatment = bool(course.injected) and course.injected[0].number > 1
        if starts_mid_treatment or course.first_dose_date is None:
            return None
        cursor = _Cursor(1, course.first_dose_date)
    else:
        cursor = _cursor_after(Course(course.mode, course.first_dose_date, known))
    # Doses between the last injected one and `number` are assumed injected on time.
    while cursor.number < number:
        cursor = _advance(cursor, cursor.due_on, course.mode)
    return cursor.due_on


def mid_treatment_course(
    last_dose_on: date, last_dose_number: int, mode: MaintenanceMode
) -> Course:
    """A course for a patient already on treatment: "my last dose was dose N on D"."""
    return Course(mode=mode, injected=(InjectedDose(last_dose_number, last_dose_on),))


def days_late(planned_on: date | None, injected_on: date) -> int | None:
    """How many days after its planned date a dose was injected (negative: early)."""
    if planned_on is None:
        return None
    return (injected_on - planned_on).days
