"""The dose plan: loading at Weeks 0/1/2, Week 4, then monthly or every 4 weeks, re-anchored on
the day each dose was actually injected (CLINICAL.md "Schedule", DESIGN.md "The regimen")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduling.model import Course, InjectedDose, MaintenanceMode, PlannedDose
from scheduling.regimen import (
    days_late,
    mid_treatment_course,
    next_dose,
    planned_date_of,
    upcoming_doses,
)
from tests.scheduling.strategies import course_from, inject_next, on_time_course

MONTHLY = MaintenanceMode.MONTHLY
EVERY_4_WEEKS = MaintenanceMode.EVERY_4_WEEKS
D = date.fromisoformat


def due_dates(course: Course, count: int) -> list[date]:
    return [dose.due_on for dose in upcoming_doses(course, count)]


def iso(days: list[date]) -> list[str]:
    return [day.isoformat() for day in days]


# --- the plan from Week 0 ------------------------------------------------------------------


def test_public_check_first_dose_2026_01_03_monthly() -> None:
    """First dose 2026-01-03, monthly: 01-03, 01-10, 01-17, 01-31, 02-28, 03-31, 04-30, 05-31."""
    course = Course(MONTHLY, D("2026-01-03"))
    assert iso(due_dates(course, 8)) == [
        "2026-01-03",
        "2026-01-10",
        "2026-01-17",
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
    ]


def test_upcoming_doses_are_numbered_from_one() -> None:
    """With nothing injected, the plan starts at dose 1 and numbers doses consecutively."""
    course = Course(MONTHLY, D("2026-01-03"))
    assert [dose.number for dose in upcoming_doses(course, 6)] == [1, 2, 3, 4, 5, 6]
    assert next_dose(course) == PlannedDose(1, D("2026-01-03"))


@pytest.mark.parametrize("mode", list(MaintenanceMode))
@pytest.mark.parametrize(
    "week_0", [D("2026-01-03"), D("2026-02-27"), D("2026-12-30"), D("2028-02-29"), D("2027-01-31")]
)
def test_loading_doses_fall_on_days_0_7_14_and_dose_4_on_day_28(
    mode: MaintenanceMode, week_0: date
) -> None:
    """Loading doses at Week 0, 1 and 2 (days 0, 7, 14), none at Week 3, dose 4 at Week 4."""
    plan = due_dates(Course(mode, week_0), 4)
    assert plan == [week_0 + timedelta(days=days) for days in (0, 7, 14, 28)]


def test_every_4_weeks_maintenance_is_28_days_apart() -> None:
    """In every_4_weeks mode each maintenance dose is 28 days after the previous one."""
    course = Course(EVERY_4_WEEKS, D("2026-01-03"))
    assert iso(due_dates(course, 8)) == [
        "2026-01-03",
        "2026-01-10",
        "2026-01-17",
        "2026-01-31",
        "2026-02-28",
        "2026-03-28",
        "2026-04-25",
        "2026-05-23",
    ]


def test_every_4_weeks_gives_13_doses_a_year_and_monthly_12() -> None:
    """Maintenance: 13 doses a year every 4 weeks versus 12 on the same date each month
    (counted over the year after dose 4)."""
    for mode, expected in ((EVERY_4_WEEKS, 13), (MONTHLY, 12)):
        course = on_time_course(mode, D("2026-01-03"), 4)  # dose 4 injected on 2026-01-31
        in_year = [d for d in due_dates(course, 20) if d <= D("2027-01-31")]
        assert len(in_year) == expected, mode


# --- monthly mode: month ends and the anchor ------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        ("2026-01-31", ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"]),
        ("2026-01-30", ["2026-02-28", "2026-03-30", "2026-04-30", "2026-05-30", "2026-06-30"]),
        ("2026-01-29", ["2026-02-28", "2026-03-29", "2026-04-29", "2026-05-29", "2026-06-29"]),
        ("2026-08-31", ["2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31"]),
        ("2026-12-31", ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]),
        ("2027-01-31", ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"]),
        ("2028-01-31", ["2028-02-29", "2028-03-31", "2028-04-30", "2028-05-31", "2028-06-30"]),
        ("2026-01-15", ["2026-02-15", "2026-03-15", "2026-04-15", "2026-05-15", "2026-06-15"]),
    ],
)
def test_monthly_dates_clamp_to_short_months_and_return_to_the_anchor_day(
    anchor: str, expected: list[str]
) -> None:
    """A 31st becomes the last day of a shorter month and returns to the 31st afterwards."""
    course = mid_treatment_course(D(anchor), 4, MONTHLY)  # dose 4 is the monthly anchor
    assert iso(due_dates(course, 5)) == expected


def test_dose_injected_on_its_clamped_planned_date_keeps_the_anchor() -> None:
    """A dose injected on its planned date keeps the anchor: Jan 31 -> Feb 28 -> Mar 31."""
    course = mid_treatment_course(D("2026-01-31"), 4, MONTHLY)
    course = inject_next(course, D("2026-02-28"))  # dose 5, on its planned date
    course = inject_next(course, D("2026-03-31"))  # dose 6, on its planned date
    assert next_dose(course) == PlannedDose(7, D("2026-04-30"))
    assert iso(due_dates(course, 3)) == ["2026-04-30", "2026-05-31", "2026-06-30"]


def test_dose_4_sets_the_monthly_anchor() -> None:
    """In monthly mode the anchor is the date of dose 4 (Week 4 from a 3rd of January: 31st)."""
    course = on_time_course(MONTHLY, D("2026-01-03"), 4)
    assert course.injected[-1] == InjectedDose(4, D("2026-01-31"))
    assert iso(due_dates(course, 3)) == ["2026-02-28", "2026-03-31", "2026-04-30"]


def test_early_maintenance_dose_becomes_the_new_anchor() -> None:
    """A dose injected before its planned date becomes the new anchor (monthly mode)."""
    course = mid_treatment_course(D("2026-01-31"), 4, MONTHLY)
    course = inject_next(course, D("2026-02-25"))  # dose 5 planned 02-28, injected 3 days early
    assert iso(due_dates(course, 3)) == ["2026-03-25", "2026-04-25", "2026-05-25"]


def test_late_maintenance_dose_becomes_the_new_anchor() -> None:
    """A dose injected after its planned date becomes the new anchor (monthly mode)."""
    course = mid_treatment_course(D("2026-01-31"), 4, MONTHLY)
    course = inject_next(course, D("2026-03-03"))  # dose 5 planned 02-28, injected 3 days late
    assert iso(due_dates(course, 3)) == ["2026-04-03", "2026-05-03", "2026-06-03"]


def test_off_plan_dose_on_a_month_end_clamps_from_its_own_day() -> None:
    """A dose on the 30th that was planned for the 31st anchors the 30th, not the 31st."""
    course = mid_treatment_course(D("2026-01-31"), 4, MONTHLY)
    course = inject_next(course, D("2026-02-28"))  # on time: anchor stays the 31st
    course = inject_next(course, D("2026-03-30"))  # dose 6 planned 03-31, one day early
    assert iso(due_dates(course, 3)) == ["2026-04-30", "2026-05-30", "2026-06-30"]


def test_early_dose_that_lands_on_the_last_day_of_february_starts_a_new_anchor() -> None:
    """Feb 28 is only "on time" if it was the planned date: planned Mar 1, injected Feb 28
    re-anchors on the 28th."""
    course = mid_treatment_course(D("2026-02-01"), 4, MONTHLY)
    assert next_dose(course) == PlannedDose(5, D("2026-03-01"))
    course = inject_next(course, D("2026-02-28"))
    assert iso(due_dates(course, 3)) == ["2026-03-28", "2026-04-28", "2026-05-28"]


@pytest.mark.parametrize(
    ("delay_days", "expected_dose_6"),
    [
        (-3, "2026-04-09"),
        (-1, "2026-04-11"),
        (0, "2026-04-12"),
        (1, "2026-04-13"),
        (10, "2026-04-22"),
    ],
)
def test_every_4_weeks_counts_28_days_from_the_actual_injection(
    delay_days: int, expected_dose_6: str
) -> None:
    """every_4_weeks: the next dose is 28 days after the day the previous dose was injected."""
    course = mid_treatment_course(D("2026-02-15"), 4, EVERY_4_WEEKS)
    planned_5 = next_dose(course).due_on
    assert planned_5 == D("2026-03-15")
    course = inject_next(course, planned_5 + timedelta(days=delay_days))
    assert next_dose(course) == PlannedDose(6, D(expected_dose_6))


# --- late and early loading doses ----------------------------------------------------------


@pytest.mark.parametrize("mode", list(MaintenanceMode))
@pytest.mark.parametrize("late_dose", [1, 2, 3])
@pytest.mark.parametrize("shift", [-3, -1, 2, 5])
def test_off_plan_loading_dose_moves_every_later_dose(
    mode: MaintenanceMode, late_dose: int, shift: int
) -> None:
    """Loading intervals (+7, +7, +14) count from the actual injection, so a late or early
    loading dose moves every dose after it by the same number of days."""
    week_0 = D("2026-01-03")
    course = Course(mode, week_0)
    for number in range(1, late_dose + 1):
        due = next_dose(course).due_on
        course = inject_next(course, due + timedelta(days=shift if number == late_dose else 0))
    on_plan = upcoming_doses(on_time_course(mode, week_0, late_dose), 4)
    moved = upcoming_doses(course, 4)
    assert [dose.number for dose in moved] == [dose.number for dose in on_plan]
    for planned, actual in zip(on_plan, moved, strict=True):
        # Monthly doses after dose 4 follow the calendar, not a fixed number of days.
        if mode is EVERY_4_WEEKS or planned.number <= 4:
            assert actual.due_on == planned.due_on + timedelta(days=shift)


def test_late_dose_2_counts_from_the_day_it_was_injected() -> None:
    """Dose 2 two days late: dose 3 is 7 days after it, dose 4 14 days after dose 3."""
    course = course_from(MONTHLY, D("2026-01-03"), D("2026-01-03"), D("2026-01-12"))
    assert iso(due_dates(course, 4)) == ["2026-01-19", "2026-02-02", "2026-03-02", "2026-04-02"]


def test_late_dose_1_moves_dose_2() -> None:
    """Dose 1 injected later than the first-dose date: dose 2 is 7 days after the injection."""
    course = course_from(MONTHLY, D("2026-01-03"), D("2026-01-06"))
    assert next_dose(course) == PlannedDose(2, D("2026-01-13"))


def test_early_dose_3_moves_dose_4_and_the_monthly_anchor() -> None:
    """Dose 3 two days early: dose 4 is 14 days after it, and monthly doses follow dose 4."""
    course = course_from(
        MONTHLY, D("2026-01-03"), D("2026-01-03"), D("2026-01-10"), D("2026-01-15")
    )
    assert iso(due_dates(course, 3)) == ["2026-01-29", "2026-02-28", "2026-03-29"]


def test_late_dose_4_anchors_monthly_doses_on_its_actual_date() -> None:
    """Dose 4 planned for Jan 31 but injected Feb 2: monthly doses fall on the 2nd."""
    course = course_from(
        MONTHLY, D("2026-01-03"), D("2026-01-03"), D("2026-01-10"), D("2026-01-17"), D("2026-02-02")
    )
    assert iso(due_dates(course, 3)) == ["2026-03-02", "2026-04-02", "2026-05-02"]


def test_due_date_stays_put_until_the_dose_is_injected() -> None:
    """An overdue dose keeps its due date; nothing after it moves until it is injected."""
    course = on_time_course(MONTHLY, D("2026-01-03"), 5)  # dose 6 due 2026-03-31
    before = upcoming_doses(course, 4)
    assert before[0] == PlannedDose(6, D("2026-03-31"))
    # Injecting it 9 days late moves what follows, but not its own planned date.
    late = inject_next(course, D("2026-04-09"))
    assert planned_date_of(late, 6) == D("2026-03-31")
    assert iso(due_dates(late, 2)) == ["2026-05-09", "2026-06-09"]


# --- the leap day --------------------------------------------------------------------------


def test_leap_day_as_week_0_monthly() -> None:
    """Week 0 on 2028-02-29: loading on 02-29, 03-07, 03-14, dose 4 on 03-28, then the 28th."""
    course = Course(MONTHLY, D("2028-02-29"))
    assert iso(due_dates(course, 7)) == [
        "2028-02-29",
        "2028-03-07",
        "2028-03-14",
        "2028-03-28",
        "2028-04-28",
        "2028-05-28",
        "2028-06-28",
    ]


def test_leap_day_as_week_0_every_4_weeks() -> None:
    """Week 0 on 2028-02-29 in every_4_weeks mode: dose 4 on 03-28, then every 28 days."""
    course = Course(EVERY_4_WEEKS, D("2028-02-29"))
    assert iso(due_dates(course, 6)) == [
        "2028-02-29",
        "2028-03-07",
        "2028-03-14",
        "2028-03-28",
        "2028-04-25",
        "2028-05-23",
    ]


def test_leap_day_as_monthly_anchor() -> None:
    """Anchored on 2028-02-29: the 29th each month, Feb 28 in 2029, then the 29th again."""
    course = mid_treatment_course(D("2028-02-29"), 4, MONTHLY)
    plan = due_dates(course, 13)
    assert plan[0] == D("2028-03-29")
    assert all(day.day == 29 for day in plan[:10])  # March 2028 .. December 2028
    assert iso(plan[10:13]) == ["2029-01-29", "2029-02-28", "2029-03-29"]


def test_leap_february_takes_the_29th_for_a_31st_anchor() -> None:
    """Anchor Jan 31 2028: Feb 29 (a leap year), then back to Mar 31."""
    course = mid_treatment_course(D("2028-01-31"), 4, MONTHLY)
    course = inject_next(course, D("2028-02-29"))
    assert next_dose(course) == PlannedDose(6, D("2028-03-31"))


# --- mid-treatment start -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_number", "last_on", "mode", "expected_on"),
    [
        (1, "2026-05-04", MONTHLY, "2026-05-11"),
        (2, "2026-05-04", MONTHLY, "2026-05-11"),
        (3, "2026-05-04", MONTHLY, "2026-05-18"),
        (3, "2026-05-04", EVERY_4_WEEKS, "2026-05-18"),
        (4, "2026-05-04", MONTHLY, "2026-06-04"),
        (4, "2026-05-04", EVERY_4_WEEKS, "2026-06-01"),
        (6, "2026-03-15", MONTHLY, "2026-04-15"),
        (6, "2026-03-15", EVERY_4_WEEKS, "2026-04-12"),
        (6, "2026-01-31", MONTHLY, "2026-02-28"),
        (17, "2026-12-31", MONTHLY, "2027-01-31"),
    ],
)
def test_mid_treatment_start_counts_from_the_reported_dose(
    last_number: int, last_on: str, mode: MaintenanceMode, expected_on: str
) -> None:
    """ "My last dose was dose N on D": dose N+1 follows D at the regimen's interval
    (dose 2 -> +7 days, dose 3 -> +14 days, dose 6 -> one month or 28 days)."""
    course = mid_treatment_course(D(last_on), last_number, mode)
    assert next_dose(course) == PlannedDose(last_number + 1, D(expected_on))


def test_mid_treatment_start_on_a_31st_keeps_the_anchor_through_short_months() -> None:
    """Reported dose 6 on Jan 31: dose 7 Feb 28; injected then, dose 8 returns to Mar 31."""
    course = mid_treatment_course(D("2026-01-31"), 6, MONTHLY)
    course = inject_next(course, D("2026-02-28"))
    assert next_dose(course) == PlannedDose(8, D("2026-03-31"))


def test_first_dose_date_is_irrelevant_once_a_mid_treatment_dose_is_reported() -> None:
    """A course that starts at a reported dose N > 1 ignores any stored first-dose date: the
    plan counts from the reported dose, whose own planned date is unknown."""
    reported = InjectedDose(6, D("2026-03-15"))
    course = Course(MONTHLY, D("2025-06-01"), (reported,))
    assert next_dose(course) == PlannedDose(7, D("2026-04-15"))
    assert planned_date_of(course, 6) is None
    assert planned_date_of(course, 1) is None


def test_mid_treatment_course_records_the_reported_dose() -> None:
    """A mid-treatment course holds the reported dose as injected and needs no Week 0."""
    course = mid_treatment_course(D("2026-03-15"), 6, MONTHLY)
    assert course.injected == (InjectedDose(6, D("2026-03-15")),)
    assert course.mode is MONTHLY


# --- planned_date_of and days_late ---------------------------------------------------------


def test_planned_date_of_dose_1_is_the_first_dose_date() -> None:
    """Dose 1 is planned on the first-dose date, even when it was injected on another day."""
    course = course_from(MONTHLY, D("2026-01-03"), D("2026-01-05"))
    assert planned_date_of(course, 1) == D("2026-01-03")
    assert days_late(planned_date_of(course, 1), D("2026-01-05")) == 2


def test_planned_date_of_a_late_dose_is_its_original_due_date() -> None:
    """A late dose's planned date is the date it was due before it was injected."""
    course = on_time_course(MONTHLY, D("2026-01-03"), 4)
    late = inject_next(course, D("2026-03-04"))  # dose 5 due 02-28
    assert planned_date_of(late, 5) == D("2026-02-28")
    assert days_late(planned_date_of(late, 5), D("2026-03-04")) == 4


