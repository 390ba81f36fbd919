"""The whole reminder plan from a patient's facts, and bringing the outbox in line with it
without repeating or losing a message (DESIGN.md "One idea", "Reminders (outbox)")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.model import (
    Course,
    InjectedDose,
    MaintenanceMode,
    PatientStatus,
    PlannedReminder,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from scheduling.planner import (
    FOLLOW_UP_LOOKAHEAD,
    PlanFacts,
    PlanWindow,
    desired_reminders,
    plan_window,
    reconcile,
)
from scheduling.regimen import next_dose
from scheduling.timeline import check_in_reminders, dose_reminders, reaction_follow_up
from tests.scheduling.strategies import inject_next, on_time_course, settings_in

D = date.fromisoformat
SETTINGS = settings_in("Europe/London", time(9, 0))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def course_after_dose_4() -> Course:
    """Week 0 on 2026-01-03; doses 1-4 injected on time, the last one at 09:10 UTC."""
    course = on_time_course(MaintenanceMode.MONTHLY, D("2026-01-03"), 3)
    return inject_next(course, D("2026-01-31"), utc("2026-01-31T09:10"))


def facts(**overrides: object) -> PlanFacts:
    values: dict[str, object] = {
        "status": PatientStatus.ACTIVE,
        "course": course_after_dose_4(),
        "settings": SETTINGS,
    }
    values.update(overrides)
    return PlanFacts(**values)  # type: ignore[arg-type]


def row(
    reminder: PlannedReminder,
    status: ReminderStatus = ReminderStatus.PENDING,
    row_id: int = 1,
) -> Reminder:
    return Reminder(
        id=row_id,
        patient_id=7,
        kind=reminder.kind,
        dose_number=reminder.dose_number,
        due_at=reminder.due_at,
        status=status,
        expires_at=reminder.expires_at,
    )


# --- desired_reminders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [PatientStatus.ONBOARDING, PatientStatus.PAUSED, PatientStatus.UNREACHABLE]
)
def test_no_reminders_unless_the_patient_is_active(status: PatientStatus) -> None:
    """Onboarding, paused and unreachable patients get no reminders at all."""
    assert desired_reminders(facts(status=status, check_in_open=True)) == []


def test_no_reminders_without_a_course() -> None:
    """A patient who has not given a first-dose date yet gets no reminders."""
    assert desired_reminders(facts(course=None)) == []


def test_active_patient_gets_the_next_doses_reminders() -> None:
    """An active patient's plan is the reminders of the next dose not injected yet."""
    wanted = desired_reminders(facts())
    course = course_after_dose_4()
    assert wanted == dose_reminders(next_dose(course), SETTINGS)
    assert {r.dose_number for r in wanted} == {5}


def test_open_check_in_adds_the_check_in_for_the_last_dose() -> None:
    """While the last dose's check-in is unanswered, its check-in and nudge are planned."""
    wanted = desired_reminders(facts(check_in_open=True))
    check_ins = [
        r for r in wanted if r.kind in (ReminderKind.CHECK_IN, ReminderKind.CHECK_IN_NUDGE)
    ]
    last = course_after_dose_4().injected[-1]
    assert check_ins == check_in_reminders(last, SETTINGS)
    assert [r.due_at for r in check_ins] == [utc("2026-01-31T15:10"), utc("2026-01-31T18:10")]
    assert {r.dose_number for r in check_ins} == {4}


def test_answered_check_in_is_not_planned() -> None:
    """Once the check-in is answered (not open), no check-in or nudge is planned."""
    kinds = {r.kind for r in desired_reminders(facts(check_in_open=False))}
    assert not kinds & {ReminderKind.CHECK_IN, ReminderKind.CHECK_IN_NUDGE}


def test_reported_reaction_adds_a_follow_up_next_morning() -> None:
    """A reported reaction is followed up the next morning, for the last dose."""
    reported_at = utc("2026-01-31T19:00")
    wanted = desired_reminders(facts(reaction_reported_at=reported_at))
    (follow_up,) = [r for r in wanted if r.kind is ReminderKind.REACTION_FOLLOW_UP]
    assert follow_up == reaction_follow_up(4, reported_at, SETTINGS)
    assert follow_up.due_at == utc("2026-02-01T08:00")


