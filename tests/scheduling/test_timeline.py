"""The reminders one dose produces and when: heads-up, prep, the dose reminder, follow-ups,
snooze, and after an injection the check-in and its nudge (DESIGN.md "Reminders (outbox)")."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.model import (
    InjectedDose,
    PlannedDose,
    PlannedReminder,
    QuietHours,
    ReminderKind,
)
from scheduling.timeline import (
    check_in_reminders,
    dose_reminders,
    dose_time,
    follow_up_wording,
    leave_quiet_hours,
    reaction_follow_up,
)
from tests.scheduling.strategies import (
    DST_CHANGE_DAYS,
    DST_ZONES,
    FOLD_DAYS,
    FOLD_WALLS,
    GAP_DAYS,
    GAP_WALLS,
    ZONES,
    settings_in,
)

D = date.fromisoformat
NO_QUIET_HOURS = QuietHours(time(0, 0), time(0, 0))
NAGS = (ReminderKind.DOSE, ReminderKind.FOLLOW_UP)


def local(zone: str, day: date | str, wall: time, fold: int = 0) -> datetime:
    """The UTC instant of a wall time that exists (test data, not the code under test)."""
    day = D(day) if isinstance(day, str) else day
    return datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).replace(fold=fold).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def of_kind(reminders: list[PlannedReminder], *kinds: ReminderKind) -> list[PlannedReminder]:
    return [reminder for reminder in reminders if reminder.kind in kinds]


def only(reminders: list[PlannedReminder], kind: ReminderKind) -> PlannedReminder:
    (found,) = of_kind(reminders, kind)
    return found


DOSE_5 = PlannedDose(5, D("2026-02-28"))


# --- before and at the dose ----------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
def test_dose_reminder_is_at_the_chosen_local_time_on_the_due_date(zone: str) -> None:
    """The dose reminder goes out at the patient's chosen local time on the due date."""
    reminders = dose_reminders(DOSE_5, settings_in(zone, time(9, 0)))
    dose = only(reminders, ReminderKind.DOSE)
    assert dose.due_at == local(zone, "2026-02-28", time(9, 0))
    assert dose.dose_number == 5
    assert dose_time(DOSE_5, settings_in(zone, time(9, 0))) == dose.due_at


@pytest.mark.parametrize("zone", ZONES)
def test_dose_reminder_ignores_quiet_hours(zone: str) -> None:
    """A time the patient chose goes out at that time, even inside their quiet hours."""
    reminders = dose_reminders(DOSE_5, settings_in(zone, time(23, 0)))
    assert only(reminders, ReminderKind.DOSE).due_at == local(zone, "2026-02-28", time(23, 0))


@pytest.mark.parametrize("zone", ZONES)
def test_heads_up_is_the_day_before_at_the_reminder_time(zone: str) -> None:
    """The heads-up goes out the day before, at the chosen time, and is stale at dose time."""
    reminders = dose_reminders(DOSE_5, settings_in(zone, time(9, 0)))
    heads_up = only(reminders, ReminderKind.HEADS_UP)
    assert heads_up.due_at == local(zone, "2026-02-27", time(9, 0))
    assert heads_up.expires_at == only(reminders, ReminderKind.DOSE).due_at


@pytest.mark.parametrize("zone", ZONES)
def test_prep_is_30_minutes_before_the_dose(zone: str) -> None:
    """Prep ("take the pen out of the fridge") is 30 min before the dose, stale at dose time."""
    reminders = dose_reminders(DOSE_5, settings_in(zone, time(9, 0)))
    dose_at = only(reminders, ReminderKind.DOSE).due_at
    prep = only(reminders, ReminderKind.PREP)
    assert prep.due_at == dose_at - timedelta(minutes=30)
    assert prep.expires_at == dose_at


