"""The outbox as the dispatcher sees it: claiming due reminders under a lease, recording
outcomes in groups, and holding a blocked patient's reminders until they come back.

`SqlReminderStore` implements `scheduling.ports.ReminderStore` on SQLite and PostgreSQL. On
PostgreSQL several processes may claim at once: the selection locks with `FOR UPDATE SKIP
LOCKED`, so each row goes to one of them. SQLite serves one process.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from scheduling.dispatcher import describe_error, error_location
from scheduling.model import (
    DELIVERY_PRIORITY,
    PatientStatus,
    Reminder,
    ReminderStatus,
    require_utc,
)
from scheduling.ports import (
    Cancelled,
    Failed,
    Outcome,
    PlansExtended,
    Rescheduled,
    Sent,
    Unreachable,
)
from storage.models import ReminderRow
from storage.patients import PatientNotFound, PatientRepository
from storage.planning import replan
from storage.reminders import REMINDER_COLUMNS, rowcount, short_error, to_reminder

# The claim asks each level in turn, most urgent first: a few range scans on the
# (status, priority, due_at) index instead of sorting every due row; `next_due_at` probes each
# level the same way. Rows are written with `DELIVERY_PRIORITY` values only
# (storage.reminders), so these are all the levels there are.
PRIORITY_LEVELS: tuple[int, ...] = tuple(sorted(set(DELIVERY_PRIORITY.values())))

# A claim that lost rows to a concurrent one (possible on SQLite only) picks again, this often.
_CLAIM_ROUNDS = 3

_PENDING = ReminderStatus.PENDING.value
_CLAIMED = ReminderStatus.CLAIMED.value
_HELD = ReminderStatus.HELD.value
_FAILED = ReminderStatus.FAILED.value
_CANCELLED = ReminderStatus.CANCELLED.value


_Row = Row[*tuple[Any, ...]]

log = logging.getLogger(__name__)

# How long a plan whose replan failed waits before it is tried again (logged each time).
EXTEND_RETRY_AFTER = timedelta(hours=1)


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Due and pending, or claimed by a worker whose lease ran out (it crashed)."""
    return or_(
        and_(ReminderRow.status == _PENDING, ReminderRow.due_at <= now),
        and_(ReminderRow.status == _CLAIMED, ReminderRow.lease_until <= now),
    )