def test_desired_reminders_are_in_due_order_with_distinct_keys() -> None:
    """The plan is sorted by due time and holds each (kind, dose, due_at) once."""
    wanted = desired_reminders(
        facts(check_in_open=True, reaction_reported_at=utc("2026-01-31T19:00"))
    )
    assert [r.due_at for r in wanted] == sorted(r.due_at for r in wanted)
    assert len({r.key for r in wanted}) == len(wanted)


def test_snooze_reaches_the_dose_reminders() -> None:
    """The patient's snooze shapes the plan's nags for the open dose."""
    snoozed_until = utc("2026-02-28T12:00")
    wanted = desired_reminders(facts(snoozed_until=snoozed_until))
    nags = [r for r in wanted if r.kind in (ReminderKind.DOSE, ReminderKind.FOLLOW_UP)]
    assert nags[0].due_at == snoozed_until
    assert nags[0].kind is ReminderKind.FOLLOW_UP


def test_course_with_nothing_injected_plans_dose_1_and_no_check_in() -> None:
    """Before dose 1 there is nothing to check in about, even if a flag says so."""
    course = Course(MaintenanceMode.MONTHLY, D("2026-01-03"))
    wanted = desired_reminders(facts(course=course, check_in_open=True))
    assert {r.dose_number for r in wanted} == {1}
    assert not [r for r in wanted if r.kind is ReminderKind.CHECK_IN]


# --- reconcile -----------------------------------------------------------------------------

NOW = utc("2026-02-20T12:00")


def test_reconcile_adds_every_wanted_reminder_to_an_empty_outbox() -> None:
    """With nothing in the outbox, every wanted reminder that is not stale is added."""
    wanted = desired_reminders(facts())
    result = reconcile(wanted, [], now=NOW)
    assert result.to_add == wanted
    assert result.to_remove == []


@pytest.mark.parametrize("status", list(ReminderStatus))
def test_reminder_already_in_the_outbox_is_never_added_again(status: ReminderStatus) -> None:
    """A reminder whose (kind, dose, due_at) is in the outbox with any status is not re-added:
    a sent, cancelled or failed message is never repeated by a replan."""
    wanted = desired_reminders(facts())
    dose = next(r for r in wanted if r.kind is ReminderKind.DOSE)
    result = reconcile(wanted, [row(dose, status)], now=NOW)
    assert dose not in result.to_add
    assert len(result.to_add) == len(wanted) - 1
    assert result.to_remove == []


def test_pending_row_no_longer_wanted_is_removed() -> None:
    """A pending reminder the plan no longer wants (the dose was recorded) is removed."""
    course = course_after_dose_4()
    old_dose = next(
        r for r in dose_reminders(next_dose(course), SETTINGS) if r.kind is ReminderKind.DOSE
    )
    injected = inject_next(course, D("2026-02-28"), utc("2026-02-28T09:05"))
    result = reconcile(desired_reminders(facts(course=injected)), [row(old_dose)], now=NOW)
    assert result.to_remove == [1]


@pytest.mark.parametrize(
    "status",
    [ReminderStatus.CLAIMED, ReminderStatus.SENT, ReminderStatus.CANCELLED, ReminderStatus.FAILED],
)
def test_rows_that_are_not_pending_are_never_removed(status: ReminderStatus) -> None:
    """A claimed row is in flight and a finished row is history: neither is removed."""
    stale = PlannedReminder(ReminderKind.DOSE, 3, utc("2026-01-17T09:00"))
    result = reconcile(desired_reminders(facts()), [row(stale, status)], now=NOW)
    assert result.to_remove == []


@pytest.mark.parametrize("status", list(ReminderStatus))
def test_broadcast_rows_are_never_touched(status: ReminderStatus) -> None:
    """Broadcasts share the outbox but are not part of the plan: never removed or added."""
    broadcast = Reminder(
        id=99,
        patient_id=7,
        kind=ReminderKind.BROADCAST,
        dose_number=None,
        due_at=NOW,
        status=status,
        broadcast_id=3,
    )
    result = reconcile(desired_reminders(facts()), [broadcast], now=NOW)
    assert 99 not in result.to_remove
    assert all(r.kind is not ReminderKind.BROADCAST for r in result.to_add)
    assert reconcile([], [broadcast], now=NOW).to_remove == []