def test_heads_up_and_prep_are_optional() -> None:
    """A patient who turned off the heads-up or the prep reminder gets neither."""
    both_off = dose_reminders(DOSE_5, settings_in("UTC", heads_up=False, prep=False))
    assert not of_kind(both_off, ReminderKind.HEADS_UP, ReminderKind.PREP)
    only_prep = dose_reminders(DOSE_5, settings_in("UTC", heads_up=False))
    assert [r.kind for r in of_kind(only_prep, ReminderKind.HEADS_UP, ReminderKind.PREP)] == [
        ReminderKind.PREP
    ]
    assert only(dose_reminders(DOSE_5, settings_in("UTC", prep=False)), ReminderKind.HEADS_UP)


@pytest.mark.parametrize("zone", DST_ZONES)
def test_dose_time_inside_the_spring_forward_gap_moves_to_the_first_valid_minute(
    zone: str,
) -> None:
    """A dose time inside the spring-forward gap moves to the first valid minute; prep stays
    30 min before that instant and the heads-up keeps the chosen time the day before."""
    day = GAP_DAYS[zone]
    gap_wall, first_valid = GAP_WALLS[zone]
    reminders = dose_reminders(PlannedDose(7, day), settings_in(zone, gap_wall))
    dose_at = only(reminders, ReminderKind.DOSE).due_at
    assert dose_at == local(zone, day, first_valid)
    assert only(reminders, ReminderKind.PREP).due_at == dose_at - timedelta(minutes=30)
    assert only(reminders, ReminderKind.HEADS_UP).due_at == local(
        zone, day - timedelta(days=1), gap_wall
    )


@pytest.mark.parametrize("zone", DST_ZONES)
def test_heads_up_inside_the_gap_moves_to_the_first_valid_minute(zone: str) -> None:
    """A heads-up whose day-before falls on a spring-forward day moves like the dose does."""
    day = GAP_DAYS[zone]
    gap_wall, first_valid = GAP_WALLS[zone]
    reminders = dose_reminders(PlannedDose(7, day + timedelta(days=1)), settings_in(zone, gap_wall))
    assert only(reminders, ReminderKind.HEADS_UP).due_at == local(zone, day, first_valid)


@pytest.mark.parametrize("zone", DST_ZONES)
def test_dose_time_on_the_fall_back_night_uses_the_first_occurrence(zone: str) -> None:
    """A dose time that happens twice on the fall-back night goes out the first time."""
    day, wall = FOLD_DAYS[zone], FOLD_WALLS[zone]
    reminders = dose_reminders(PlannedDose(7, day), settings_in(zone, wall))
    assert only(reminders, ReminderKind.DOSE).due_at == local(zone, day, wall, fold=0)


# --- follow-ups ----------------------------------------------------------------------------


def follow_up_days(zone: str, reminders: list[PlannedReminder], due_on: date) -> list[int]:
    tz = ZoneInfo(zone)
    return [
        (r.due_at.astimezone(tz).date() - due_on).days
        for r in of_kind(reminders, ReminderKind.FOLLOW_UP)
    ]


@pytest.mark.parametrize("zone", ZONES)
def test_first_follow_up_is_two_hours_after_the_dose_reminder(zone: str) -> None:
    """The first follow-up comes 2 h after the dose reminder when that is outside quiet hours."""
    reminders = dose_reminders(DOSE_5, settings_in(zone, time(9, 0)))
    first = of_kind(reminders, ReminderKind.FOLLOW_UP)[0]
    assert first.due_at == local(zone, "2026-02-28", time(11, 0))


@pytest.mark.parametrize("zone", ZONES)
def test_first_follow_up_moves_out_of_quiet_hours(zone: str) -> None:
    """Dose reminder at 21:00, quiet 22:00-08:00: the +2 h follow-up moves to 08:00."""
    reminders = dose_reminders(DOSE_5, settings_in(zone, time(21, 0)))
    first = of_kind(reminders, ReminderKind.FOLLOW_UP)[0]
    assert first.due_at == local(zone, "2026-03-01", time(8, 0))


