"""Recording a fact rewrites the patient's pending reminders in the same transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import (
    CheckInStatus,
    DoseSource,
    InjectionSite,
    Patient,
    PatientStatus,
    Reminder,
    ReminderKind,
    ReminderSettings,
    ReminderStatus,
)
from storage.check_ins import CheckInRepository
from storage.doses import DoseRepository
from storage.patients import PatientRepository
from storage.planning import (
    DoseNotOpen,
    DoseOutOfOrder,
    change_settings,
    record_dose,
    replan,
    set_status,
    snooze,
    start_mid_treatment,
    start_planned_course,
)
from storage.reminders import ReminderRepository
from tests.storage.test_press_queries import row_key

Sessions = async_sessionmaker[AsyncSession]
Maker = Callable[[int], Awaitable[Patient]]
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def london(day: str, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), LONDON).astimezone(UTC)


async def pending(sessions: Sessions, patient_id: int) -> list[Reminder]:
    async with sessions.begin() as session:
        return await ReminderRepository(session).list_for_patient(
            patient_id, ReminderStatus.PENDING
        )


def of_kind(reminders: list[Reminder], kind: ReminderKind) -> list[Reminder]:
    return [reminder for reminder in reminders if reminder.kind is kind]


async def started_patient(sessions: Sessions, make_patient: Maker, user: int = 1) -> Patient:
    """A London patient whose Week 0 is 2026-01-03, reminded at 09:00."""
    patient = await make_patient(user)
    async with sessions.begin() as session:
        await PatientRepository(session).update(
            patient.id, settings=ReminderSettings(time_zone="Europe/London")
        )
        return await start_planned_course(
            session, patient.id, first_dose_date=date(2026, 1, 3), now=NOW
        )


async def test_starting_a_course_plans_the_first_dose(sessions: Sessions, make_patient: Maker):
    """Week 0 planned: heads-up, prep, dose reminder and the follow-ups of the two days
    after it are pending for dose 1; the plan is due for extending a day before the next."""
    patient = await started_patient(sessions, make_patient)
    assert patient.status is PatientStatus.ACTIVE
    rows = await pending(sessions, patient.id)
    assert {row.dose_number for row in rows} == {1}
    assert [row.due_at for row in of_kind(rows, ReminderKind.DOSE)] == [london("2026-01-03")]
    assert of_kind(rows, ReminderKind.HEADS_UP)[0].due_at == london("2026-01-02")
    assert of_kind(rows, ReminderKind.PREP)[0].due_at == london("2026-01-03", 8, 30)
    assert [row.due_at for row in of_kind(rows, ReminderKind.FOLLOW_UP)] == [
        london("2026-01-03", 11),
        london("2026-01-04"),
        london("2026-01-05"),
    ]
    async with sessions() as session:
        extend_at = await PatientRepository(session).plan_extend_at(patient.id)
    assert extend_at == london("2026-01-05")  # 6 January's follow-up, less a day


async def test_recording_a_dose_moves_the_plan_to_the_next(sessions: Sessions, make_patient: Maker):
    """Dose 1 injected: its nags go, dose 2 is planned 7 days later, a check-in is pending."""
    patient = await started_patient(sessions, make_patient)
    injected_at = london("2026-01-03", 9, 5)
    async with sessions.begin() as session:
        recorded = await record_dose(
            session,
            patient.id,
            number=1,
            injected_at=injected_at,
            now=injected_at,
            site=InjectionSite.LEFT_THIGH,
        )
    assert recorded.created
    assert recorded.dose.planned_on == date(2026, 1, 3)
    assert recorded.next_dose.number == 2
    assert recorded.next_dose.due_on == date(2026, 1, 10)
    rows = await pending(sessions, patient.id)
    dose_rows = [
        row
        for row in rows
        if row.kind is not ReminderKind.CHECK_IN and row.kind is not ReminderKind.CHECK_IN_NUDGE
    ]
    assert {row.dose_number for row in dose_rows} == {2}
    assert of_kind(rows, ReminderKind.DOSE)[0].due_at == london("2026-01-10")
    check_in = of_kind(rows, ReminderKind.CHECK_IN)
    assert len(check_in) == 1 and check_in[0].dose_number == 1
    assert injected_at < check_in[0].due_at < injected_at + timedelta(hours=24)


async def test_a_replan_does_not_read_back_older_doses_history(
    sessions: Sessions, make_patient: Maker
):
    """Six doses, each injected at 09:05 on its day, with every reminder sent as it fell due
    and no check-in answered: recording dose 7 hands back only the rows a plan can concern
    (unsent ones, and those about doses 6 and 7), not the history of doses 1-5, and it still
    closes dose 6's unanswered check-in."""
    patient = await started_patient(sessions, make_patient)
    due_on = date(2026, 1, 3)
    message_id = 100
    for number in range(1, 8):
        injected_at = london(due_on.isoformat(), 9, 5)
        async with sessions.begin() as session:
            reminders = ReminderRepository(session)
            for reminder in await reminders.list_for_patient(patient.id, ReminderStatus.PENDING):
                if reminder.due_at <= injected_at:
                    message_id += 1
                    await reminders.mark_sent(
                        reminder.id, sent_at=reminder.due_at, telegram_message_id=message_id
                    )
            before = {row_key(r) for r in await reminders.list_for_patient(patient.id)}
            recorded = await record_dose(
                session, patient.id, number=number, injected_at=injected_at, now=injected_at
            )
        due_on = recorded.next_dose.due_on

    async with sessions() as session:
        stored = await ReminderRepository(session).list_for_patient(patient.id)
        check_ins = await CheckInRepository(session).list_for_patient(patient.id)
    assert {row.dose_number for row in stored if row.status is ReminderStatus.SENT} == set(
        range(1, 8)
    ), "every dose left sent reminders behind: the history is there"
    unsent = {ReminderStatus.PENDING, ReminderStatus.CLAIMED, ReminderStatus.HELD}
    concerned = [
        row
        for row in stored
        if row.status in unsent or (row.dose_number is not None and row.dose_number >= 6)
    ]
    # What was stored before dose 7 was recorded (its new plan is not read back).
    assert list(recorded.reminders) == [row for row in concerned if row_key(row) in before]
    assert any(row_key(row) not in before for row in concerned), "dose 8's plan is stored"
    assert [(c.dose_number, c.status) for c in check_ins if c.dose_number == 6] == [
        (6, CheckInStatus.UNANSWERED)
    ]