def test_stale_reminder_is_not_added() -> None:
    """A reminder that has already expired at `now` is not added (a prep after dose time)."""
    now = utc("2026-02-28T10:30")  # after the 09:00 dose reminder, before the 11:00 follow-up
    wanted = desired_reminders(facts())
    added = reconcile(wanted, [], now=now).to_add
    kinds = [r.kind for r in added]
    assert ReminderKind.HEADS_UP not in kinds
    assert ReminderKind.PREP not in kinds
    assert all(r.expires_at is None or r.expires_at > now for r in added)


def test_missed_reminder_still_valid_is_added_to_go_out_at_once() -> None:
    """A reminder that fell due while the bot was down but is still valid is added as is."""
    now = utc("2026-02-28T10:30")
    added = reconcile(desired_reminders(facts()), [], now=now).to_add
    dose = next(r for r in added if r.kind is ReminderKind.DOSE)
    assert dose.due_at == utc("2026-02-28T09:00") < now  # due in the past: goes out at once
    assert dose.expires_at is not None and dose.expires_at > now


def test_expiry_exactly_now_counts_as_stale() -> None:
    """A reminder that expires at `now` is no longer worth sending."""
    reminder = PlannedReminder(ReminderKind.PREP, 5, NOW - timedelta(minutes=30), NOW)
    assert reconcile([reminder], [], now=NOW).to_add == []


def test_reminder_without_expiry_is_always_added() -> None:
    """A reminder that never goes stale is added however late the replan is."""
    reminder = PlannedReminder(ReminderKind.FOLLOW_UP, 5, NOW - timedelta(days=30))
    assert reconcile([reminder], [], now=NOW).to_add == [reminder]


