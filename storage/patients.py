"""Patients: who they are, their settings, their status, and erasing everything about them."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import (
    InjectionSite,
    MaintenanceMode,
    Patient,
    PatientStatus,
    QuietHours,
    Reminder,
    ReminderSettings,
    require_utc,
)
from storage.db import is_unique_violation
from storage.models import (
    CheckInRow,
    ConversationStateRow,
    DoseRow,
    PatientRow,
    ReminderRow,
)
from storage.reminders import REMINDER_COLUMNS, REMINDERS_TABLE, to_reminder
from storage.rows import by_value, table_values


class PatientAlreadyExists(Exception):
    """A Telegram user can be only one patient."""


class PatientNotFound(LookupError):
    pass


class Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = Unset.UNSET
"""Default of `PatientRepository.update` arguments: leave the field as it is."""


# --- conversions: the only place that knows how a patient is laid out in columns ------------


def delay_to_minutes(delay: timedelta) -> int:
    minutes, remainder = divmod(delay, timedelta(minutes=1))
    if remainder or minutes < 0:
        raise ValueError(f"check-in delay must be a whole, non-negative number of minutes: {delay}")
    return int(minutes)


def _write_settings(row: PatientRow, settings: ReminderSettings) -> None:
    row.time_zone = settings.time_zone
    row.reminder_time = settings.reminder_time
    row.quiet_start = settings.quiet_hours.start
    row.quiet_end = settings.quiet_hours.end
    row.heads_up_enabled = settings.heads_up
    row.prep_enabled = settings.prep
    row.check_in_delay_minutes = delay_to_minutes(settings.check_in_delay)


def _sites_to_json(sites: frozenset[InjectionSite]) -> list[str]:
    return sorted(InjectionSite(site).value for site in sites)


def to_patient(row: PatientRow | Sequence[Any]) -> Patient:
    """A patient from an ORM row, or from a Core row of the table's columns (read by
    position: `storage.rows`)."""
    (
        id_,
        telegram_user_id,
        chat_id,
        status,
        time_zone,
        reminder_time,
        quiet_start,
        quiet_end,
        heads_up_enabled,
        prep_enabled,
        check_in_delay_minutes,
        maintenance_mode,
        first_dose_date,
        caregiver_injects,
        excluded_sites,
        language,
        consented_at,
        snoozed_until,
        _unreachable_since,
        _plan_extend_at,
        created_at,
        _updated_at,
    ) = table_values(row, _PATIENTS)
    return Patient(
        id=id_,
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        status=_STATUSES[status],
        settings=ReminderSettings(
            time_zone=time_zone,
            reminder_time=reminder_time,
            quiet_hours=QuietHours(start=quiet_start, end=quiet_end),
            heads_up=heads_up_enabled,
            prep=prep_enabled,
            check_in_delay=timedelta(minutes=check_in_delay_minutes),
        ),
        mode=_MODES[maintenance_mode],
        first_dose_date=first_dose_date,
        caregiver_injects=caregiver_injects,
        excluded_sites=frozenset(_SITES[site] for site in excluded_sites),
        language=language,
        consented_at=consented_at,
        snoozed_until=snoozed_until,
        created_at=created_at,
    )


_STATUSES = by_value(PatientStatus)
_MODES = by_value(MaintenanceMode)
_SITES = by_value(InjectionSite)


def _optional_utc(instant: datetime | None, name: str) -> datetime | None:
    return None if instant is None else require_utc(instant, name)


# --- the repository -----------------------------------------------------------------------

# Reads that every button press and command makes, built once: plain Core selects of the
# table's columns skip building the statement, its cache key and the ORM's loading on each
# call (about a third of the cost of an ORM select here). Writes go through the ORM, which
# flushes at once, so these always see them.
_PATIENTS = cast(Table, PatientRow.__table__)
_PATIENT_BY_ID = select(*_PATIENTS.c).where(_PATIENTS.c.id == bindparam("patient_id"))
_PATIENT_BY_TELEGRAM_ID = select(*_PATIENTS.c).where(
    _PATIENTS.c.telegram_user_id == bindparam("telegram_user_id")
)
# A button press's first read: the presser and, only if it is theirs, the reminder the button
# is under, in one statement (the patient's columns, then the reminder's).
_PATIENT_WIDTH = len(_PATIENTS.c)
_PRESSER_AND_REMINDER = (
    select(*_PATIENTS.c, *REMINDER_COLUMNS)
    .select_from(
        _PATIENTS.outerjoin(
            REMINDERS_TABLE,
            (REMINDERS_TABLE.c.id == bindparam("reminder_id"))
            & (REMINDERS_TABLE.c.patient_id == _PATIENTS.c.id),
        )
    )
    .where(_PATIENTS.c.telegram_user_id == bindparam("telegram_user_id"))
)
# Written by every replan: `updated_at` stays (it says when the patient's facts changed).
_SET_PLAN_EXTEND_AT = (
    update(_PATIENTS)
    .where(_PATIENTS.c.id == bindparam("patient"))
    .values(plan_extend_at=bindparam("extend_at"), updated_at=_PATIENTS.c.updated_at)
)
# Taking a due extension clears it, so of two processes extending at once only the first
# replans: on PostgreSQL the second waits for the row lock, then finds nothing due.
_TAKE_PLAN_EXTENSION = (
    update(_PATIENTS)
    .where(_PATIENTS.c.id == bindparam("patient"), _PATIENTS.c.plan_extend_at <= bindparam("now"))
    .values(plan_extend_at=None, updated_at=_PATIENTS.c.updated_at)
    .returning(_PATIENTS.c.id)
)
_PLANS_TO_EXTEND = (
    select(_PATIENTS.c.id)
    .where(_PATIENTS.c.plan_extend_at <= bindparam("now"))
    .order_by(_PATIENTS.c.plan_extend_at, _PATIENTS.c.id)
    .limit(bindparam("limit"))
)


class PatientRepository:
    """Patients, read and written inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        telegram_user_id: int,
        chat_id: int,
        *,
        settings: ReminderSettings | None = None,
        mode: MaintenanceMode = MaintenanceMode.MONTHLY,
        language: str = "en",
    ) -> Patient:
        """A new patient in onboarding. Raises `PatientAlreadyExists` for a known user."""
        if await self._row_by_telegram_id(telegram_user_id) is not None:
            raise PatientAlreadyExists(telegram_user_id)
        row = PatientRow(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            status=PatientStatus.ONBOARDING.value,
            maintenance_mode=MaintenanceMode(mode).value,
            first_dose_date=None,
            caregiver_injects=False,
            excluded_sites=[],
            language=language,
        )
        _write_settings(row, settings or ReminderSettings())
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as error:  # created concurrently by another transaction
            if is_unique_violation(error):
                raise PatientAlreadyExists(telegram_user_id) from error
            raise
        return to_patient(row)

    async def get(self, patient_id: int) -> Patient | None:
        result = await self._session.execute(_PATIENT_BY_ID, {"patient_id": patient_id})
        row = result.one_or_none()
        return None if row is None else to_patient(row)

    async def get_by_telegram_id(self, telegram_user_id: int) -> Patient | None:
        result = await self._session.execute(
            _PATIENT_BY_TELEGRAM_ID, {"telegram_user_id": telegram_user_id}
        )
        row = result.one_or_none()
        return None if row is None else to_patient(row)

    async def get_by_telegram_id_with_reminder(
        self, telegram_user_id: int, reminder_id: int
    ) -> tuple[Patient, Reminder | None] | None:
        """The patient with this Telegram account and reminder `reminder_id` if it is theirs
        (None if it is another patient's or does not exist); None without such a patient."""
        result = await self._session.execute(
            _PRESSER_AND_REMINDER,
            {"telegram_user_id": telegram_user_id, "reminder_id": reminder_id},
        )
        row = result.one_or_none()
        if row is None:
            return None
        patient, reminder = row[:_PATIENT_WIDTH], row[_PATIENT_WIDTH:]
        return to_patient(patient), None if reminder[0] is None else to_reminder(reminder)

    async def update(
        self,
        patient_id: int,
        *,
        chat_id: int | Unset = UNSET,
        settings: ReminderSettings | Unset = UNSET,
        mode: MaintenanceMode | Unset = UNSET,
        first_dose_date: date | Unset | None = UNSET,
        caregiver_injects: bool | Unset = UNSET,
        excluded_sites: frozenset[InjectionSite] | Unset = UNSET,
        language: str | Unset = UNSET,
        consented_at: datetime | Unset | None = UNSET,
        snoozed_until: datetime | Unset | None = UNSET,
    ) -> Patient:
        """Change the given fields, leave the others. Raises `PatientNotFound`."""
        row = await self._row(patient_id)
        if not isinstance(chat_id, Unset):
            row.chat_id = chat_id
        if not isinstance(settings, Unset):
            _write_settings(row, settings)
        if not isinstance(mode, Unset):
            row.maintenance_mode = MaintenanceMode(mode).value
        if not isinstance(first_dose_date, Unset):
            row.first_dose_date = first_dose_date
        if not isinstance(caregiver_injects, Unset):
            row.caregiver_injects = caregiver_injects
        if not isinstance(excluded_sites, Unset):
            row.excluded_sites = _sites_to_json(excluded_sites)
        if not isinstance(language, Unset):
            row.language = language
        if not isinstance(consented_at, Unset):
            row.consented_at = _optional_utc(consented_at, "consented_at")
        if not isinstance(snoozed_until, Unset):
            row.snoozed_until = _optional_utc(snoozed_until, "snoozed_until")
        await self._session.flush()
        return to_patient(row)

    async def set_status(self, patient_id: int, status: PatientStatus, *, now: datetime) -> Patient:
        """Move a patient to `status`; `unreachable_since` records when they became unreachable."""
        row = await self._row(patient_id)
        status = PatientStatus(status)
        if status is PatientStatus.UNREACHABLE:
            if row.status != status.value or row.unreachable_since is None:
                row.unreachable_since = require_utc(now, "now")
        else:
            row.unreachable_since = None
        row.status = status.value
        await self._session.flush()
        return to_patient(row)

    async def set_plan_extend_at(self, patient_id: int, extend_at: datetime | None) -> None:
        """When the patient's stored plan next needs extending (None: it is whole)."""
        await self._session.execute(
            _SET_PLAN_EXTEND_AT,
            {"patient": patient_id, "extend_at": _optional_utc(extend_at, "extend_at")},
        )

    async def plan_extend_at(self, patient_id: int) -> datetime | None:
        """As stored (a read, not the session's copy of the row: replans write it as Core)."""
        extend_at: datetime | None = await self._session.scalar(
            select(_PATIENTS.c.plan_extend_at).where(_PATIENTS.c.id == patient_id)
        )
        return extend_at

    async def take_plan_extension(self, patient_id: int, *, now: datetime) -> bool:
        """Claim the extension of the patient's plan due by `now`, until the transaction ends
        (the replan then sets the next one). False: not due, or another process took it."""
        result = await self._session.execute(
            _TAKE_PLAN_EXTENSION, {"patient": patient_id, "now": require_utc(now, "now")}
        )
        return result.first() is not None

    async def plans_to_extend(self, *, now: datetime, limit: int) -> list[int]:
        """Patients whose stored plan needs extending by `now`, the longest waiting first."""
        result = await self._session.scalars(
            _PLANS_TO_EXTEND, {"now": require_utc(now, "now"), "limit": limit}
        )
        return list(result)

    async def unreachable_since(self, patient_id: int) -> datetime | None:
        row = await self._row(patient_id)
        return row.unreachable_since

    async def ids_by_status(self, status: PatientStatus) -> list[int]:
        result = await self._session.scalars(
            select(PatientRow.id)
            .where(PatientRow.status == PatientStatus(status).value)
            .order_by(PatientRow.id)
        )
        return list(result)

    async def count_by_status(self) -> dict[PatientStatus, int]:
        """Every status, including those with no patient (0)."""
        counts = dict.fromkeys(PatientStatus, 0)
        result = await self._session.execute(
            select(PatientRow.status, func.count()).group_by(PatientRow.status)
        )
        for status, count in result:
            counts[PatientStatus(status)] = count
        return counts

    async def erase(self, patient_id: int) -> bool:
        """Delete the patient and every row about them. False if there was no such patient.

        Explicit deletes rather than trusting ON DELETE CASCADE alone, so erasure does not
        depend on SQLite's foreign-key pragma; `tests/storage` checks every table.
        """
        row = await self._session.get(PatientRow, patient_id)
        if row is None:
            return False
        telegram_user_id = row.telegram_user_id
        for table in (ReminderRow, CheckInRow, DoseRow):
            await self._session.execute(delete(table).where(table.patient_id == patient_id))
        await self._session.execute(
            delete(ConversationStateRow).where(
                ConversationStateRow.telegram_user_id == telegram_user_id
            )
        )
        await self._session.delete(row)
        await self._session.flush()
        return True

    async def _row(self, patient_id: int) -> PatientRow:
        row = await self._session.get(PatientRow, patient_id)
        if row is None:
            raise PatientNotFound(patient_id)
        return row

    async def _row_by_telegram_id(self, telegram_user_id: int) -> PatientRow | None:
        result = await self._session.scalars(
            select(PatientRow).where(PatientRow.telegram_user_id == telegram_user_id)
        )
        return result.one_or_none()
