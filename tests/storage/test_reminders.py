"""The outbox: the plan stored as pending rows with their priority, and their outcomes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import (
    DELIVERY_PRIORITY,
    Patient,
    PlannedReminder,
    ReminderKind,
    ReminderStatus,
)
from storage.models import LAST_ERROR_LENGTH, BroadcastRow, ReminderRow
from storage.reminders import ReminderRepository

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
SYDNEY = ZoneInfo("Australia/Sydney")

Maker = Callable[[int], Awaitable[Patient]]


def plan_for_dose(number: int, dose_at: datetime) -> list[PlannedReminder]:
    return [
        PlannedReminder(ReminderKind.HEADS_UP, number, dose_at - timedelta(days=1), dose_at),
        PlannedReminder(ReminderKind.PREP, number, dose_at - timedelta(minutes=30), dose_at),
        PlannedReminder(ReminderKind.DOSE, number, dose_at),
        PlannedReminder(ReminderKind.FOLLOW_UP, number, dose_at + timedelta(hours=3)),
    ]


async def test_planned_reminders_round_trip_as_pending_with_their_priority(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    dose_at = datetime(2025, 3, 2, 9, 0, tzinfo=SYDNEY)
    planned = plan_for_dose(5, dose_at)
    async with sessions.begin() as session:
        added = await ReminderRepository(session).add_planned(patient.id, reversed(planned))

    async with sessions() as session:
        stored = await ReminderRepository(session).list_for_patient(patient.id)
        rows = await session.execute(sa.select(ReminderRow.id, ReminderRow.priority))
        priorities = {row.id: row.priority for row in rows}

    assert sorted(stored, key=lambda reminder: reminder.id) == added
    assert [(r.kind, r.dose_number, r.due_at, r.expires_at) for r in stored] == [
        (p.kind, p.dose_number, p.due_at.astimezone(UTC), p.expires_at) for p in planned
    ]
    assert all(reminder.status is ReminderStatus.PENDING for reminder in stored)
    assert all(reminder.attempts == 0 and reminder.lease_until is None for reminder in stored)
    assert all(reminder.due_at.tzinfo is UTC for reminder in stored)
    assert {priorities[r.id] for r in stored if r.kind is ReminderKind.DOSE} == {0}
    for reminder in stored:
        assert priorities[reminder.id] == DELIVERY_PRIORITY[reminder.kind]


async def test_outcomes_are_recorded_once(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """sent / cancelled / failed are final: a second outcome for the same row is refused."""
    patient = await make_patient(1)
    async with sessions.begin() as session:
        sent, cancelled, failed = await ReminderRepository(session).add_planned(
            patient.id, plan_for_dose(1, NOW)[1:]
        )

    async with sessions.begin() as session:
        reminders = ReminderRepository(session)
        assert await reminders.mark_sent(sent.id, sent_at=NOW, telegram_message_id=8_000_000_001)
        assert await reminders.mark_cancelled(cancelled.id)
        assert await reminders.mark_failed(failed.id, error="network: " + "x" * 1000)

    async with sessions.begin() as session:
        reminders = ReminderRepository(session)
        assert not await reminders.mark_cancelled(sent.id)
        assert not await reminders.mark_sent(cancelled.id, sent_at=NOW)
        assert not await reminders.mark_failed(failed.id, error="again")
        assert not await reminders.mark_sent(404, sent_at=NOW)

    async with sessions() as session:
        reminders = ReminderRepository(session)
        stored_sent = await reminders.get(sent.id)
        rows = {row.id: row for row in await session.scalars(sa.select(ReminderRow))}
    assert stored_sent is not None
    assert stored_sent.status is ReminderStatus.SENT
    assert stored_sent.telegram_message_id == 8_000_000_001
    assert rows[sent.id].sent_at == NOW
    assert rows[cancelled.id].status == ReminderStatus.CANCELLED
    assert rows[failed.id].status == ReminderStatus.FAILED
    last_error = rows[failed.id].last_error
    assert last_error is not None
    assert last_error.startswith("network: ")
    assert len(last_error) == LAST_ERROR_LENGTH


async def test_deleting_the_pending_plan_keeps_history_and_other_patients(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient, other = await make_patient(1), await make_patient(2)
    async with sessions.begin() as session:
        reminders = ReminderRepository(session)
        first, *_ = await reminders.add_planned(patient.id, plan_for_dose(1, NOW))
        await reminders.add_planned(other.id, plan_for_dose(1, NOW))
        await reminders.mark_sent(first.id, sent_at=NOW)

    async with sessions.begin() as session:
        assert await ReminderRepository(session).delete_pending(patient.id) == 3

    async with sessions() as session:
        reminders = ReminderRepository(session)
        assert await reminders.list_for_patient(patient.id, ReminderStatus.PENDING) == []
        assert [r.id for r in await reminders.list_for_patient(patient.id)] == [first.id]
        assert len(await reminders.list_for_patient(other.id, ReminderStatus.PENDING)) == 4
        assert await reminders.count_in_statuses(list(ReminderStatus)) == {
            ReminderStatus.PENDING: 4,
            ReminderStatus.CLAIMED: 0,
            ReminderStatus.HELD: 0,
            ReminderStatus.SENT: 1,
            ReminderStatus.CANCELLED: 0,
            ReminderStatus.FAILED: 0,
        }


@pytest.mark.parametrize("wanted", [1, 3, 32, 33, 70])
async def test_deleting_pending_rows_by_id_takes_only_those_of_that_patient(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker, wanted: int
) -> None:
    """However many ids a replan names (over one statement's worth too), exactly the named
    pending rows of that patient go: not a sent one, not another patient's."""
    patient, other = await make_patient(1), await make_patient(2)
    plan = [
        PlannedReminder(ReminderKind.FOLLOW_UP, 1, NOW + timedelta(hours=hour))
        for hour in range(80)
    ]
    async with sessions.begin() as session:
        reminders = ReminderRepository(session)
        mine = await reminders.add_planned(patient.id, plan)
        theirs = await reminders.add_planned(other.id, plan)
        await reminders.mark_sent(mine[0].id, sent_at=NOW)
    named = [r.id for r in mine[:wanted]] + [theirs[0].id]  # a sent row, another's row

    async with sessions.begin() as session:
        removed = await ReminderRepository(session).delete_pending_ids(patient.id, named)

    async with sessions() as session:
        reminders = ReminderRepository(session)
        left = {r.id for r in await reminders.list_for_patient(patient.id)}
        assert len(await reminders.list_for_patient(other.id)) == len(plan)
    assert removed == wanted - 1
    assert left == {mine[0].id} | {r.id for r in mine[wanted:]}


async def test_a_broadcast_goes_to_a_patient_at_most_once(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """Unique (patient_id, broadcast_id); rows without a broadcast never collide."""
    patient = await make_patient(1)
    async with sessions.begin() as session:
        broadcast = BroadcastRow(admin_telegram_id=1, text="Hello", status="sending", total=1)
        session.add(broadcast)
        await session.flush()
        broadcast_id = broadcast.id
        await ReminderRepository(session).add_planned(patient.id, plan_for_dose(1, NOW))

    def broadcast_row() -> ReminderRow:
        return ReminderRow(
            patient_id=patient.id,
            kind=ReminderKind.BROADCAST.value,
            due_at=NOW,
            status=ReminderStatus.PENDING.value,
            priority=DELIVERY_PRIORITY[ReminderKind.BROADCAST],
            broadcast_id=broadcast_id,
        )

    async with sessions.begin() as session:
        session.add(broadcast_row())
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(broadcast_row())
            await session.flush()

    async with sessions() as session:
        stored = await ReminderRepository(session).list_for_patient(patient.id)
    assert [r.broadcast_id for r in stored if r.kind is ReminderKind.BROADCAST] == [broadcast_id]


async def test_the_narrow_lists_are_the_full_list_filtered(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """`list_about_dose` and `list_for_plan` read less, never something else: each equals the
    patient's full list filtered as its docstring says, across doses, statuses and patients."""
    patient, other = await make_patient(1), await make_patient(2)
    async with sessions.begin() as session:
        reminders = ReminderRepository(session)
        for owner in (patient, other):
            for number in range(1, 5):
                added = await reminders.add_planned(
                    owner.id, plan_for_dose(number, NOW + timedelta(days=7 * number))
                )
                await reminders.mark_sent(added[0].id, sent_at=NOW, telegram_message_id=number)
                await reminders.mark_cancelled(added[1].id)
                if number < 4:
                    await reminders.mark_sent(added[2].id, sent_at=NOW)
        everything = await reminders.list_for_patient(patient.id)
        for number in range(0, 6):
            for status in ReminderStatus:
                assert await reminders.list_about_dose(patient.id, number, status) == [
                    r for r in everything if r.dose_number == number and r.status is status
                ]
            unsent = (ReminderStatus.PENDING, ReminderStatus.CLAIMED, ReminderStatus.HELD)
            assert await reminders.list_for_plan(patient.id, from_dose=number) == [
                r
                for r in everything
                if r.status in unsent or (r.dose_number is not None and r.dose_number >= number)
            ]
    assert {r.status for r in everything} == {
        ReminderStatus.SENT,
        ReminderStatus.CANCELLED,
        ReminderStatus.PENDING,
    }