async def test_pressing_injected_twice_records_one_dose(sessions: Sessions, make_patient: Maker):
    """The same button pressed twice records one dose and changes nothing the second time."""
    patient = await started_patient(sessions, make_patient)
    at = london("2026-01-03", 9, 5)
    async with sessions.begin() as session:
        first = await record_dose(session, patient.id, number=1, injected_at=at, now=at)
    before = await pending(sessions, patient.id)
    async with sessions.begin() as session:
        second = await record_dose(
            session, patient.id, number=1, injected_at=at + timedelta(minutes=1), now=at
        )
    assert first.created and not second.created
    assert second.dose.id == first.dose.id
    assert await pending(sessions, patient.id) == before
    async with sessions.begin() as session:
        assert len(await DoseRepository(session).list_for_patient(patient.id)) == 1


async def test_a_dose_number_that_is_not_due_is_refused(sessions: Sessions, make_patient: Maker):
    """A forged or future dose number records nothing and leaves the plan alone."""
    patient = await started_patient(sessions, make_patient)
    before = await pending(sessions, patient.id)
    at = london("2026-01-03", 9, 5)
    with pytest.raises(DoseNotOpen):
        async with sessions.begin() as session:
            await record_dose(session, patient.id, number=7, injected_at=at, now=at)
    assert await pending(sessions, patient.id) == before


async def test_injections_in_the_future_or_out_of_order_are_refused(
    sessions: Sessions, make_patient: Maker
):
    """An injection dated in the future, or before the previous one, is refused."""
    patient = await started_patient(sessions, make_patient)
    at = london("2026-01-03", 9, 5)
    with pytest.raises(DoseOutOfOrder):
        async with sessions.begin() as session:
            await record_dose(session, patient.id, injected_at=at, now=at - timedelta(hours=1))
    async with sessions.begin() as session:
        await record_dose(session, patient.id, injected_at=at, now=at)
    with pytest.raises(DoseOutOfOrder):
        async with sessions.begin() as session:
            await record_dose(
                session,
                patient.id,
                injected_at=at,
                injected_on=date(2026, 1, 1),
                now=at + timedelta(days=1),
            )


async def test_a_late_dose_moves_every_later_date(sessions: Sessions, make_patient: Maker):
    """Dose 2 injected 3 days late: dose 3 is due 7 days after the real injection."""
    patient = await started_patient(sessions, make_patient)
    async with sessions.begin() as session:
        at = london("2026-01-03", 9, 5)
        await record_dose(session, patient.id, injected_at=at, now=at)
        late = london("2026-01-13", 19, 0)
        recorded = await record_dose(
            session, patient.id, injected_at=late, now=late, source=DoseSource.LOG
        )
    assert recorded.dose.planned_on == date(2026, 1, 10)
    assert recorded.next_dose.due_on == date(2026, 1, 20)
    rows = await pending(sessions, patient.id)
    assert of_kind(rows, ReminderKind.DOSE)[0].due_at == london("2026-01-20")


async def test_a_transaction_that_fails_keeps_neither_dose_nor_reminders(
    sessions: Sessions, make_patient: Maker
):
    """The fact and its reminders are written together or not at all."""
    patient = await started_patient(sessions, make_patient)
    before = await pending(sessions, patient.id)
    at = london("2026-01-03", 9, 5)
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            await record_dose(session, patient.id, injected_at=at, now=at)
            raise RuntimeError("crash after recording, before commit")
    assert await pending(sessions, patient.id) == before
    async with sessions.begin() as session:
        assert await DoseRepository(session).list_for_patient(patient.id) == []


