"""Read-only queries behind the admin commands: /stats figures, /overdue, /patient lookup.

Counts are aggregated in SQL; only small, time-bounded row sets (the last 30 days' doses and
reactions) are read into Python, where the rules that need date arithmetic or JSON answers are
applied portably on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Select, and_, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import (
    CheckIn,
    CheckInStatus,
    DoseRecord,
    Patient,
    PatientStatus,
    PlannedDose,
    Reminder,
    ReminderKind,
    ReminderStatus,
    require_utc,
)
from scheduling.regimen import days_late
from storage.check_ins import ALL_GOOD, ALLERGIC, FOLLOW_UP_PREFIX, CheckInRepository
from storage.doses import DoseRepository
from storage.models import CheckInRow, DoseRow, PatientRow, ReminderRow
from storage.patients import PatientRepository
from storage.planning import open_dose
from storage.reminders import ReminderRepository

STATS_WINDOW = timedelta(days=30)
# A dose reminder that went out less than a day ago is not "overdue": people inject during
# the day and confirm later.
OVERDUE_GRACE = timedelta(days=1)
ON_TIME_DAYS = 1  # "injected within a day of the planned date"
# Patients whose reminders still run (or are held): paused ones chose to stop.
_FOLLOWED_STATUSES = (PatientStatus.ACTIVE.value, PatientStatus.UNREACHABLE.value)


@dataclass(frozen=True, slots=True)
class Stats:
    """The /stats figures; "recent" ones cover `STATS_WINDOW` up to `now`."""

    patients: dict[PatientStatus, int]
    doses: int
    doses_with_plan: int  # those whose planned date is known (not a mid-treatment start)
    doses_on_time: int  # of those, injected within a day of the planned date
    overdue: int
    check_ins_asked: int
    check_ins_answered: int
    reactions: dict[tuple[str, str | None], int]  # (kind, severity) -> reports
    urgent: int
    reminders_pending: int
    reminders_sent_today: int  # since 00:00 UTC
    reminders_failed: int
    database_bytes: int | None


@dataclass(frozen=True, slots=True)
class OverduePatient:
    patient_id: int
    telegram_user_id: int
    dose_number: int
    due_at: datetime  # when the dose reminder was due


@dataclass(frozen=True, slots=True)
class LateDose:
    dose: DoseRecord
    days_late: int | None  # None: the planned date is unknown


@dataclass(frozen=True, slots=True)
class PatientDetails:
    patient: Patient
    next_dose: PlannedDose | None
    recent_doses: list[LateDose]  # newest first
    recent_reactions: list[CheckIn]  # newest first
    pending_reminders: list[Reminder]  # soonest first


def reaction_kinds(check_in: CheckIn) -> list[str]:
    """The reaction groups a check-in reports ("skin", "flu", "allergic"), without repeats."""
    kinds: list[str] = []
    for answer in check_in.answers:
        if answer == ALL_GOOD or answer.startswith(FOLLOW_UP_PREFIX):
            continue
        kind = ALLERGIC if answer == ALLERGIC else answer.split(":", 1)[0]
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _overdue_doses(now: datetime) -> Select[int, int | None, datetime]:
    """Per followed patient, the dose after their last recorded one, if its reminder was due
    before the grace.

    Walks the followed patients and, for each, probes the partial (patient_id, dose_number)
    index of dose reminders for the doses after the last one recorded: the cost follows the
    number of patients, not the years of reminders behind them (migration 006).
    """
    last_recorded = (
        select(func.coalesce(func.max(DoseRow.number), 0))
        .where(DoseRow.patient_id == PatientRow.id)
        .scalar_subquery()
    )
    return (
        select(
            ReminderRow.patient_id,
            ReminderRow.dose_number,
            func.min(ReminderRow.due_at).label("due_at"),
        )
        .select_from(PatientRow)
        .join(
            ReminderRow,
            and_(
                ReminderRow.patient_id == PatientRow.id,
                # Written out, not bound: PostgreSQL's generic plans for prepared statements
                # (asyncpg's) use a partial index only if the query states its predicate.
                ReminderRow.kind == literal_column(f"'{ReminderKind.DOSE.value}'"),
                ReminderRow.dose_number > last_recorded,
            ),
        )
        .where(
            ReminderRow.status != ReminderStatus.CANCELLED.value,
            ReminderRow.due_at <= require_utc(now, "now") - OVERDUE_GRACE,
            PatientRow.status.in_(_FOLLOWED_STATUSES),
        )
        .group_by(ReminderRow.patient_id, ReminderRow.dose_number)
    )


async def overdue_patients(
    session: AsyncSession, *, now: datetime, limit: int = 20
) -> tuple[list[OverduePatient], int]:
    """The most overdue patients first (at most `limit`), and how many are overdue in all."""
    overdue = _overdue_doses(now).subquery()
    total = await session.scalar(select(func.count()).select_from(overdue))
    rows = await session.execute(
        select(
            overdue.c.patient_id,
            PatientRow.telegram_user_id,
            overdue.c.dose_number,
            overdue.c.due_at,
        )
        .join(PatientRow, PatientRow.id == overdue.c.patient_id)
        .order_by(overdue.c.due_at, overdue.c.patient_id)
        .limit(limit)
    )
    listed = [
        OverduePatient(patient_id, telegram_user_id, int(dose_number), due_at)
        for patient_id, telegram_user_id, dose_number, due_at in rows
    ]
    return listed, int(total or 0)


async def database_bytes(session: AsyncSession) -> int | None:
    """The database's size on disk: SQLite's pages, or PostgreSQL's pg_database_size."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        pages = await session.scalar(text("PRAGMA page_count"))
        page_size = await session.scalar(text("PRAGMA page_size"))
        return int(pages or 0) * int(page_size or 0)
    if dialect == "postgresql":
        size = await session.scalar(text("SELECT pg_database_size(current_database())"))
        return None if size is None else int(size)
    return None