def test_days_late_is_negative_for_an_early_dose_and_zero_on_time() -> None:
    """days_late counts days after the planned date: negative when early, 0 on time."""
    assert days_late(D("2026-02-28"), D("2026-02-25")) == -3
    assert days_late(D("2026-02-28"), D("2026-02-28")) == 0
    assert days_late(D("2026-02-28"), D("2026-03-01")) == 1
    assert days_late(D("2027-12-30"), D("2028-01-02")) == 3


def test_days_late_is_unknown_without_a_planned_date() -> None:
    """Without a planned date (a mid-treatment start) lateness is unknown, not zero."""
    assert days_late(None, D("2026-02-28")) is None


def test_planned_date_of_the_reported_mid_treatment_dose_is_unknown() -> None:
    """The bot never knew the plan for the dose a mid-treatment patient reported."""
    course = mid_treatment_course(D("2026-03-15"), 6, MONTHLY)
    assert planned_date_of(course, 6) is None
    assert planned_date_of(course, 3) is None
    assert planned_date_of(course, 7) == D("2026-04-15")


def test_planned_date_of_each_dose_follows_the_doses_before_it() -> None:
    """Each injected dose's planned date counts from the actual injection of the one before."""
    course = course_from(
        MONTHLY,
        D("2026-01-03"),
        D("2026-01-03"),
        D("2026-01-12"),  # 2 days late
        D("2026-01-18"),  # 1 day early (due 01-19)
        D("2026-02-01"),  # on time (due 02-01)
    )
    assert [planned_date_of(course, n) for n in (1, 2, 3, 4, 5)] == [
        D("2026-01-03"),
        D("2026-01-10"),
        D("2026-01-19"),
        D("2026-02-01"),
        D("2026-03-01"),
    ]
    assert [
        days_late(planned_date_of(course, d.number), d.injected_on) for d in course.injected
    ] == [
        0,
        2,
        -1,
        0,
    ]


def test_planned_date_of_a_future_dose_assumes_on_time_injections() -> None:
    """Beyond the next dose, planned dates assume each dose is injected when due."""
    course = on_time_course(MONTHLY, D("2026-01-03"), 2)
    plan = upcoming_doses(course, 6)
    assert [planned_date_of(course, dose.number) for dose in plan] == [d.due_on for d in plan]


def test_upcoming_doses_with_zero_or_negative_count() -> None:
    """Asking for no doses gives none; a negative count is a caller's bug."""
    course = Course(MONTHLY, D("2026-01-03"))
    assert upcoming_doses(course, 0) == []
    with pytest.raises(ValueError):
        upcoming_doses(course, -1)
