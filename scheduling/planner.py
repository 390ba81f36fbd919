"""A patient's whole reminder plan from their facts, and how to bring the outbox in line with it.

`desired_reminders` is what the plan wants; `reconcile` compares it with the rows the outbox
already holds, so a replan never re-sends a reminder that already went out and never drops
one that is still due. Both are pure: the caller passes `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduling.model import (
    Course,
    PatientStatus,
    PlannedReminder,
    Reminder,
    ReminderKind,
    ReminderSettings,
    ReminderStatus,
    require_utc,
)
from scheduling.regimen import next_dose
from scheduling.timeline import check_in_reminders, dose_reminders, dose_time, reaction_follow_up

# Kinds the plan owns; broadcasts live in the same outbox but are never replanned.
PLANNED_KINDS = frozenset(kind for kind in ReminderKind if kind is not ReminderKind.BROADCAST)

# Kinds a dose gets at most once: after one went out, a replan that re-times them (new quiet
# hours, a new check-in delay) must not send a second. Dose reminders and follow-ups are
# nags, keyed by their time, and may come again at a newly chosen time.
ONCE_PER_DOSE = frozenset(
    {
        ReminderKind.HEADS_UP,
        ReminderKind.PREP,
        ReminderKind.CHECK_IN,
        ReminderKind.CHECK_IN_NUDGE,
    }
)
_GONE_OUT = frozenset({ReminderStatus.CLAIMED, ReminderStatus.SENT, ReminderStatus.FAILED})


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """The facts that decide a patient's reminders."""

    status: PatientStatus
    course: Course | None  # None while onboarding has not given a date yet
    settings: ReminderSettings
    snoozed_until: datetime | None = None
    check_in_open: bool = False  # the last dose's check-in has not been answered
    reaction_reported_at: datetime | None = None  # a reaction still to follow up


def desired_reminders(
    facts: PlanFacts, *, follow_ups_until: datetime | None = None
) -> list[PlannedReminder]:
    """Every reminder the plan wants for this patient, in due order.

    `follow_ups_until`: the open dose's follow-ups only as far as `dose_reminders` says.
    """
    if facts.status is not PatientStatus.ACTIVE or facts.course is None:
        return []
    course = facts.course
    wanted = dose_reminders(
        next_dose(course),
        facts.settings,
        snoozed_until=facts.snoozed_until,
        follow_ups_until=follow_ups_until,
    )
    last = course.injected[-1] if course.injected else None
    if last is not None and facts.check_in_open:
        wanted.extend(check_in_reminders(last, facts.settings))
    if last is not None and facts.reaction_reported_at is not None:
        wanted.append(reaction_follow_up(last.number, facts.reaction_reported_at, facts.settings))
    return sorted(wanted, key=lambda reminder: reminder.due_at)


# The outbox holds a dose's follow-ups a few days at a time, not its whole 8-week chain: most
# doses are recorded on the day, and writing 21 nags only to delete them at the press was most
# of what a press cost. The rest are written as they come near (`PlanWindow.extend_at`), by
# the dispatcher's pass, a day or more before they fall due.
FOLLOW_UP_LOOKAHEAD = timedelta(days=2)  # follow-ups stored up to this long after the dose time
EXTEND_LEAD = timedelta(days=1)  # the next follow-up left out is written at least this early


@dataclass(frozen=True, slots=True)
class PlanWindow:
    """The part of the plan to store now, and when to plan again for the rest.

    `extend_at` is None when nothing was left out. Otherwise it is after the `now` the window
    was made for, so a replan at `extend_at` always moves it on.
    """

    reminders: list[PlannedReminder]
    extend_at: datetime | None = None


def plan_window(facts: PlanFacts, *, now: datetime) -> PlanWindow:
    """`desired_reminders` without the open dose's follow-ups due more than
    `FOLLOW_UP_LOOKAHEAD` after the dose time (or after `now`, once that is later).

    Everything else (heads-up, prep, the dose reminder, check-ins) is always in the window.
    Each follow-up keeps the expiry it has in the whole chain, so the window changes which
    rows are stored, never what a stored row says.
    """
    now = require_utc(now, "now")
    if facts.status is not PatientStatus.ACTIVE or facts.course is None:
        return PlanWindow([])
    dose = next_dose(facts.course)
    horizon = max(now, dose_time(dose, facts.settings)) + FOLLOW_UP_LOOKAHEAD
    # Each replan (every button press) plans only what the window can hold: the follow-ups
    # left out after the horizon never reach the outbox, and the first of them sets extend_at.
    wanted = desired_reminders(facts, follow_ups_until=horizon)
    kept: list[PlannedReminder] = []
    later: list[datetime] = []
    for reminder in wanted:
        if (
            reminder.kind is ReminderKind.FOLLOW_UP
            and reminder.dose_number == dose.number
            and reminder.due_at > horizon
        ):
            later.append(reminder.due_at)
        else:
            kept.append(reminder)
    if not later:
        return PlanWindow(kept)
    return PlanWindow(kept, extend_at=min(later) - EXTEND_LEAD)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What to change in the outbox: rows to add, pending rows no longer wanted."""

    to_add: list[PlannedReminder] = field(default_factory=list)
    to_remove: list[int] = field(default_factory=list)


def _key(reminder: Reminder) -> tuple[ReminderKind, int | None, datetime]:
    return (reminder.kind, reminder.dose_number, reminder.due_at)


def reconcile(
    desired: Iterable[PlannedReminder], existing: Sequence[Reminder], *, now: datetime
) -> Reconciliation:
    """Bring the outbox in line with the plan without repeating or losing a message.

    - a wanted reminder already in the outbox (pending, in flight or done) is left alone;
    - a pending row the plan no longer wants is removed (rows in flight are not touched);
    - a new wanted reminder is added unless it has already gone stale: one that fell due in
      the past but is still meaningful (a missed dose reminder) goes out at once;
    - a kind a dose gets once (heads-up, prep, check-in, nudge) is not added again after one
      of that kind went out for the dose, whatever its new time.
    """
    now = require_utc(now, "now")
    planned_rows = [row for row in existing if row.kind in PLANNED_KINDS]
    known = {_key(row) for row in planned_rows}
    once_done = {
        (row.kind, row.dose_number)
        for row in planned_rows
        if row.kind in ONCE_PER_DOSE and row.status in _GONE_OUT
    }
    wanted = list(desired)
    wanted_keys = {reminder.key for reminder in wanted}
    to_remove = [
        row.id
        for row in planned_rows
        if row.status is ReminderStatus.PENDING and _key(row) not in wanted_keys
    ]
    to_add = [
        reminder
        for reminder in wanted
        if reminder.key not in known
        and (reminder.kind, reminder.dose_number) not in once_done
        and (reminder.expires_at is None or reminder.expires_at > now)
    ]
    return Reconciliation(to_add=to_add, to_remove=to_remove)
