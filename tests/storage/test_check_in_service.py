"""Answering check-ins: each answer is recorded with a replan in one transaction, and only for
the presser's own, still-open check-in; unanswered ones are recorded once their window ends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import (
    CheckIn,
    CheckInStatus,
    Patient,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from storage.check_in_service import (
    FromCheckIn,
    FromDose,
    FromReminder,
    Source,
    answer_follow_up,
    finish_details,
    in_progress,
    start_answer,
)
from storage.check_ins import CheckInRepository, reaction_reported
from storage.planning import record_dose, replan, start_planned_course
from storage.reminders import ReminderRepository

Sessions = async_sessionmaker[AsyncSession]
Maker = Callable[[int], Awaitable[Patient]]
WEEK_0 = date(2026, 1, 3)
INJECTED = datetime(2026, 1, 3, 9, 0, tzinfo=UTC)  # UTC patient, quiet hours 22:00-08:00
CHECK_IN_AT = INJECTED + timedelta(hours=3)  # dose 1


async def injected_patient(sessions: Sessions, make_patient: Maker, user: int = 1) -> Patient:
    """Dose 1 injected at 09:00 on Week 0; its check-in is planned for 12:00."""
    patient = await make_patient(user)
    async with sessions.begin() as session:
        await start_planned_course(
            session, patient.id, first_dose_date=WEEK_0, now=INJECTED - timedelta(days=1)
        )
        await record_dose(session, patient.id, injected_at=INJECTED, now=INJECTED)
    return patient


async def reminders(sessions: Sessions, patient_id: int) -> list[Reminder]:
    async with sessions() as session:
        return await ReminderRepository(session).list_for_patient(patient_id)


async def of_kind(
    sessions: Sessions, patient_id: int, kind: ReminderKind, status: ReminderStatus
) -> list[Reminder]:
    return [
        r for r in await reminders(sessions, patient_id) if r.kind is kind and r.status is status
    ]


async def send(sessions: Sessions, reminder: Reminder) -> None:
    async with sessions.begin() as session:
        assert await ReminderRepository(session).mark_sent(reminder.id, sent_at=reminder.due_at)


async def sent_check_in(sessions: Sessions, patient_id: int) -> Reminder:
    """The check-in reminder, as sent at its due time."""
    [check_in] = await of_kind(sessions, patient_id, ReminderKind.CHECK_IN, ReminderStatus.PENDING)
    await send(sessions, check_in)
    return check_in


async def check_ins(sessions: Sessions, patient_id: int) -> list[CheckIn]:
    async with sessions() as session:
        return await CheckInRepository(session).list_for_patient(patient_id)


async def test_all_good_closes_the_check_in_and_cancels_the_nudge(
    sessions: Sessions, make_patient: Maker
) -> None:
    patient = await injected_patient(sessions, make_patient)
    reminder = await sent_check_in(sessions, patient.id)
    now = CHECK_IN_AT + timedelta(minutes=5)
    async with sessions.begin() as session:
        answered = await start_answer(
            session, patient.id, FromReminder(reminder.id), "good", now=now
        )
    assert answered is not None
    assert (answered.dose_number, answered.answers, answered.status) == (
        1,
        ("good",),
        CheckInStatus.ANSWERED,
    )
    assert (answered.asked_at, answered.answered_at) == (CHECK_IN_AT, now)
    pending = await of_kind(
        sessions, patient.id, ReminderKind.CHECK_IN_NUDGE, ReminderStatus.PENDING
    )
    assert pending == []
    follow_ups = [
        r
        for r in await reminders(sessions, patient.id)
        if r.kind is ReminderKind.REACTION_FOLLOW_UP
    ]
    assert follow_ups == []
    async with sessions.begin() as session:  # a second press: the check-in is closed
        again = await start_answer(session, patient.id, FromReminder(reminder.id), "skin", now=now)
    assert again is None
    assert len(await check_ins(sessions, patient.id)) == 1


async def test_skin_details_then_the_follow_up_once(
    sessions: Sessions, make_patient: Maker
) -> None:
    """Skin is recorded at the first press; the details once; the follow-up next morning at
    08:00 (the end of the quiet hours); its answer is noted once and stops it."""
    patient = await injected_patient(sessions, make_patient)
    reminder = await sent_check_in(sessions, patient.id)
    async with sessions.begin() as session:
        started = await start_answer(
            session, patient.id, FromReminder(reminder.id), "skin", now=CHECK_IN_AT
        )
    assert started is not None and started.answers == ("skin",)
    [follow_up] = await of_kind(
        sessions, patient.id, ReminderKind.REACTION_FOLLOW_UP, ReminderStatus.PENDING
    )
    assert follow_up.due_at == datetime(2026, 1, 4, 8, 0, tzinfo=UTC)

    later = CHECK_IN_AT + timedelta(minutes=2)
    async with sessions.begin() as session:
        assert await in_progress(session, patient.id, started.id) is not None
        done = await finish_details(
            session,
            patient.id,
            started.id,
            symptoms=["redness", "swelling"],
            severity="moderate",
            now=later,
        )
        assert await in_progress(session, patient.id, started.id) is None
        twice = await finish_details(
            session, patient.id, started.id, symptoms=["pain"], severity="severe", now=later
        )
    assert done is not None and twice is None
    assert (done.answers, done.severity, done.answered_at) == (
        ("skin:redness", "skin:swelling"),
        "moderate",
        CHECK_IN_AT,  # the first answer's time: the follow-up keeps its morning
    )
    assert [
        r.due_at
        for r in await of_kind(
            sessions, patient.id, ReminderKind.REACTION_FOLLOW_UP, ReminderStatus.PENDING
        )
    ] == [follow_up.due_at]
    assert reaction_reported(await check_ins(sessions, patient.id), 1)

    await send(sessions, follow_up)
    morning = follow_up.due_at + timedelta(minutes=10)
    async with sessions.begin() as session:
        noted = await answer_follow_up(session, patient.id, follow_up.id, gone=False, now=morning)
        again = await answer_follow_up(session, patient.id, follow_up.id, gone=True, now=morning)
    assert noted is not None and noted[0].answers[-1] == "follow_up:still"
    assert again is None
    async with sessions.begin() as session:
        await replan(session, patient.id, now=morning + timedelta(days=1))
    follow_ups = [
        r
        for r in await reminders(sessions, patient.id)
        if r.kind is ReminderKind.REACTION_FOLLOW_UP
    ]
    assert [r.status for r in follow_ups] == [ReminderStatus.SENT]


async def test_allergic_is_urgent_and_a_new_report_after_an_answer(
    sessions: Sessions, make_patient: Maker
) -> None:
    """Allergic from an answered check-in is a new urgent report; from a check-in being
    answered it is added to it; pressed twice it is recorded once."""
    patient = await injected_patient(sessions, make_patient)
    reminder = await sent_check_in(sessions, patient.id)
    source = FromReminder(reminder.id)
    async with sessions.begin() as session:
        good = await start_answer(session, patient.id, source, "good", now=CHECK_IN_AT)
        urgent = await start_answer(session, patient.id, source, "allergic", now=CHECK_IN_AT)
    assert good is not None and urgent is not None and urgent.id != good.id
    assert (urgent.answers, urgent.urgent, urgent.dose_number) == (("allergic",), True, 1)

    async with sessions.begin() as session:
        flu = await start_answer(session, patient.id, FromDose(1), "flu", now=CHECK_IN_AT)
        assert flu is not None
        added = await start_answer(
            session, patient.id, FromCheckIn(flu.id), "allergic", now=CHECK_IN_AT
        )
        twice = await start_answer(
            session, patient.id, FromCheckIn(flu.id), "allergic", now=CHECK_IN_AT
        )
    assert added is not None and added.answers == ("flu", "allergic") and added.urgent
    assert twice == added
    assert len(await check_ins(sessions, patient.id)) == 3


async def test_forged_and_stale_sources_change_nothing(
    sessions: Sessions, make_patient: Maker
) -> None:
    patient = await injected_patient(sessions, make_patient)
    other = await injected_patient(sessions, make_patient, user=2)
    theirs = await sent_check_in(sessions, other.id)
    [dose_reminder] = await of_kind(sessions, patient.id, ReminderKind.DOSE, ReminderStatus.PENDING)
    async with sessions.begin() as session:
        forged: list[tuple[Source, str]] = [
            (FromReminder(theirs.id), "skin"),  # someone else's check-in
            (FromReminder(theirs.id), "allergic"),
            (FromReminder(dose_reminder.id), "good"),  # not a check-in
            (FromReminder(10**9), "good"),  # no such reminder
            (FromDose(2), "skin"),  # not the latest dose
            (FromDose(1), "good"),  # /reaction reports reactions
            (FromCheckIn(10**9), "allergic"),
            (FromReminder(dose_reminder.id), "maybe"),
        ]
        for source, choice in forged:
            assert await start_answer(session, patient.id, source, choice, now=CHECK_IN_AT) is None
        assert (
            await answer_follow_up(session, patient.id, theirs.id, gone=True, now=CHECK_IN_AT)
            is None
        )
    assert await check_ins(sessions, patient.id) == []
    assert await check_ins(sessions, other.id) == []


async def test_a_check_in_sent_and_never_answered_is_recorded_unanswered_once(
    sessions: Sessions, make_patient: Maker
) -> None:
    """Inside the 24 hours nothing is recorded; after them (at the next replan) the check-in is
    recorded as unanswered, once; a late answer still replaces it."""
    patient = await injected_patient(sessions, make_patient)
    reminder = await sent_check_in(sessions, patient.id)
    async with sessions.begin() as session:
        await replan(session, patient.id, now=INJECTED + timedelta(hours=23))
    assert await check_ins(sessions, patient.id) == []
    for _ in range(2):
        async with sessions.begin() as session:
            await replan(session, patient.id, now=INJECTED + timedelta(hours=24))
    [unanswered] = await check_ins(sessions, patient.id)
    assert (unanswered.status, unanswered.asked_at, unanswered.dose_number) == (
        CheckInStatus.UNANSWERED,
        CHECK_IN_AT,
        1,
    )
    late = INJECTED + timedelta(hours=30)
    async with sessions.begin() as session:
        answered = await start_answer(
            session, patient.id, FromReminder(reminder.id), "flu", now=late
        )
    assert answered is not None and answered.id == unanswered.id
    assert answered.status is CheckInStatus.ANSWERED


async def test_the_next_dose_closes_an_unanswered_check_in(
    sessions: Sessions, make_patient: Maker
) -> None:
    """A pending check-in of an earlier dose is recorded unanswered when the next is injected."""
    patient = await injected_patient(sessions, make_patient)
    await sent_check_in(sessions, patient.id)
    async with sessions.begin() as session:
        await CheckInRepository(session).create(patient.id, dose_number=1, asked_at=CHECK_IN_AT)
    dose_2 = INJECTED + timedelta(days=7)
    async with sessions.begin() as session:
        await record_dose(session, patient.id, injected_at=dose_2, now=dose_2)
    [closed] = await check_ins(sessions, patient.id)
    assert closed.status is CheckInStatus.UNANSWERED
    [dose_2_check_in] = await of_kind(
        sessions, patient.id, ReminderKind.CHECK_IN, ReminderStatus.PENDING
    )
    assert (dose_2_check_in.dose_number, dose_2_check_in.due_at) == (2, dose_2 + timedelta(hours=6))