class SqlReminderStore:
    """The reminders table behind the dispatcher's `ReminderStore` port."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta, worker: str
    ) -> Sequence[Reminder]:
        """Claim up to `limit` due reminders, most urgent priority first, then oldest first."""
        now = require_utc(now, "now")
        if limit < 1:
            return []
        rows: list[_Row] = []
        async with self._sessions.begin() as session:
            for _ in range(_CLAIM_ROUNDS):
                picked = await self._pick(session, now=now, limit=limit - len(rows))
                if not picked:
                    break
                # Re-checking the condition keeps the claim safe where the selection could not
                # lock (SQLite): a row another transaction claimed or deleted meanwhile is
                # skipped. This transaction now holds SQLite's write lock, so another pick
                # fills the batch; on PostgreSQL the locked rows never change under us.
                connection = await session.connection()
                claimed = await connection.execute(
                    update(ReminderRow)
                    # Wrapped so SQLite's planner cannot turn the OR into a scan of every due
                    # row (a MULTI-INDEX OR): the 500 ids are looked up by primary key.
                    .where(ReminderRow.id.in_(picked), func.coalesce(_claimable(now), false()))
                    .values(status=_CLAIMED, lease_until=now + lease, claimed_by=worker)
                    # Read straight from RETURNING: no ORM objects for a batch of 500.
                    .returning(*REMINDER_COLUMNS, ReminderRow.priority)
                )
                fresh = list(claimed)
                rows.extend(fresh)
                if len(fresh) == len(picked):
                    break
        rows.sort(key=lambda row: (row.priority, row.due_at, row.id))
        return [to_reminder(row) for row in rows]

    async def _pick(self, session: AsyncSession, *, now: datetime, limit: int) -> list[int]:
        """The ids to claim: per priority level, expired leases and due pending rows merged
        in due order. On PostgreSQL they stay locked until the claim commits."""
        picked: list[int] = []
        for priority in PRIORITY_LEVELS:
            room = limit - len(picked)
            if room <= 0:
                break
            expired = await self._due_ids(
                session,
                ReminderRow.status == _CLAIMED,
                ReminderRow.priority == priority,
                ReminderRow.lease_until <= now,
                limit=room,
            )
            pending = await self._due_ids(
                session,
                ReminderRow.status == _PENDING,
                ReminderRow.priority == priority,
                ReminderRow.due_at <= now,
                limit=room,
            )
            merged = heapq.merge(expired, pending)
            picked.extend(reminder_id for _, reminder_id in list(merged)[:room])
        return picked

    @staticmethod
    async def _due_ids(
        session: AsyncSession, *criteria: ColumnElement[bool], limit: int
    ) -> list[tuple[datetime, int]]:
        result = await session.execute(
            select(ReminderRow.due_at, ReminderRow.id)
            .where(*criteria)
            .order_by(ReminderRow.due_at, ReminderRow.id)
            .limit(limit)
            # Rows another worker is claiming right now are passed over, not waited for.
            .with_for_update(skip_locked=True)
        )
        return [(due_at, reminder_id) for due_at, reminder_id in result]

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        """Record a group of outcomes in one transaction.

        Only rows still `claimed` move (a replan may have deleted one meanwhile, or its lease
        may have run out and another worker finished it); a `sent` outcome is also kept for a
        row held meanwhile, since the message did go out. Patients found unreachable are
        marked last, so the group's other outcomes for their rows are kept.
        """
        if not outcomes:
            return
        async with self._sessions.begin() as session:
            await _record_rows(session, outcomes)
            unreachable: dict[int, datetime] = {}
            for outcome in outcomes:
                if isinstance(outcome, Unreachable):
                    unreachable.setdefault(outcome.patient_id, outcome.at)
            patients = PatientRepository(session)
            for patient_id, at in sorted(unreachable.items()):
                try:
                    await patients.set_status(patient_id, PatientStatus.UNREACHABLE, now=at)
                except PatientNotFound:
                    continue  # erased meanwhile, with all their reminders
                await hold_patient_reminders(session, patient_id)

    async def extend_plans(self, *, now: datetime, limit: int) -> PlansExtended:
        """Write the follow-ups plans left for later that are now near (`plan_extend_at`
        reached), for up to `limit` patients, the longest waiting first. Each patient is
        replanned in a transaction of their own, so one failure holds up no one else."""
        now = require_utc(now, "now")
        async with self._sessions() as session:
            due = await PatientRepository(session).plans_to_extend(now=now, limit=limit)
        extended = failed = 0
        for patient_id in due:
            try:
                async with self._sessions.begin() as session:
                    if not await PatientRepository(session).take_plan_extension(
                        patient_id, now=now
                    ):
                        continue  # replanned meanwhile (a press, another process)
                    await replan(session, patient_id, now=now)
            except PatientNotFound:
                continue  # erased meanwhile
            except Exception as error:
                await self._extension_failed(patient_id, error, now=now)
                failed += 1
                continue
            extended += 1
        return PlansExtended(extended=extended, failed=failed)

    async def _extension_failed(self, patient_id: int, error: Exception, *, now: datetime) -> None:
        # The error's type and where it came from, never its text (it may quote data).
        log.error(
            "could not extend patient #%d's plan: %s at %s; trying again in %s",
            patient_id,
            describe_error(error),
            error_location(error),
            EXTEND_RETRY_AFTER,
        )
        async with self._sessions.begin() as session:
            await PatientRepository(session).set_plan_extend_at(
                patient_id, now + EXTEND_RETRY_AFTER
            )

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending reminder falls due (None: nothing pending)."""
        async with self._sessions() as session:
            due_at: datetime | None = await session.scalar(_earliest_pending())
        return due_at