async def _dose_stats(session: AsyncSession, since: datetime) -> tuple[int, int, int]:
    # Date differences are not portable SQL; a month of doses is a small set to read.
    rows = await session.execute(
        select(DoseRow.planned_on, DoseRow.injected_on).where(DoseRow.injected_on >= since.date())
    )
    doses = with_plan = on_time = 0
    for planned_on, injected_on in rows:
        doses += 1
        lateness = days_late(planned_on, injected_on)
        if lateness is not None:
            with_plan += 1
            on_time += abs(lateness) <= ON_TIME_DAYS
    return doses, with_plan, on_time


async def _check_in_stats(
    session: AsyncSession, since: datetime
) -> tuple[int, int, dict[tuple[str, str | None], int], int]:
    asked_row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(CheckInRow.status == CheckInStatus.ANSWERED.value),
                func.count().filter(CheckInRow.urgent.is_(True)),
            ).where(CheckInRow.asked_at >= since)
        )
    ).one()
    asked, answered, urgent = (int(value or 0) for value in asked_row)
    # Answers are a JSON list; reading a month of answered check-ins keeps this portable.
    answered_rows = await session.scalars(
        select(CheckInRow).where(
            CheckInRow.asked_at >= since,
            CheckInRow.status == CheckInStatus.ANSWERED.value,
        )
    )
    reactions: dict[tuple[str, str | None], int] = {}
    for row in answered_rows:
        check_in = CheckIn(
            id=row.id,
            patient_id=row.patient_id,
            dose_number=row.dose_number,
            asked_at=row.asked_at,
            answered_at=row.answered_at,
            answers=tuple(row.answers),
            severity=row.severity,
            urgent=row.urgent,
        )
        for kind in reaction_kinds(check_in):
            severity = None if kind == ALLERGIC else check_in.severity
            reactions[(kind, severity)] = reactions.get((kind, severity), 0) + 1
    return asked, answered, reactions, urgent


# The reminder statuses /stats counts (pending and in flight, failed): each an index range
# count, never the sent history, which only grows.
SHOWN_REMINDER_STATUSES = (ReminderStatus.PENDING, ReminderStatus.CLAIMED, ReminderStatus.FAILED)


async def gather_stats(session: AsyncSession, *, now: datetime) -> Stats:
    """Every /stats figure at `now`, in a handful of queries."""
    now = require_utc(now, "now")
    since = now - STATS_WINDOW
    start_of_day = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    patients = await PatientRepository(session).count_by_status()
    doses, with_plan, on_time = await _dose_stats(session, since)
    overdue = await session.scalar(select(func.count()).select_from(_overdue_doses(now).subquery()))
    asked, answered, reactions, urgent = await _check_in_stats(session, since)
    reminders = await ReminderRepository(session).count_in_statuses(SHOWN_REMINDER_STATUSES)
    sent_today = await session.scalar(
        select(func.count()).where(
            and_(
                # Written out, not bound: PostgreSQL's generic plans for prepared statements
                # (asyncpg's) use a partial index only if the query states its predicate.
                ReminderRow.status == literal_column(f"'{ReminderStatus.SENT.value}'"),
                ReminderRow.sent_at >= start_of_day,
            )
        )
    )
    return Stats(
        patients=patients,
        doses=doses,
        doses_with_plan=with_plan,
        doses_on_time=on_time,
        overdue=int(overdue or 0),
        check_ins_asked=asked,
        check_ins_answered=answered,
        reactions=reactions,
        urgent=urgent,
        reminders_pending=reminders[ReminderStatus.PENDING] + reminders[ReminderStatus.CLAIMED],
        reminders_sent_today=int(sent_today or 0),
        reminders_failed=reminders[ReminderStatus.FAILED],
        database_bytes=await database_bytes(session),
    )


async def patient_details(
    session: AsyncSession,
    telegram_user_id: int,
    *,
    doses: int = 5,
    reactions: int = 3,
    reminders: int = 5,
) -> PatientDetails | None:
    """What /patient shows about one patient, or None for an unknown Telegram id."""
    patient = await PatientRepository(session).get_by_telegram_id(telegram_user_id)
    if patient is None:
        return None
    recorded = await DoseRepository(session).list_for_patient(patient.id)
    check_ins = await CheckInRepository(session).list_for_patient(patient.id)
    pending = await ReminderRepository(session).list_for_patient(patient.id, ReminderStatus.PENDING)
    reported = [c for c in check_ins if c.status is CheckInStatus.ANSWERED and reaction_kinds(c)]
    reported.sort(key=lambda c: c.id)
    return PatientDetails(
        patient=patient,
        next_dose=await open_dose(session, patient.id),
        recent_doses=[
            LateDose(dose, days_late(dose.planned_on, dose.injected_on))
            for dose in reversed(recorded[-doses:])
        ],
        recent_reactions=list(reversed(reported[-reactions:])),
        pending_reminders=pending[:reminders],
    )
