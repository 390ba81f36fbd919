"""Broadcasts in storage: drafts, recipients, the outbox rows written on send, and counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import (
    DELIVERY_PRIORITY,
    MaintenanceMode,
    PatientStatus,
    ReminderKind,
    ReminderStatus,
)
from storage.audit import AuditLog
from storage.broadcasts import (
    BroadcastCounts,
    BroadcastNotDraft,
    BroadcastRepository,
    BroadcastStatus,
)
from storage.models import PatientRow, ReminderRow
from tests.storage.query_plans import Sessions, plans_of

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
ADMIN = 4242


async def seed_patients(
    sessions: async_sessionmaker[AsyncSession],
    telegram_ids: Iterable[int],
    *,
    status: PatientStatus = PatientStatus.ACTIVE,
    consented: bool = True,
    time_zone: str = "UTC",
) -> None:
    """Patients written straight into the table (one executemany): thousands in a moment."""
    rows: list[dict[str, object]] = [
        {
            "telegram_user_id": telegram_id,
            "chat_id": telegram_id,
            "status": status.value,
            "time_zone": time_zone,
            "reminder_time": time(9, 0),
            "quiet_start": time(22, 0),
            "quiet_end": time(8, 0),
            "maintenance_mode": MaintenanceMode.MONTHLY.value,
            "excluded_sites": [],
            "consented_at": NOW if consented else None,
        }
        for telegram_id in telegram_ids
    ]
    async with sessions.begin() as session:
        await (await session.connection()).execute(insert(PatientRow), rows)


async def draft(sessions: async_sessionmaker[AsyncSession], text: str = "Hello") -> int:
    async with sessions.begin() as session:
        return (await BroadcastRepository(session).create_draft(ADMIN, text, now=NOW)).id


async def test_recipients_are_consented_active_or_paused_patients(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Never-consented, onboarding and unreachable patients are left out; paused ones are in."""
    await seed_patients(sessions, range(1, 6))
    await seed_patients(sessions, [10, 11], status=PatientStatus.PAUSED)
    await seed_patients(sessions, [20], status=PatientStatus.UNREACHABLE)
    await seed_patients(sessions, [30], status=PatientStatus.ONBOARDING, consented=False)
    await seed_patients(sessions, [31], consented=False)
    async with sessions() as session:
        assert await BroadcastRepository(session).count_recipients() == 7


async def test_send_queues_one_row_per_recipient_and_audits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Sending writes BROADCAST rows (last priority, due now), the total and an audit entry."""
    await seed_patients(sessions, range(1, 2_001))
    await seed_patients(sessions, [5_000], consented=False)
    broadcast_id = await draft(sessions)
    async with sessions.begin() as session:
        sent_to = await BroadcastRepository(session).send(
            broadcast_id, now=NOW, progress_message_id=77
        )
    assert sent_to == 2_000
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(ReminderRow).where(ReminderRow.broadcast_id == broadcast_id)
            )
        )
        broadcasts = BroadcastRepository(session)
        stored = await broadcasts.get(broadcast_id)
        entries = await AuditLog(session).latest()
        progress_message_id = await broadcasts.progress_message_id(broadcast_id)
    assert len(rows) == 2_000 and len({row.patient_id for row in rows}) == 2_000
    assert {row.kind for row in rows} == {ReminderKind.BROADCAST.value}
    assert {row.priority for row in rows} == {DELIVERY_PRIORITY[ReminderKind.BROADCAST]}
    assert {row.due_at for row in rows} == {NOW}
    assert {row.status for row in rows} == {ReminderStatus.PENDING.value}
    assert stored is not None and stored.status is BroadcastStatus.SENDING
    assert stored.total == 2_000
    assert [(e.action, e.target, e.admin_telegram_id) for e in entries] == [
        ("broadcast", f"broadcast:{broadcast_id}", ADMIN)
    ]
    assert entries[0].details["recipients"] == 2_000
    assert progress_message_id == 77


async def test_a_broadcast_is_queued_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A second Send (or a Cancel after Send) changes nothing."""
    await seed_patients(sessions, [1, 2])
    broadcast_id = await draft(sessions)
    async with sessions.begin() as session:
        await BroadcastRepository(session).send(broadcast_id, now=NOW)
    for action in ("send", "cancel"):
        with pytest.raises(BroadcastNotDraft):
            async with sessions.begin() as session:
                broadcasts = BroadcastRepository(session)
                if action == "send":
                    await broadcasts.send(broadcast_id, now=NOW)
                else:
                    await broadcasts.cancel(broadcast_id)
    async with sessions() as session:
        rows = list(await session.scalars(select(ReminderRow.id)))
    assert len(rows) == 2


