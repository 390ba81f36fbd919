"""The reminder outbox: rows written by the planner, sent by the dispatcher.

The dispatcher's claim and lease queries live with the dispatcher's store; this module writes
the plan, lists it and records outcomes.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Delete,
    Result,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import (
    DELIVERY_PRIORITY,
    PlannedReminder,
    Reminder,
    ReminderKind,
    ReminderStatus,
    require_utc,
)
from storage.models import LAST_ERROR_LENGTH, ReminderRow
from storage.rows import by_value

# Outcomes can be recorded only for rows that have not reached an outcome yet.
_OPEN = (ReminderStatus.PENDING.value, ReminderStatus.CLAIMED.value)
REMINDERS_TABLE = cast(Table, ReminderRow.__table__)

# The columns `to_reminder` reads, for RETURNING and the reads below: domain objects without
# loading ORM rows. The table's columns, not the mapped class's: a statement of mapped
# attributes goes through the ORM's compile and result machinery even when it loads no objects.
_R = REMINDERS_TABLE.c
REMINDER_COLUMNS = (
    _R.id,
    _R.patient_id,
    _R.kind,
    _R.dose_number,
    _R.due_at,
    _R.status,
    _R.expires_at,
    _R.attempts,
    _R.lease_until,
    _R.telegram_message_id,
    _R.broadcast_id,
)
_REMINDER_WIDTH = len(REMINDER_COLUMNS)

# Built once (see storage/patients.py): the reads and the plan's insert of every press.
_REMINDER_BY_ID = select(*REMINDER_COLUMNS).where(_R.id == bindparam("reminder_id"))
_REMINDERS_OF = (
    select(*REMINDER_COLUMNS)
    .where(_R.patient_id == bindparam("patient_id"))
    .order_by(_R.due_at, _R.id)
)
_REMINDERS_OF_IN_STATUS = _REMINDERS_OF.where(_R.status == bindparam("status"))
_REMINDERS_ABOUT_DOSE_IN_STATUS = _REMINDERS_OF_IN_STATUS.where(
    _R.dose_number == bindparam("dose_number")
)
# What a replan looks at (`list_for_plan`): history of older doses only grows.
_UNSENT = (ReminderStatus.PENDING.value, ReminderStatus.CLAIMED.value, ReminderStatus.HELD.value)
# IN lists on a button press's path name each value as a parameter of its own: SQLAlchemy
# renders an IN of a list (an "expanding" parameter) anew at every execution, a few percent
# of a press's CPU.
_REMINDERS_FOR_PLAN = _REMINDERS_OF.where(
    or_(_R.status.in_([literal(s) for s in _UNSENT]), _R.dose_number >= bindparam("from_dose"))
)
# One multi-row INSERT ... RETURNING ("insertmanyvalues"), not a row-by-row flush. Not
# `sort_by_parameter_order=True`: SQLite cannot tie new rowids to the order of the rows, so
# SQLAlchemy would fall back to one INSERT per row there, the cost this avoids; the rows are
# matched back by their content instead. `render_nulls`: otherwise rows with and without
# `expires_at` would go in separate statements.
_INSERT_PLANNED = (
    insert(REMINDERS_TABLE).returning(*REMINDER_COLUMNS).execution_options(render_nulls=True)
)

_INSERT_PLANNED_ROWS = insert(REMINDERS_TABLE)


def _planned_rows(patient_id: int, planned: list[PlannedReminder]) -> list[dict[str, Any]]:
    return [
        {
            "patient_id": patient_id,
            "kind": reminder.kind.value,
            "dose_number": reminder.dose_number,
            "due_at": reminder.due_at,
            "expires_at": reminder.expires_at,
            "status": ReminderStatus.PENDING.value,
            "priority": DELIVERY_PRIORITY[reminder.kind],
            "attempts": 0,
        }
        for reminder in planned
    ]


# A replan's delete, of the table like the insert (no ORM bulk-delete layer), one statement
# per number of ids (up to `_IDS_PER_DELETE`), each compiled once.
_IDS_PER_DELETE = 32


@functools.cache
def _delete_pending_ids(count: int) -> Delete:
    return delete(REMINDERS_TABLE).where(
        _R.patient_id == bindparam("patient_id"),
        _R.status == ReminderStatus.PENDING.value,
        _R.id.in_([bindparam(f"id_{index}") for index in range(count)]),
    )


# What a planned reminder and its stored row have in common.
_Content = tuple[ReminderKind, int | None, datetime, datetime | None]


def _content(reminder: PlannedReminder | Reminder) -> _Content:
    return (reminder.kind, reminder.dose_number, reminder.due_at, reminder.expires_at)


def _by_id(reminder: Reminder) -> int:
    return reminder.id


_KINDS = by_value(ReminderKind)
_STATUSES = by_value(ReminderStatus)


def to_reminder(row: Sequence[Any]) -> Reminder:
    """A reminder from a Core row whose first columns are `REMINDER_COLUMNS`, in that order
    (RETURNING included), read by position (`storage.rows`)."""
    (
        id_,
        patient_id,
        kind,
        dose_number,
        due_at,
        status,
        expires_at,
        attempts,
        lease_until,
        telegram_message_id,
        broadcast_id,
    ) = row[:_REMINDER_WIDTH]
    return Reminder(
        id=id_,
        patient_id=patient_id,
        kind=_KINDS[kind],
        dose_number=dose_number,
        due_at=due_at,
        status=_STATUSES[status],
        expires_at=expires_at,
        attempts=attempts,
        lease_until=lease_until,
        telegram_message_id=telegram_message_id,
        broadcast_id=broadcast_id,
    )


def short_error(error: str) -> str:
    """Fit an error description in `last_error`. Callers pass a reason, never message text."""
    error = " ".join(error.split())
    if len(error) <= LAST_ERROR_LENGTH:
        return error
    return error[: LAST_ERROR_LENGTH - 1] + "…"


class ReminderRepository:
    """Reminder rows, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_planned(
        self, patient_id: int, planned: Iterable[PlannedReminder]
    ) -> list[Reminder]:
        """Store the plan's reminders as pending rows, prioritised by kind, in one INSERT.

        Returns them in the order given.
        """
        wanted = list(planned)
        if not wanted:
            return []  # an executemany with no rows would insert one row of defaults
        # On the session's connection, as Core: the ORM's bulk-insert layer adds nothing here.
        connection = await self._session.connection()
        result = await connection.execute(_INSERT_PLANNED, _planned_rows(patient_id, wanted))
        stored: dict[_Content, list[Reminder]] = defaultdict(list)
        # Identical rows differ only by id: the lower ids go to the earlier ones, as a
        # row-by-row insert would have numbered them.
        for reminder in sorted((to_reminder(row) for row in result), key=_by_id, reverse=True):
            stored[_content(reminder)].append(reminder)
        return [stored[_content(reminder)].pop() for reminder in wanted]

    async def insert_planned(self, patient_id: int, planned: Iterable[PlannedReminder]) -> None:
        """`add_planned` without reading the new rows back: one executemany, for a replan,
        which needs nothing of them (reading them back was a quarter of a press's database
        time)."""
        wanted = list(planned)
        if not wanted:
            return  # an executemany with no rows would insert one row of defaults
        # A Core statement (of the table, not the mapped class) goes through the session
        # straight to its connection: one executemany, no ORM bulk-insert layer.
        await self._session.execute(_INSERT_PLANNED_ROWS, _planned_rows(patient_id, wanted))

    async def get(self, reminder_id: int) -> Reminder | None:
        result = await self._session.execute(_REMINDER_BY_ID, {"reminder_id": reminder_id})
        row = result.one_or_none()
        return None if row is None else to_reminder(row)

    async def list_for_patient(
        self, patient_id: int, status: ReminderStatus | None = None
    ) -> list[Reminder]:
        """A patient's reminders by due time, optionally only those in `status`."""
        if status is None:
            result = await self._session.execute(_REMINDERS_OF, {"patient_id": patient_id})
        else:
            result = await self._session.execute(
                _REMINDERS_OF_IN_STATUS,
                {"patient_id": patient_id, "status": ReminderStatus(status).value},
            )
        return [to_reminder(row) for row in result]

    async def list_about_dose(
        self, patient_id: int, dose_number: int, status: ReminderStatus
    ) -> list[Reminder]:
        """The patient's reminders about one dose in `status`, by due time (not the years of
        other doses' rows)."""
        result = await self._session.execute(
            _REMINDERS_ABOUT_DOSE_IN_STATUS,
            {
                "patient_id": patient_id,
                "status": ReminderStatus(status).value,
                "dose_number": dose_number,
            },
        )
        return [to_reminder(row) for row in result]

    async def list_for_plan(self, patient_id: int, *, from_dose: int) -> list[Reminder]:
        """The patient's reminders a replan can concern, by due time: every one not sent yet
        (pending, in flight or held) and every one about dose `from_dose` or later.

        The rows about older doses are history that only grows (a few per dose, for years);
        a replan never wants them back, so it does not read them.
        """
        result = await self._session.execute(
            _REMINDERS_FOR_PLAN, {"patient_id": patient_id, "from_dose": from_dose}
        )
        return [to_reminder(row) for row in result]

    async def delete_pending(self, patient_id: int) -> int:
        """Drop the patient's unsent plan before writing a new one. Returns how many went.

        Claimed rows stay: a dispatcher may be sending them right now.
        """
        result = await self._session.execute(
            delete(ReminderRow)
            .where(
                ReminderRow.patient_id == patient_id,
                ReminderRow.status == ReminderStatus.PENDING.value,
            )
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)

    async def delete_pending_ids(self, patient_id: int, reminder_ids: Collection[int]) -> int:
        """Drop some of the patient's pending rows (a replan no longer wants them)."""
        ids = list(reminder_ids)
        removed = 0
        for start in range(0, len(ids), _IDS_PER_DELETE):
            chunk = ids[start : start + _IDS_PER_DELETE]
            parameters = {f"id_{index}": id_ for index, id_ in enumerate(chunk)}
            result = await self._session.execute(
                _delete_pending_ids(len(chunk)), {"patient_id": patient_id, **parameters}
            )
            removed += rowcount(result)
        return removed

    async def mark_sent(
        self, reminder_id: int, *, sent_at: datetime, telegram_message_id: int | None = None
    ) -> bool:
        """Record a delivery. False if the row was already sent, cancelled or failed."""
        return await self._finish(
            reminder_id,
            ReminderStatus.SENT,
            sent_at=require_utc(sent_at, "sent_at"),
            telegram_message_id=telegram_message_id,
        )

    async def mark_cancelled(self, reminder_id: int) -> bool:
        """Give up on a reminder (confirmed dose, stale prep). False if it already finished."""
        return await self._finish(reminder_id, ReminderStatus.CANCELLED)

    async def mark_failed(self, reminder_id: int, *, error: str) -> bool:
        """Record that delivery failed for good. False if the row already finished."""
        return await self._finish(reminder_id, ReminderStatus.FAILED, last_error=short_error(error))

    async def count_in_statuses(
        self, statuses: Collection[ReminderStatus]
    ) -> dict[ReminderStatus, int]:
        """How many rows are in each of `statuses` (0 for none): one index range count each,
        never reading the rows in other statuses (the sent history grows for years)."""
        counts: dict[ReminderStatus, int] = {}
        for status in statuses:
            count = await self._session.scalar(
                select(func.count()).where(ReminderRow.status == ReminderStatus(status).value)
            )
            counts[ReminderStatus(status)] = int(count or 0)
        return counts

    async def _finish(self, reminder_id: int, status: ReminderStatus, **values: object) -> bool:
        # A conditional UPDATE, so two dispatchers cannot both record an outcome.
        result = await self._session.execute(
            update(ReminderRow)
            .where(ReminderRow.id == reminder_id, ReminderRow.status.in_(_OPEN))
            .values(status=status.value, lease_until=None, **values)
            .execution_options(synchronize_session="fetch")
        )
        return rowcount(result) == 1


def rowcount(result: Result[Any]) -> int:
    # DML statements return a CursorResult, which knows how many rows matched.
    return cast(CursorResult[Any], result).rowcount
