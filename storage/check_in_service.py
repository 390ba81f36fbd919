"""Recording a patient's answers about reactions after a dose, and replanning, in one transaction.

Every function takes a session inside the caller's transaction and the presser's patient id; it
checks that what a button names (a reminder, a check-in, a dose) is that patient's and still
open, and returns None otherwise, changing nothing. Answer strings: see `storage.check_ins`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import CheckIn, CheckInStatus, ReminderKind, ReminderStatus
from storage.check_ins import (
    ALL_GOOD,
    ALLERGIC,
    FOLLOW_UP_PREFIX,
    CheckInRepository,
    followed_up,
    reports_reaction,
)
from storage.doses import DoseRepository
from storage.planning import replan
from storage.reminders import ReminderRepository

CHECK_IN_KINDS = frozenset({ReminderKind.CHECK_IN, ReminderKind.CHECK_IN_NUDGE})
GROUPS = ("skin", "flu")  # the reactions asked about in more detail
CHOICES = (ALL_GOOD, *GROUPS, ALLERGIC)  # the four buttons under a check-in


@dataclass(frozen=True, slots=True)
class FromReminder:
    """A button under a check-in or its nudge."""

    reminder_id: int


@dataclass(frozen=True, slots=True)
class FromDose:
    """/reaction: a report about the latest dose, at any time."""

    dose_number: int


@dataclass(frozen=True, slots=True)
class FromCheckIn:
    """The allergic button shown under a check-in already being answered."""

    check_in_id: int


Source = FromReminder | FromDose | FromCheckIn


async def _latest_dose_number(session: AsyncSession, patient_id: int) -> int | None:
    doses = await DoseRepository(session).list_for_patient(patient_id)
    return doses[-1].number if doses else None


async def _asked_at(
    session: AsyncSession, patient_id: int, dose_number: int, *, default: datetime
) -> datetime:
    """When this dose's check-in went out, or `default` if it never did."""
    sent = await ReminderRepository(session).list_about_dose(
        patient_id, dose_number, ReminderStatus.SENT
    )
    asked = [reminder.due_at for reminder in sent if reminder.kind is ReminderKind.CHECK_IN]
    return asked[-1] if asked else default


async def _open_or_new(
    session: AsyncSession, patient_id: int, dose_number: int, *, new_report: bool, now: datetime
) -> CheckIn | None:
    """The dose's check-in to answer: the unanswered one, else (for a report) a new one.

    None when the dose's check-in was answered already and this is not a new report.
    """
    check_ins = CheckInRepository(session)
    about = await check_ins.list_for_dose(patient_id, dose_number)
    answered = any(check_in.status is CheckInStatus.ANSWERED for check_in in about)
    if answered and not new_report:
        return None
    if not answered and about:
        return about[-1]  # pending, or recorded unanswered: a late answer still counts
    asked_at = now if answered else await _asked_at(session, patient_id, dose_number, default=now)
    return await check_ins.create(patient_id, dose_number=dose_number, asked_at=asked_at)


async def start_answer(
    session: AsyncSession, patient_id: int, source: Source, choice: str, *, now: datetime
) -> CheckIn | None:
    """The first answer: all good, skin, flu-like or allergic; then replan.

    An allergic report is always recorded for the latest dose, even from an old check-in (it
    is a new report then); the other answers only while their check-in is open.
    """
    if choice not in CHOICES:
        return None
    check_ins = CheckInRepository(session)
    if isinstance(source, FromCheckIn):
        current = await check_ins.get(source.check_in_id)
        if choice != ALLERGIC or current is None or current.patient_id != patient_id:
            return None
        if ALLERGIC in current.answers:
            return current  # pressed twice: recorded once
        revised = await check_ins.revise(
            current.id,
            answers=[*current.answers, ALLERGIC],
            severity=current.severity,
            urgent=True,
        )
        await replan(session, patient_id, now=now)
        return revised
    latest = await _latest_dose_number(session, patient_id)
    if latest is None:
        return None
    if isinstance(source, FromReminder):
        reminder = await ReminderRepository(session).get(source.reminder_id)
        if reminder is None or reminder.patient_id != patient_id:
            return None  # never trust an id from the client
        if reminder.kind not in CHECK_IN_KINDS:
            return None
        if reminder.dose_number != latest and choice != ALLERGIC:
            return None  # a check-in for an earlier dose
    elif source.dose_number != latest or choice == ALL_GOOD:
        return None  # /reaction reports a reaction about the latest dose
    new_report = choice == ALLERGIC or isinstance(source, FromDose)
    target = await _open_or_new(session, patient_id, latest, new_report=new_report, now=now)
    if target is None:
        return None
    answered = await check_ins.answer(
        target.id, answers=[choice], answered_at=now, urgent=choice == ALLERGIC
    )
    await replan(session, patient_id, now=now)
    return answered


def group_of(check_in: CheckIn) -> str | None:
    """ "skin" or "flu" while the details of that reaction are still to be given, else None."""
    if check_in.status is not CheckInStatus.ANSWERED or check_in.severity is not None:
        return None
    groups = {answer.partition(":")[0] for answer in check_in.answers} & set(GROUPS)
    return groups.pop() if len(groups) == 1 else None


async def in_progress(session: AsyncSession, patient_id: int, check_in_id: int) -> CheckIn | None:
    """The presser's check-in whose details (which symptoms, how bad) are being asked."""
    check_in = await CheckInRepository(session).get(check_in_id)
    if check_in is None or check_in.patient_id != patient_id or group_of(check_in) is None:
        return None
    return check_in


async def finish_details(
    session: AsyncSession,
    patient_id: int,
    check_in_id: int,
    *,
    symptoms: Sequence[str],
    severity: str,
    now: datetime,
) -> CheckIn | None:
    """Which symptoms (of the check-in's group) and how bad; once. Then replan."""
    check_in = await in_progress(session, patient_id, check_in_id)
    if check_in is None or not symptoms:
        return None
    group = group_of(check_in)
    kept = [
        answer
        for answer in check_in.answers
        if answer == ALLERGIC or answer.startswith(FOLLOW_UP_PREFIX)
    ]
    answers = [*(f"{group}:{symptom}" for symptom in symptoms), *kept]
    revised = await CheckInRepository(session).revise(
        check_in.id, answers=answers, severity=severity, urgent=check_in.urgent
    )
    await replan(session, patient_id, now=now)
    return revised


async def answer_follow_up(
    session: AsyncSession, patient_id: int, reminder_id: int, *, gone: bool, now: datetime
) -> list[CheckIn] | None:
    """ "Are the symptoms gone?": noted on every report it asked about; then replan. None when
    the reminder is not the presser's reaction follow-up or was answered already."""
    reminder = await ReminderRepository(session).get(reminder_id)
    if (
        reminder is None
        or reminder.patient_id != patient_id
        or reminder.kind is not ReminderKind.REACTION_FOLLOW_UP
        or reminder.dose_number is None
    ):
        return None
    check_ins = CheckInRepository(session)
    waiting = [
        check_in
        for check_in in await check_ins.list_for_dose(patient_id, reminder.dose_number)
        if reports_reaction(check_in) and not followed_up(check_in)
    ]
    if not waiting:
        return None
    answer = f"{FOLLOW_UP_PREFIX}{'gone' if gone else 'still'}"
    revised: list[CheckIn] = []
    for check_in in waiting:
        updated = await check_ins.revise(
            check_in.id,
            answers=[*check_in.answers, answer],
            severity=check_in.severity,
            urgent=check_in.urgent,
        )
        assert updated is not None
        revised.append(updated)
    await replan(session, patient_id, now=now)
    return revised