def test_reconcile_compares_instants_not_offsets() -> None:
    """An outbox row with the same instant in another offset is the same reminder."""
    wanted = PlannedReminder(ReminderKind.DOSE, 5, utc("2026-02-28T09:00"))
    same_instant = datetime(2026, 2, 28, 14, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    existing = Reminder(1, 7, ReminderKind.DOSE, 5, same_instant, ReminderStatus.PENDING)
    assert reconcile([wanted], [existing], now=NOW) == reconcile([wanted], [row(wanted)], now=NOW)
    assert reconcile([wanted], [existing], now=NOW).to_add == []


def test_reconcile_rejects_a_naive_now() -> None:
    """`now` is an aware instant; a naive one is a caller's bug."""
    with pytest.raises(ValueError):
        reconcile([], [], now=datetime(2026, 2, 20, 12, 0))


def test_recording_a_dose_swaps_its_nags_for_the_next_dose_and_the_check_in() -> None:
    """Injecting dose 5: its pending follow-ups go, dose 6's reminders and the check-in come;
    the dose 5 reminder already sent stays as it is."""
    course = course_after_dose_4()
    before = desired_reminders(facts(course=course))
    now = utc("2026-02-28T10:00")
    sent_dose = next(r for r in before if r.kind is ReminderKind.DOSE)
    outbox = [row(sent_dose, ReminderStatus.SENT, 1)] + [
        row(r, ReminderStatus.PENDING, index)
        for index, r in enumerate(before, start=2)
        if r.due_at > now
    ]
    after_course = inject_next(course, D("2026-02-28"), utc("2026-02-28T09:45"))
    after = desired_reminders(facts(course=after_course, check_in_open=True))
    result = reconcile(after, outbox, now=now)
    assert sorted(result.to_remove) == [r.id for r in outbox if r.status is ReminderStatus.PENDING]
    assert {r.dose_number for r in result.to_add if r.kind is ReminderKind.CHECK_IN} == {5}
    assert next(r for r in result.to_add if r.kind is ReminderKind.DOSE).due_at == utc(
        "2026-03-31T08:00"  # 09:00 BST
    )


def test_check_in_for_a_dose_with_an_injection_time_only() -> None:
    """The check-in uses the injection instant, whatever day the dose was planned."""
    course = Course(
        MaintenanceMode.MONTHLY,
        D("2026-01-03"),
        (InjectedDose(1, D("2026-01-03"), utc("2026-01-03T10:00")),),
    )
    wanted = desired_reminders(facts(course=course, check_in_open=True))
    (check_in,) = [r for r in wanted if r.kind is ReminderKind.CHECK_IN]
    assert check_in.due_at == utc("2026-01-03T13:00")  # 3 h after dose 1


def test_a_check_in_that_went_out_is_not_sent_again_at_a_new_time() -> None:
    """A check-in already sent for this dose is not planned again when a settings change
    (quiet hours, check-in delay) moves its time: a dose gets one check-in."""
    sent = desired_reminders(facts(check_in_open=True))
    sent_check_in = next(r for r in sent if r.kind is ReminderKind.CHECK_IN)
    later_settings = settings_in("Europe/London", time(9, 0))
    later = desired_reminders(
        facts(
            check_in_open=True, settings=replace(later_settings, check_in_delay=timedelta(hours=8))
        )
    )
    moved = next(r for r in later if r.kind is ReminderKind.CHECK_IN)
    assert moved.due_at != sent_check_in.due_at
    now = sent_check_in.due_at + timedelta(minutes=5)
    changes = reconcile(later, [row(sent_check_in, ReminderStatus.SENT)], now=now)
    assert ReminderKind.CHECK_IN not in {r.kind for r in changes.to_add}


def test_a_cancelled_prep_may_be_planned_again_at_a_new_time() -> None:
    """A prep reminder cancelled as stale (never sent) does not stop a re-timed one."""
    planned = desired_reminders(facts())
    prep = next(r for r in planned if r.kind is ReminderKind.PREP)
    now = prep.due_at - timedelta(days=1)
    later = desired_reminders(facts(settings=settings_in("Europe/London", time(10, 0))))
    changes = reconcile(later, [row(prep, ReminderStatus.CANCELLED)], now=now)
    assert ReminderKind.PREP in {r.kind for r in changes.to_add}


# --- plan_window: the part of the plan stored now ------------------------------------------

DOSE_5_AT = utc("2026-02-28T09:00")  # course_after_dose_4's next dose (London is on UTC)


def follow_up_times(reminders: list[PlannedReminder]) -> list[datetime]:
    return [r.due_at for r in reminders if r.kind is ReminderKind.FOLLOW_UP]


def test_window_holds_the_follow_ups_of_two_days_past_the_dose_time() -> None:
    """Planned a month ahead: heads-up, prep, the dose reminder and the follow-ups of the two
    days after it; the one left out first (day 3) is written a day before it falls due."""
    whole = desired_reminders(facts())
    window = plan_window(facts(), now=utc("2026-02-01T12:00"))
    assert window.reminders == [
        r
        for r in whole
        if r.kind is not ReminderKind.FOLLOW_UP or r.due_at <= DOSE_5_AT + FOLLOW_UP_LOOKAHEAD
    ]
    assert follow_up_times(window.reminders) == [
        utc("2026-02-28T11:00"),
        utc("2026-03-01T09:00"),
        utc("2026-03-02T09:00"),
    ]
    assert {r.kind for r in window.reminders} == {r.kind for r in whole}
    assert window.extend_at == utc("2026-03-02T09:00")  # day 3 (3 March, 09:00) less a day


def test_window_after_the_dose_time_reaches_two_days_past_now() -> None:
    """Still not injected five days on: the window runs two days past now, and each row
    keeps the expiry it has in the whole chain (the next nag's time)."""
    now = utc("2026-03-05T10:00")
    whole = desired_reminders(facts())
    window = plan_window(facts(), now=now)

    assert follow_up_times(window.reminders)[-2:] == [
        utc("2026-03-06T09:00"),
        utc("2026-03-07T09:00"),
    ]
    assert all(reminder in whole for reminder in window.reminders)
    assert window.extend_at == utc("2026-03-07T09:00")  # 8 March's follow-up, less a day


def test_a_check_in_is_never_left_out_of_the_window() -> None:
    """Only the open dose's follow-ups wait: the last dose's check-in is stored at once."""
    window = plan_window(facts(check_in_open=True), now=utc("2026-01-31T09:15"))
    assert [r.kind for r in window.reminders if r.dose_number == 4] == [
        ReminderKind.CHECK_IN,
        ReminderKind.CHECK_IN_NUDGE,
    ]


def test_nothing_left_out_means_nothing_to_extend() -> None:
    """Past the last weekly follow-up the whole plan is stored; a paused patient has none."""
    late = plan_window(facts(), now=DOSE_5_AT + timedelta(days=60))
    assert late == PlanWindow(desired_reminders(facts()), extend_at=None)
    assert plan_window(facts(status=PatientStatus.PAUSED), now=DOSE_5_AT) == PlanWindow([])


def test_window_rejects_a_naive_now() -> None:
    with pytest.raises(ValueError):
        plan_window(facts(), now=datetime(2026, 2, 1, 12, 0))