def test_first_follow_up_is_dropped_within_an_hour_of_the_next_daily_one() -> None:
    """A +2 h follow-up pushed by quiet hours to within 1 h of the next daily one is dropped."""
    quiet = QuietHours(time(12, 0), time(10, 30))  # lands at 10:30, daily one at 11:00
    reminders = dose_reminders(DOSE_5, settings_in("UTC", time(11, 0), quiet_hours=quiet))
    follow_ups = of_kind(reminders, ReminderKind.FOLLOW_UP)
    assert follow_ups[0].due_at == utc("2026-03-01T11:00")
    assert all(r.due_at != utc("2026-03-01T10:30") for r in reminders)


def test_first_follow_up_is_kept_when_well_before_the_next_daily_one() -> None:
    """Pushed by quiet hours to 2 h before the next daily one, the +2 h follow-up is kept."""
    quiet = QuietHours(time(12, 0), time(9, 0))
    reminders = dose_reminders(DOSE_5, settings_in("UTC", time(11, 0), quiet_hours=quiet))
    follow_ups = of_kind(reminders, ReminderKind.FOLLOW_UP)
    assert [r.due_at for r in follow_ups[:2]] == [
        utc("2026-03-01T09:00"),
        utc("2026-03-01T11:00"),
    ]


@pytest.mark.parametrize("zone", ZONES)
def test_follow_ups_are_daily_for_14_days_then_weekly_until_day_56(zone: str) -> None:
    """After the +2 h one, follow-ups come daily at the chosen time for 14 days, then weekly
    until day 56."""
    reminders = dose_reminders(DOSE_5, settings_in(zone, time(9, 0)))
    follow_ups = of_kind(reminders, ReminderKind.FOLLOW_UP)[1:]
    tz = ZoneInfo(zone)
    days = [(r.due_at.astimezone(tz).date() - DOSE_5.due_on).days for r in follow_ups]
    assert days == [*range(1, 15), 21, 28, 35, 42, 49, 56]
    assert {r.due_at.astimezone(tz).time() for r in follow_ups} == {time(9, 0)}


@pytest.mark.parametrize(("zone", "change_day"), DST_CHANGE_DAYS)
def test_daily_follow_ups_keep_the_local_time_across_a_dst_change(
    zone: str, change_day: date
) -> None:
    """Daily follow-ups stay at the chosen local time when the clocks change in between."""
    due_on = change_day - timedelta(days=5)
    reminders = dose_reminders(PlannedDose(9, due_on), settings_in(zone, time(9, 0)))
    daily = of_kind(reminders, ReminderKind.FOLLOW_UP)[1:15]
    assert [r.due_at for r in daily] == [
        local(zone, due_on + timedelta(days=day), time(9, 0)) for day in range(1, 15)
    ]
    offsets = {r.due_at.astimezone(ZoneInfo(zone)).utcoffset() for r in daily}
    assert len(offsets) == 2  # the instants really did cross the change


@pytest.mark.parametrize("zone", ZONES)
def test_each_nag_expires_when_the_next_is_due(zone: str) -> None:
    """The dose reminder and each follow-up go stale when the next nag is due."""
    nags = of_kind(dose_reminders(DOSE_5, settings_in(zone, time(9, 0))), *NAGS)
    assert nags[0].kind is ReminderKind.DOSE
    for current, following in itertools.pairwise(nags):
        assert current.expires_at == following.due_at


@pytest.mark.parametrize("zone", ZONES)
def test_reminders_come_in_due_order_with_distinct_keys(zone: str) -> None:
    """A dose's reminders are sorted by due time and no two share (kind, dose, due_at)."""
    reminders = dose_reminders(DOSE_5, settings_in(zone, time(9, 0)))
    assert [r.due_at for r in reminders] == sorted(r.due_at for r in reminders)
    assert len({r.key for r in reminders}) == len(reminders)


