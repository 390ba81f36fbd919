"""Broadcasts: an admin's message to every consented patient, delivered through the outbox.

A broadcast starts as a draft (the admin sees a preview); sending it writes one BROADCAST
outbox row per recipient in the same transaction, so the dispatcher delivers it with the
rate limit and the priorities of everything else, and a restart loses nothing. The unique
(patient_id, broadcast_id) constraint keeps one patient from getting it twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import (
    DELIVERY_PRIORITY,
    PatientStatus,
    QuietHours,
    ReminderKind,
    ReminderSettings,
    ReminderStatus,
    require_utc,
)
from scheduling.timeline import leave_quiet_hours
from storage.audit import AuditLog
from storage.models import BroadcastRow, PatientRow, ReminderRow
from storage.reminders import rowcount

AUDIT_ACTION = "broadcast"
# Patients who consented and did not block the bot; paused patients still hear from the team.
RECIPIENT_STATUSES = (PatientStatus.ACTIVE.value, PatientStatus.PAUSED.value)


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"  # previewed, waiting for Send or Cancel
    SENDING = "sending"  # outbox rows written; the dispatcher is delivering them
    DONE = "done"  # nothing pending any more; final counts shown
    CANCELLED = "cancelled"


class BroadcastNotDraft(Exception):
    """Send or Cancel on a broadcast that was already sent or cancelled (or never existed)."""


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    admin_telegram_id: int
    text: str
    status: BroadcastStatus
    total: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BroadcastCounts:
    """Where a broadcast's outbox rows are. Rows of patients erased meanwhile are gone."""

    total: int  # recipients when it was sent
    sent: int = 0
    unreachable: int = 0  # held: the patient blocked the bot
    failed: int = 0  # failed or cancelled
    pending: int = 0  # pending or claimed: still on their way

    @property
    def finished(self) -> bool:
        return self.pending == 0


def _to_broadcast(row: BroadcastRow) -> Broadcast:
    return Broadcast(
        id=row.id,
        admin_telegram_id=row.admin_telegram_id,
        text=row.text,
        status=BroadcastStatus(row.status),
        total=row.total,
        created_at=row.created_at,
    )


def _is_recipient() -> Any:
    return (PatientRow.consented_at.is_not(None)) & (PatientRow.status.in_(RECIPIENT_STATUSES))


class BroadcastRepository:
    """Broadcasts, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def text_of(self, broadcast_id: int) -> str | None:
        """The text of a broadcast, or None if there is no such broadcast."""
        text: str | None = await self._session.scalar(
            select(BroadcastRow.text).where(BroadcastRow.id == broadcast_id)
        )
        return text

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._session.get(BroadcastRow, broadcast_id)
        return None if row is None else _to_broadcast(row)

    async def count_recipients(self) -> int:
        """How many patients a broadcast sent now would reach."""
        count = await self._session.scalar(
            select(func.count()).select_from(PatientRow).where(_is_recipient())
        )
        return int(count or 0)

    async def create_draft(self, admin_telegram_id: int, text: str, *, now: datetime) -> Broadcast:
        row = BroadcastRow(
            admin_telegram_id=admin_telegram_id,
            text=text,
            created_at=require_utc(now, "now"),
            status=BroadcastStatus.DRAFT.value,
            total=0,
        )
        self._session.add(row)
        await self._session.flush()
        return _to_broadcast(row)

    async def send(
        self, broadcast_id: int, *, now: datetime, progress_message_id: int | None = None
    ) -> int:
        """Mark a draft sending, queue it for every recipient and audit-log it; returns how many.

        Each row is due now, or when the patient's quiet hours end. `BroadcastNotDraft` if it
        was sent or cancelled meanwhile (a second press), so it is never queued twice.
        """
        now = require_utc(now, "now")
        marked = await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id, BroadcastRow.status == BroadcastStatus.DRAFT)
            .values(status=BroadcastStatus.SENDING.value)
            .returning(BroadcastRow.admin_telegram_id)
        )
        admin_telegram_id = marked.scalar_one_or_none()
        if admin_telegram_id is None:
            raise BroadcastNotDraft(broadcast_id)
        recipients = await self._session.execute(
            select(
                PatientRow.id, PatientRow.time_zone, PatientRow.quiet_start, PatientRow.quiet_end
            )
            .where(_is_recipient())
            .order_by(PatientRow.id)
        )
        priority = DELIVERY_PRIORITY[ReminderKind.BROADCAST]
        rows = [
            {
                "patient_id": patient_id,
                "kind": ReminderKind.BROADCAST.value,
                "dose_number": None,
                # Not a dose reminder: like check-ins, it waits for the quiet hours to end.
                "due_at": leave_quiet_hours(
                    now, ReminderSettings(time_zone=zone, quiet_hours=QuietHours(start, end))
                ),
                "expires_at": None,
                "status": ReminderStatus.PENDING.value,
                "priority": priority,
                "attempts": 0,
                "broadcast_id": broadcast_id,
            }
            for patient_id, zone, start, end in recipients
        ]
        if rows:
            connection = await self._session.connection()
            await connection.execute(insert(ReminderRow), rows)  # one executemany
        await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .values(total=len(rows), progress_message_id=progress_message_id)
        )
        details: dict[str, Any] = {"recipients": len(rows)}
        await AuditLog(self._session).append(
            admin_telegram_id,
            AUDIT_ACTION,
            target=f"broadcast:{broadcast_id}",
            details=details,
            at=now,
        )
        return len(rows)

    async def cancel(self, broadcast_id: int) -> None:
        """Drop a draft; `BroadcastNotDraft` if it was sent or cancelled meanwhile."""
        result = await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id, BroadcastRow.status == BroadcastStatus.DRAFT)
            .values(status=BroadcastStatus.CANCELLED.value)
        )
        if rowcount(result) != 1:
            raise BroadcastNotDraft(broadcast_id)

    async def finish(self, broadcast_id: int) -> None:
        await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id, BroadcastRow.status == BroadcastStatus.SENDING)
            .values(status=BroadcastStatus.DONE.value)
        )

    async def sending(self) -> list[Broadcast]:
        """Broadcasts being delivered, oldest first."""
        rows = await self._session.scalars(
            select(BroadcastRow)
            .where(BroadcastRow.status == BroadcastStatus.SENDING)
            .order_by(BroadcastRow.id)
        )
        return [_to_broadcast(row) for row in rows]

    async def counts(self, broadcast_id: int) -> BroadcastCounts:
        total = await self._session.scalar(
            select(BroadcastRow.total).where(BroadcastRow.id == broadcast_id)
        )
        result = await self._session.execute(
            select(ReminderRow.status, func.count())
            .where(ReminderRow.broadcast_id == broadcast_id)
            .group_by(ReminderRow.status)
        )
        by_status = {ReminderStatus(status): int(count) for status, count in result}
        return BroadcastCounts(
            total=int(total or 0),
            sent=by_status.get(ReminderStatus.SENT, 0),
            unreachable=by_status.get(ReminderStatus.HELD, 0),
            failed=by_status.get(ReminderStatus.FAILED, 0)
            + by_status.get(ReminderStatus.CANCELLED, 0),
            pending=by_status.get(ReminderStatus.PENDING, 0)
            + by_status.get(ReminderStatus.CLAIMED, 0),
        )

    async def progress_message_id(self, broadcast_id: int) -> int | None:
        """The admin's progress message for this broadcast, if one was sent."""
        message_id: int | None = await self._session.scalar(
            select(BroadcastRow.progress_message_id).where(BroadcastRow.id == broadcast_id)
        )
        return message_id