async def test_cancelled_draft_cannot_be_sent(sessions: async_sessionmaker[AsyncSession]) -> None:
    await seed_patients(sessions, [1])
    broadcast_id = await draft(sessions)
    async with sessions.begin() as session:
        await BroadcastRepository(session).cancel(broadcast_id)
    with pytest.raises(BroadcastNotDraft):
        async with sessions.begin() as session:
            await BroadcastRepository(session).send(broadcast_id, now=NOW)


async def test_quiet_hours_delay_the_broadcast(sessions: async_sessionmaker[AsyncSession]) -> None:
    """At 23:00 in a patient's zone the broadcast waits for their quiet hours to end (08:00)."""
    await seed_patients(sessions, [1], time_zone="UTC")
    await seed_patients(sessions, [2], time_zone="Asia/Tokyo")  # 21:00 there: not quiet
    broadcast_id = await draft(sessions)
    late = datetime(2026, 1, 2, 23, 0, tzinfo=UTC)  # Tokyo: 08:00 on the 3rd
    async with sessions.begin() as session:
        await BroadcastRepository(session).send(broadcast_id, now=late)
    async with sessions() as session:
        due = list(await session.scalars(select(ReminderRow.due_at)))
    assert sorted(due) == [late, datetime(2026, 1, 3, 8, 0, tzinfo=UTC)]


async def test_counts_follow_the_outbox(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Sent, held (unreachable), failed or cancelled, and pending or claimed rows are counted."""
    await seed_patients(sessions, range(1, 8))
    broadcast_id = await draft(sessions)
    async with sessions.begin() as session:
        await BroadcastRepository(session).send(broadcast_id, now=NOW)
    statuses = ["sent", "sent", "held", "failed", "cancelled", "claimed", "pending"]
    async with sessions.begin() as session:
        ids = list(await session.scalars(select(ReminderRow.id).order_by(ReminderRow.id)))
        for reminder_id, status in zip(ids, statuses, strict=True):
            await session.execute(
                update(ReminderRow).where(ReminderRow.id == reminder_id).values(status=status)
            )
    async with sessions() as session:
        counts = await BroadcastRepository(session).counts(broadcast_id)
    assert counts == BroadcastCounts(total=7, sent=2, unreachable=1, failed=2, pending=2)
    assert not counts.finished


async def test_counts_search_the_partial_broadcast_index(tmp_path: Path) -> None:
    """The progress count reads only the broadcast's rows through the partial (broadcast_id,
    status) index: `broadcast_id = ?` implies its `broadcast_id IS NOT NULL`.

    Checked on SQLite, whose plan does not depend on table statistics.
    """
    drafted: list[int] = []

    async def make_draft(sessions: Sessions) -> None:
        drafted.append(await draft(sessions))

    async def count(sessions: Sessions) -> None:
        async with sessions() as session:
            await BroadcastRepository(session).counts(drafted[0])

    [plan] = await plans_of(tmp_path, count, containing="FROM reminders", prepare=make_draft)
    assert plan == [
        "SEARCH reminders USING COVERING INDEX ix_reminders_broadcast_id_status (broadcast_id=?)"
    ], plan