def test_snooze_replaces_the_nags_due_before_it_with_one_at_the_snooze_instant() -> None:
    """Snoozed until 2 days after the due date: earlier nags are replaced by one follow-up at
    the snooze instant, and the later daily follow-ups are unchanged."""
    zone = "Europe/London"
    snoozed_until = local(zone, "2026-03-02", time(12, 0))
    plain = dose_reminders(DOSE_5, settings_in(zone, time(9, 0)))
    snoozed = dose_reminders(DOSE_5, settings_in(zone, time(9, 0)), snoozed_until=snoozed_until)
    nags = of_kind(snoozed, *NAGS)
    assert nags[0] == PlannedReminder(
        ReminderKind.FOLLOW_UP, 5, snoozed_until, local(zone, "2026-03-03", time(9, 0))
    )
    assert [r.due_at for r in nags[1:]] == [
        r.due_at for r in of_kind(plain, *NAGS) if r.due_at > snoozed_until
    ]


def test_snooze_an_hour_after_the_dose_reminder_keeps_the_later_follow_ups() -> None:
    """Snoozed for one hour at 09:00: the 10:00 nag replaces the 09:00 one, 11:00 stays."""
    snoozed_until = utc("2026-02-28T10:00")
    reminders = dose_reminders(DOSE_5, settings_in("UTC", time(9, 0)), snoozed_until=snoozed_until)
    nags = of_kind(reminders, *NAGS)
    assert [(r.kind, r.due_at) for r in nags[:3]] == [
        (ReminderKind.FOLLOW_UP, utc("2026-02-28T10:00")),
        (ReminderKind.FOLLOW_UP, utc("2026-02-28T11:00")),
        (ReminderKind.FOLLOW_UP, utc("2026-03-01T09:00")),
    ]
    assert nags[0].expires_at == utc("2026-02-28T11:00")


def test_snooze_given_in_another_zone_is_the_same_instant() -> None:
    """A snooze instant given with any UTC offset is stored as the same aware UTC instant."""
    snoozed_until = datetime(2026, 2, 28, 15, 30, tzinfo=ZoneInfo("Asia/Kolkata"))  # 10:00 UTC
    reminders = dose_reminders(DOSE_5, settings_in("UTC", time(9, 0)), snoozed_until=snoozed_until)
    first = of_kind(reminders, *NAGS)[0]
    assert first.due_at == utc("2026-02-28T10:00")
    assert first.due_at.tzinfo is UTC


def test_follow_up_wording_says_overdue_after_the_due_date() -> None:
    """A nag on the due date is not overdue; on a later local date it counts the days."""
    settings = settings_in("Australia/Sydney", time(9, 0))
    on_the_day = local("Australia/Sydney", "2026-02-28", time(23, 0))
    three_days_on = local("Australia/Sydney", "2026-03-03", time(9, 0))
    assert follow_up_wording(DOSE_5, on_the_day, settings).overdue is False
    assert follow_up_wording(DOSE_5, on_the_day, settings).days_overdue == 0
    assert follow_up_wording(DOSE_5, three_days_on, settings).days_overdue == 3
    assert follow_up_wording(DOSE_5, three_days_on, settings).overdue is True


# --- after an injection: check-in and nudge ------------------------------------------------


def injected(number: int, zone: str, day: str, wall: time, fold: int = 0) -> InjectedDose:
    return InjectedDose(number, D(day), local(zone, day, wall, fold))


@pytest.mark.parametrize("zone", ZONES)
def test_check_in_is_six_hours_after_the_injection_by_default(zone: str) -> None:
    """Injected at 09:00: check-in at 15:00, nudge at 18:00, both stale 24 h after injecting."""
    dose = injected(5, zone, "2026-02-28", time(9, 0))
    check_in, nudge = check_in_reminders(dose, settings_in(zone))
    assert (check_in.kind, check_in.dose_number) == (ReminderKind.CHECK_IN, 5)
    assert check_in.due_at == local(zone, "2026-02-28", time(15, 0))
    assert nudge.kind is ReminderKind.CHECK_IN_NUDGE
    assert nudge.due_at == local(zone, "2026-02-28", time(18, 0))
    assert dose.injected_at is not None
    assert check_in.expires_at == nudge.expires_at == dose.injected_at + timedelta(hours=24)