def _earliest_pending() -> Select[tuple[datetime | None]]:
    """The earliest pending due time: the least of each priority level's earliest, each one
    probe of the (status, priority, due_at) index (there is no (status, due_at) index to
    answer a plain min over every pending row)."""
    per_level = union_all(
        *(
            select(func.min(ReminderRow.due_at).label("due_at")).where(
                ReminderRow.status == _PENDING, ReminderRow.priority == priority
            )
            for priority in PRIORITY_LEVELS
        )
    ).subquery()
    return select(func.min(per_level.c.due_at))


async def _record_rows(session: AsyncSession, outcomes: Iterable[Outcome]) -> None:
    """The per-row outcomes, one executemany per kind of outcome."""
    sent: list[dict[str, Any]] = []
    rescheduled: list[dict[str, Any]] = []
    finished: list[dict[str, Any]] = []  # failed and cancelled
    for outcome in outcomes:
        match outcome:
            case Sent(reminder_id, message_id, at):
                sent.append({"b_id": reminder_id, "b_message_id": message_id, "b_at": at})
            case Rescheduled(reminder_id, due_at, attempts, error):
                rescheduled.append(
                    {
                        "b_id": reminder_id,
                        "b_due_at": require_utc(due_at, "due_at"),
                        "b_attempts": attempts,
                        "b_error": None if error is None else short_error(error),
                    }
                )
            case Failed(reminder_id, error, _):
                finished.append(
                    {"b_id": reminder_id, "b_status": _FAILED, "b_error": short_error(error)}
                )
            case Cancelled(reminder_id, reason, _):
                finished.append(
                    {"b_id": reminder_id, "b_status": _CANCELLED, "b_error": short_error(reason)}
                )
            case Unreachable():
                pass  # a patient-wide change, made by the caller
    # Core executemany (not the ORM's bulk update by primary key), so the status condition
    # applies to every row.
    connection = await session.connection()
    released = {"lease_until": None, "claimed_by": None}
    if sent:
        await connection.execute(
            update(ReminderRow)
            .where(
                ReminderRow.id == bindparam("b_id"),
                # Not IN (...): an expanding parameter cannot go into an executemany.
                or_(ReminderRow.status == _CLAIMED, ReminderRow.status == _HELD),
            )
            .values(
                status=ReminderStatus.SENT.value,
                sent_at=bindparam("b_at"),
                telegram_message_id=bindparam("b_message_id"),
                **released,
            ),
            sent,
        )
    if rescheduled:
        await connection.execute(
            update(ReminderRow)
            .where(ReminderRow.id == bindparam("b_id"), ReminderRow.status == _CLAIMED)
            .values(
                status=_PENDING,
                due_at=bindparam("b_due_at"),
                attempts=bindparam("b_attempts"),
                last_error=bindparam("b_error"),
                **released,
            ),
            rescheduled,
        )
    if finished:
        await connection.execute(
            update(ReminderRow)
            .where(ReminderRow.id == bindparam("b_id"), ReminderRow.status == _CLAIMED)
            .values(status=bindparam("b_status"), last_error=bindparam("b_error"), **released),
            finished,
        )


async def hold_patient_reminders(session: AsyncSession, patient_id: int) -> int:
    """Keep every unsent reminder of a patient who blocked the bot, pending or in flight,
    from being sent until `release_held`. Returns how many rows were held."""
    result = await session.execute(
        update(ReminderRow)
        .where(ReminderRow.patient_id == patient_id, ReminderRow.status.in_((_PENDING, _CLAIMED)))
        .values(status=_HELD, lease_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


async def release_held(session: AsyncSession, patient_id: int) -> int:
    """The patient is back (/start after blocking the bot): their held reminders become pending
    again, so those still meaningful go out; the caller then replans. Returns how many."""
    result = await session.execute(
        update(ReminderRow)
        .where(ReminderRow.patient_id == patient_id, ReminderRow.status == _HELD)
        .values(status=_PENDING, lease_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
