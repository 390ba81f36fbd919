"""The reminders one dose produces, each with the UTC instant it is due and when it goes stale.

Before a dose: heads-up the day before (optional), prep 30 minutes before (optional), the dose
reminder at the patient's chosen local time, then follow-ups until the dose is recorded. After
an injection: the reaction check-in within 24 hours and outside quiet hours, and one nudge.
Reminders at the patient's own chosen time ignore quiet hours (they picked that time); the ones
the bot times itself (follow-up +2 h, check-in, nudge) never land inside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.model import (
    InjectedDose,
    PlannedDose,
    PlannedReminder,
    ReminderKind,
    ReminderSettings,
    require_utc,
)
from scheduling.wallclock import local_instant

PREP_LEAD = timedelta(minutes=30)  # the pen needs 15-30 min to reach room temperature
FIRST_FOLLOW_UP_AFTER = timedelta(hours=2)
DAILY_FOLLOW_UP_DAYS = 14  # then weekly, so a patient who goes quiet is not nagged daily
WEEKLY_FOLLOW_UP_UNTIL_DAY = 56
CHECK_IN_WINDOW = timedelta(hours=24)  # reactions come mostly within 24 h (CLINICAL.md)
FIRST_DOSE_CHECK_IN_DELAY = timedelta(hours=3)  # reactions are most frequent after dose 1
CHECK_IN_NUDGE_AFTER = timedelta(hours=3)
REACTION_FOLLOW_UP_VALID_FOR = timedelta(hours=12)
REACTION_FOLLOW_UP_MIN_GAP = timedelta(hours=4)  # reported at 01:00 -> asked at 08:00
REACTION_FOLLOW_UP_DEFAULT_TIME = time(9, 0)  # "the next morning" when there are no quiet hours


def zone_of(settings: ReminderSettings) -> ZoneInfo:
    return ZoneInfo(settings.time_zone)


def dose_time(dose: PlannedDose, settings: ReminderSettings) -> datetime:
    """The UTC instant of the dose reminder: the chosen local time on the due date."""
    return local_instant(dose.due_on, settings.reminder_time, zone_of(settings))


def leave_quiet_hours(instant: datetime, settings: ReminderSettings) -> datetime:
    """`instant`, or the end of the quiet hours it falls in (never earlier than `instant`)."""
    zone = zone_of(settings)
    local = instant.astimezone(zone)
    quiet = settings.quiet_hours
    wall = local.time().replace(tzinfo=None)
    if wall not in quiet:
        return instant
    end_day: date = local.date()
    if quiet.start > quiet.end and wall >= quiet.start:
        end_day += timedelta(days=1)  # in the evening part of a window that wraps midnight
    end = local_instant(end_day, quiet.end, zone)
    if end <= instant:
        # The night the clocks go back: `instant` is in the second run of the repeated hour
        # and the quiet hours end inside it, so the end that counts is the second occurrence.
        end = datetime.combine(end_day, quiet.end, tzinfo=zone).replace(fold=1).astimezone(UTC)
    return max(end, instant)


def _daily_follow_up_days() -> list[int]:
    weekly = range(DAILY_FOLLOW_UP_DAYS + 7, WEEKLY_FOLLOW_UP_UNTIL_DAY + 1, 7)
    return [*range(1, DAILY_FOLLOW_UP_DAYS + 1), *weekly]


def _chain(
    kind_instants: list[tuple[ReminderKind, datetime]], number: int
) -> list[PlannedReminder]:
    """Reminders that each go stale when the next one is due (the last one never does)."""
    ordered = sorted(kind_instants, key=lambda pair: pair[1])
    chained: list[PlannedReminder] = []
    for index, (kind, due_at) in enumerate(ordered):
        expires = ordered[index + 1][1] if index + 1 < len(ordered) else None
        chained.append(PlannedReminder(kind, number, due_at, expires))
    return chained


def dose_reminders(
    dose: PlannedDose,
    settings: ReminderSettings,
    *,
    snoozed_until: datetime | None = None,
    follow_ups_until: datetime | None = None,
) -> list[PlannedReminder]:
    """Every reminder for a dose not recorded yet, in due order.

    A snooze (or "not today") replaces every nag due before `snoozed_until` with one at it.

    With `follow_ups_until`, the daily and weekly follow-ups stop at the first one due after
    it: the rest of the 8-week chain is left out. Every reminder due up to then, with its
    expiry, and the first one due after it, are as in the whole chain (the ones left out are
    all due later still).
    """
    zone = zone_of(settings)
    at = dose_time(dose, settings)
    before: list[PlannedReminder] = []
    if settings.heads_up:
        day_before = local_instant(dose.due_on - timedelta(days=1), settings.reminder_time, zone)
        before.append(PlannedReminder(ReminderKind.HEADS_UP, dose.number, day_before, at))
    if settings.prep:
        before.append(PlannedReminder(ReminderKind.PREP, dose.number, at - PREP_LEAD, at))

    daily: list[datetime] = []
    for day in _daily_follow_up_days():
        daily.append(local_instant(dose.due_on + timedelta(days=day), settings.reminder_time, zone))
        if follow_ups_until is not None and daily[-1] > follow_ups_until:
            break
    nags: list[tuple[ReminderKind, datetime]] = [(ReminderKind.DOSE, at)]
    first_follow_up = leave_quiet_hours(at + FIRST_FOLLOW_UP_AFTER, settings)
    if first_follow_up < daily[0] - timedelta(hours=1):
        nags.append((ReminderKind.FOLLOW_UP, first_follow_up))
    nags.extend((ReminderKind.FOLLOW_UP, instant) for instant in daily)

    if snoozed_until is not None:
        snoozed_until = require_utc(snoozed_until, "snoozed_until")
    if snoozed_until is not None and snoozed_until >= at:
        # Snooze buttons sit under the dose reminder and follow-ups, so a snooze before the
        # dose time belongs to an earlier dose: it is ignored rather than nagging early.
        before = [r for r in before if r.due_at >= snoozed_until]
        nags = [(kind, instant) for kind, instant in nags if instant > snoozed_until]
        nags.append((ReminderKind.FOLLOW_UP, snoozed_until))
    return sorted([*before, *_chain(nags, dose.number)], key=lambda r: r.due_at)


def check_in_delay(dose_number: int, settings: ReminderSettings) -> timedelta:
    """How long after the injection the check-in is asked (earlier after the first dose)."""
    if dose_number == 1:
        return min(settings.check_in_delay, FIRST_DOSE_CHECK_IN_DELAY)
    return settings.check_in_delay


def check_in_reminders(dose: InjectedDose, settings: ReminderSettings) -> list[PlannedReminder]:
    """The check-in after an injection and its one nudge, both inside the 24-hour window.

    Empty when the injection time is unknown or no instant outside quiet hours fits.
    """
    if dose.injected_at is None:
        return []
    injected_at = require_utc(dose.injected_at, "injected_at")
    window_end = injected_at + CHECK_IN_WINDOW
    asked = leave_quiet_hours(injected_at + check_in_delay(dose.number, settings), settings)
    if asked >= window_end:
        return []
    reminders = [PlannedReminder(ReminderKind.CHECK_IN, dose.number, asked, window_end)]
    nudge = leave_quiet_hours(asked + CHECK_IN_NUDGE_AFTER, settings)
    if nudge < window_end:
        reminders.append(
            PlannedReminder(ReminderKind.CHECK_IN_NUDGE, dose.number, nudge, window_end)
        )
    return reminders


def reaction_follow_up(
    dose_number: int, reported_at: datetime, settings: ReminderSettings
) -> PlannedReminder:
    """ "Are the symptoms gone?" the morning after a reaction was reported."""
    zone = zone_of(settings)
    quiet = settings.quiet_hours
    morning = quiet.end if quiet.start != quiet.end else REACTION_FOLLOW_UP_DEFAULT_TIME
    day = reported_at.astimezone(zone).date()
    due_at = local_instant(day, morning, zone)
    while due_at < reported_at + REACTION_FOLLOW_UP_MIN_GAP:
        day += timedelta(days=1)
        due_at = local_instant(day, morning, zone)
    return PlannedReminder(
        ReminderKind.REACTION_FOLLOW_UP, dose_number, due_at, due_at + REACTION_FOLLOW_UP_VALID_FOR
    )


@dataclass(frozen=True, slots=True)
class FollowUpWording:
    """Whether a nag is sent on the due date or after it (the notifier words it as overdue)."""

    overdue: bool
    days_overdue: int


def follow_up_wording(
    dose: PlannedDose, at: datetime, settings: ReminderSettings
) -> FollowUpWording:
    today = at.astimezone(zone_of(settings)).date()
    days = (today - dose.due_on).days
    return FollowUpWording(overdue=days > 0, days_overdue=max(days, 0))