@pytest.mark.parametrize("zone", ZONES)
def test_check_in_after_dose_1_is_three_hours_later(zone: str) -> None:
    """Reactions are most frequent after the first dose: its check-in comes after 3 h."""
    dose = injected(1, zone, "2026-01-03", time(9, 0))
    check_in, nudge = check_in_reminders(dose, settings_in(zone))
    assert check_in.due_at == local(zone, "2026-01-03", time(12, 0))
    assert nudge.due_at == local(zone, "2026-01-03", time(15, 0))


@pytest.mark.parametrize("zone", ZONES)
def test_check_in_follows_the_patients_chosen_delay(zone: str) -> None:
    """The check-in delay is the patient's setting (here 4 h) for doses after the first."""
    dose = injected(5, zone, "2026-02-28", time(9, 0))
    check_in, _ = check_in_reminders(dose, settings_in(zone, check_in_delay=timedelta(hours=4)))
    assert check_in.due_at == local(zone, "2026-02-28", time(13, 0))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("number", [1, 2, 5])
def test_late_evening_injection_is_checked_in_at_the_end_of_quiet_hours(
    zone: str, number: int
) -> None:
    """Injected at 21:30 with quiet hours 22:00-08:00: the check-in is at 08:00 next morning,
    the nudge at 11:00."""
    dose = injected(number, zone, "2026-02-28", time(21, 30))
    check_in, nudge = check_in_reminders(dose, settings_in(zone))
    assert check_in.due_at == local(zone, "2026-03-01", time(8, 0))
    assert nudge.due_at == local(zone, "2026-03-01", time(11, 0))


@pytest.mark.parametrize("zone", ZONES)
def test_nudge_moves_out_of_quiet_hours(zone: str) -> None:
    """Check-in at 20:00: the nudge (+3 h = 23:00) moves to 08:00 next morning."""
    dose = injected(5, zone, "2026-02-28", time(14, 0))
    check_in, nudge = check_in_reminders(dose, settings_in(zone))
    assert check_in.due_at == local(zone, "2026-02-28", time(20, 0))
    assert nudge.due_at == local(zone, "2026-03-01", time(8, 0))


@pytest.mark.parametrize(("zone", "change_day"), DST_CHANGE_DAYS)
def test_check_in_over_a_dst_night_is_at_the_local_end_of_quiet_hours(
    zone: str, change_day: date
) -> None:
    """Injected at 21:30 on the eve of a DST change: check-in at 08:00 local, inside 24 h."""
    eve = (change_day - timedelta(days=1)).isoformat()
    dose = injected(5, zone, eve, time(21, 30))
    check_in, nudge = check_in_reminders(dose, settings_in(zone))
    assert check_in.due_at == local(zone, change_day, time(8, 0))
    assert nudge.due_at == local(zone, change_day, time(11, 0))
    assert dose.injected_at is not None
    assert dose.injected_at < check_in.due_at < dose.injected_at + timedelta(hours=24)


@pytest.mark.parametrize(("zone", "change_day"), DST_CHANGE_DAYS)
def test_check_in_delay_is_elapsed_time_across_a_dst_change(zone: str, change_day: date) -> None:
    """ "6 h later" is six hours of real time, whatever the clocks do in between."""
    eve = (change_day - timedelta(days=1)).isoformat()
    dose = injected(5, zone, eve, time(23, 0))
    assert dose.injected_at is not None
    (check_in, nudge) = check_in_reminders(dose, settings_in(zone, quiet_hours=NO_QUIET_HOURS))
    assert check_in.due_at - dose.injected_at == timedelta(hours=6)
    assert nudge.due_at - check_in.due_at == timedelta(hours=3)