async def test_moving_to_new_york_moves_pending_reminders(sessions: Sessions, make_patient: Maker):
    """A time-zone change replans: 09:00 in New York is 5 hours after 09:00 in London."""
    patient = await started_patient(sessions, make_patient)
    async with sessions.begin() as session:
        await change_settings(
            session, patient.id, now=NOW, settings=ReminderSettings(time_zone="America/New_York")
        )
    rows = await pending(sessions, patient.id)
    assert of_kind(rows, ReminderKind.DOSE)[0].due_at == london("2026-01-03", 14, 0)


async def test_sent_reminders_are_not_sent_again_on_replan(sessions: Sessions, make_patient: Maker):
    """A replan never re-adds a reminder that already went out."""
    patient = await started_patient(sessions, make_patient)
    heads_up = of_kind(await pending(sessions, patient.id), ReminderKind.HEADS_UP)[0]
    async with sessions.begin() as session:
        await ReminderRepository(session).mark_sent(heads_up.id, sent_at=heads_up.due_at)
        changes = await replan(session, patient.id, now=heads_up.due_at + timedelta(minutes=1))
    assert changes.to_add == [] and changes.to_remove == []
    assert of_kind(await pending(sessions, patient.id), ReminderKind.HEADS_UP) == []


async def test_pause_and_resume(sessions: Sessions, make_patient: Maker):
    """Paused: no pending reminders. Resumed: the plan is back."""
    patient = await started_patient(sessions, make_patient)
    planned = await pending(sessions, patient.id)
    async with sessions.begin() as session:
        await set_status(session, patient.id, PatientStatus.PAUSED, now=NOW)
    assert await pending(sessions, patient.id) == []
    async with sessions.begin() as session:
        await set_status(session, patient.id, PatientStatus.ACTIVE, now=NOW)
    resumed = await pending(sessions, patient.id)
    assert [(row.kind, row.due_at) for row in resumed] == [
        (row.kind, row.due_at) for row in planned
    ]


async def test_unreachable_patients_keep_their_reminders(sessions: Sessions, make_patient: Maker):
    """A patient who blocked the bot keeps their pending rows, held, until they return."""
    patient = await started_patient(sessions, make_patient)
    planned = await pending(sessions, patient.id)
    async with sessions.begin() as session:
        await set_status(session, patient.id, PatientStatus.UNREACHABLE, now=NOW)
    assert await pending(sessions, patient.id) == planned


async def test_mid_treatment_start(sessions: Sessions, make_patient: Maker):
    """ "My last dose was dose 6 on 2 Jan": dose 7 is planned one month later."""
    patient = await make_patient(5)
    async with sessions.begin() as session:
        await PatientRepository(session).update(
            patient.id, settings=ReminderSettings(time_zone="Europe/London")
        )
        await start_mid_treatment(
            session, patient.id, last_dose_on=date(2026, 1, 2), last_dose_number=6, now=NOW
        )
    rows = await pending(sessions, patient.id)
    assert {row.dose_number for row in rows} == {7}
    assert of_kind(rows, ReminderKind.DOSE)[0].due_at == london("2026-02-02")


async def test_snooze_replaces_earlier_nags(sessions: Sessions, make_patient: Maker):
    """Snoozed for an hour: one nag at the snooze time, nothing before it."""
    patient = await started_patient(sessions, make_patient)
    dose_at = london("2026-01-03")
    async with sessions.begin() as session:
        await snooze(session, patient.id, until=dose_at + timedelta(hours=1), now=dose_at)
    rows = await pending(sessions, patient.id)
    assert all(row.due_at >= dose_at + timedelta(hours=1) for row in rows)
    assert rows[0].kind is ReminderKind.FOLLOW_UP
    assert rows[0].due_at == dose_at + timedelta(hours=1)


async def test_a_missed_dose_reminder_goes_out_at_once(sessions: Sessions, make_patient: Maker):
    """Week 0 set up at 09:30 for 09:00 today: the dose reminder is due now, not dropped."""
    patient = await make_patient(9)
    now = london("2026-01-03", 9, 30)
    async with sessions.begin() as session:
        await PatientRepository(session).update(
            patient.id, settings=ReminderSettings(time_zone="Europe/London")
        )
        await start_planned_course(session, patient.id, first_dose_date=date(2026, 1, 3), now=now)
    rows = await pending(sessions, patient.id)
    due_now = [row for row in rows if row.due_at <= now]
    assert [row.kind for row in due_now] == [ReminderKind.DOSE]
    assert of_kind(rows, ReminderKind.PREP) == []  # its dose time has passed: stale