def test_no_check_in_when_quiet_hours_last_past_the_24_hour_window() -> None:
    """When the end of quiet hours is 24 h or more after the injection, there is no check-in."""
    quiet = QuietHours(time(20, 0), time(10, 0))
    dose = injected(5, "Europe/London", "2026-02-28", time(9, 0))
    settings = settings_in("Europe/London", quiet_hours=quiet, check_in_delay=timedelta(hours=12))
    assert check_in_reminders(dose, settings) == []


def test_no_nudge_when_it_would_fall_after_the_24_hour_window() -> None:
    """A nudge that would come 24 h or more after the injection is not planned."""
    dose = injected(5, "UTC", "2026-02-28", time(14, 0))
    settings = settings_in("UTC", check_in_delay=timedelta(hours=22))
    reminders = check_in_reminders(dose, settings)
    assert [(r.kind, r.due_at) for r in reminders] == [
        (ReminderKind.CHECK_IN, utc("2026-03-01T12:00"))
    ]


def test_no_check_in_without_an_injection_time() -> None:
    """A dose logged with only a date has no instant to count 24 h from: no check-in."""
    assert check_in_reminders(InjectedDose(5, D("2026-02-28")), settings_in("UTC")) == []


@pytest.mark.parametrize("zone", ZONES)
def test_leave_quiet_hours_moves_to_the_end_of_the_window(zone: str) -> None:
    """An instant in quiet hours moves to their end (next morning from the evening part, the
    same morning from the early part); an instant outside them stays."""
    settings = settings_in(zone)
    evening = local(zone, "2026-02-28", time(23, 0))
    early = local(zone, "2026-03-01", time(3, 0))
    afternoon = local(zone, "2026-02-28", time(15, 0))
    assert leave_quiet_hours(evening, settings) == local(zone, "2026-03-01", time(8, 0))
    assert leave_quiet_hours(early, settings) == local(zone, "2026-03-01", time(8, 0))
    assert leave_quiet_hours(afternoon, settings) == afternoon
    exactly_the_end = local(zone, "2026-03-01", time(8, 0))
    assert leave_quiet_hours(exactly_the_end, settings) == exactly_the_end


# --- the fall-back night bug (quiet hours that end inside the repeated hour) --------------

FOLD_QUIET = {
    # zone: (quiet hours ending inside the repeated hour, injection, expected check-in), with
    # a 1 h delay the check-in falls in the SECOND occurrence of the repeated hour, which is
    # still quiet; it must move to the end of quiet hours after it, not an hour back.
    "Europe/London": (QuietHours(time(0, 0), time(1, 30)), "2026-10-25T00:00", "2026-10-25T01:30"),
    "America/New_York": (
        QuietHours(time(0, 0), time(1, 30)),
        "2026-11-01T05:00",
        "2026-11-01T06:30",
    ),
    "Australia/Sydney": (
        QuietHours(time(0, 0), time(2, 30)),
        "2026-04-04T15:00",
        "2026-04-04T16:30",
    ),
}


@pytest.mark.parametrize("zone", DST_ZONES)
def test_check_in_in_the_repeated_hour_is_never_moved_earlier_than_its_delay(zone: str) -> None:
    """On the fall-back night a check-in that lands in quiet hours moves forward to the end of
    them, never earlier than the delay after the injection."""
    quiet, injected_at, expected = FOLD_QUIET[zone]
    dose = InjectedDose(5, FOLD_DAYS[zone], utc(injected_at))
    settings = settings_in(zone, quiet_hours=quiet, check_in_delay=timedelta(hours=1))
    check_in = check_in_reminders(dose, settings)[0]
    assert check_in.due_at >= utc(injected_at) + timedelta(hours=1)
    assert check_in.due_at == utc(expected)


def test_check_in_is_strictly_after_the_injection_on_the_fall_back_night() -> None:
    """The check-in always lies strictly inside (injection, injection + 24 h)."""
    # Injected 01:31 BST (outside quiet 00:00-01:30); +30 min is 01:01 GMT, the repeated
    # hour, quiet again. The code moves it to 01:30 BST: 00:30 UTC, before the injection.
    injected_at = utc("2026-10-25T00:31")
    dose = InjectedDose(5, D("2026-10-25"), injected_at)
    settings = settings_in(
        "Europe/London",
        quiet_hours=QuietHours(time(0, 0), time(1, 30)),
        check_in_delay=timedelta(minutes=30),
    )
    check_in = check_in_reminders(dose, settings)[0]
    assert injected_at < check_in.due_at < injected_at + timedelta(hours=24)


def test_first_follow_up_is_never_earlier_than_two_hours_after_the_dose_reminder() -> None:
    """The first follow-up is 2 h after the dose reminder, or later when quiet hours push it."""
    # Dose reminder 00:15 BST (23:15 UTC); +2 h = 01:15 GMT, inside quiet 00:00-01:30 again.
    quiet = QuietHours(time(0, 0), time(1, 30))
    settings = settings_in("Europe/London", time(0, 15), quiet_hours=quiet)
    reminders = dose_reminders(PlannedDose(5, D("2026-10-25")), settings)
    dose_at = only(reminders, ReminderKind.DOSE).due_at
    first = of_kind(reminders, ReminderKind.FOLLOW_UP)[0]
    assert first.due_at >= dose_at + timedelta(hours=2)
    assert first.due_at == utc("2026-10-25T01:30")


# --- reaction follow-up --------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
def test_reaction_follow_up_is_the_next_morning_at_the_end_of_quiet_hours(zone: str) -> None:
    """A reported reaction is followed up the next morning, when quiet hours end."""
    reported_at = local(zone, "2026-02-28", time(20, 0))
    follow_up = reaction_follow_up(5, reported_at, settings_in(zone))
    assert follow_up.kind is ReminderKind.REACTION_FOLLOW_UP
    assert follow_up.dose_number == 5
    assert follow_up.due_at == local(zone, "2026-03-01", time(8, 0))
    assert follow_up.expires_at is not None and follow_up.expires_at > follow_up.due_at


def test_reaction_follow_up_without_quiet_hours_is_at_nine_next_morning() -> None:
    """Without quiet hours "the next morning" is 09:00 local."""
    reported_at = local("Asia/Kolkata", "2026-02-28", time(20, 0))
    settings = settings_in("Asia/Kolkata", quiet_hours=NO_QUIET_HOURS)
    follow_up = reaction_follow_up(5, reported_at, settings)
    assert follow_up.due_at == local("Asia/Kolkata", "2026-03-01", time(9, 0))


@pytest.mark.parametrize("zone", ZONES)
def test_reaction_reported_after_midnight_is_followed_up_that_same_morning(zone: str) -> None:
    """A reaction reported at 01:00 is followed up at 08:00 the same day, not a day later."""
    reported_at = local(zone, "2026-03-01", time(1, 0))
    follow_up = reaction_follow_up(5, reported_at, settings_in(zone))
    assert follow_up.due_at == local(zone, "2026-03-01", time(8, 0))


def test_reaction_follow_up_is_at_least_four_hours_after_the_report() -> None:
    """A report at 06:00 is too close to 08:00: the follow-up is the morning after."""
    reported_at = local("Europe/London", "2026-03-01", time(6, 0))
    follow_up = reaction_follow_up(5, reported_at, settings_in("Europe/London"))
    assert follow_up.due_at == local("Europe/London", "2026-03-02", time(8, 0))


def test_a_snooze_before_the_dose_time_is_ignored() -> None:
    """A snooze earlier than this dose's reminder belongs to an earlier dose: no early nag."""
    settings = settings_in("Europe/London")
    dose = PlannedDose(5, date(2026, 3, 10))
    stale_snooze = local("Europe/London", "2026-02-10", time(9, 15))
    assert dose_reminders(dose, settings, snoozed_until=stale_snooze) == dose_reminders(
        dose, settings
    )
