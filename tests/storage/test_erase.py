"""Erasing a patient leaves no row about them in any table, and nobody else loses anything."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import Patient, PlannedReminder, ReminderKind
from storage.audit import AuditLog
from storage.check_ins import CheckInRepository
from storage.conversations import ConversationStateRepository
from storage.doses import DoseRepository
from storage.models import Base, BroadcastRow, ReminderRow
from storage.patients import PatientRepository
from storage.reminders import ReminderRepository

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

# Tables that hold nothing about a particular patient. Any other table must be reachable
# through a `patient_id` or `telegram_user_id` column, or this test fails until it is.
NOT_ABOUT_A_PATIENT = {"broadcasts", "audit_log"}


def rows_about(patient: Patient) -> dict[str, sa.Select[int]]:
    """For every table, a count of the rows that belong to `patient`."""
    queries: dict[str, sa.Select[int]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "patients":
            condition = table.c.id == patient.id
        elif "patient_id" in table.c:
            condition = table.c.patient_id == patient.id
        elif "telegram_user_id" in table.c:
            condition = table.c.telegram_user_id == patient.telegram_user_id
        else:
            assert table.name in NOT_ABOUT_A_PATIENT, f"how is {table.name} erased?"
            continue
        queries[table.name] = sa.select(sa.func.count()).select_from(table).where(condition)
    return queries


async def count_rows_about(
    sessions: async_sessionmaker[AsyncSession], patient: Patient
) -> dict[str, int]:
    async with sessions() as session:
        return {
            name: (await session.execute(query)).scalar_one()
            for name, query in rows_about(patient).items()
        }


async def give_them_a_history(session: AsyncSession, patient: Patient, broadcast_id: int) -> None:
    """One or more rows in every table that can hold something about a patient."""
    await DoseRepository(session).add(patient.id, number=1, injected_on=date(2025, 1, 6))
    await DoseRepository(session).add(patient.id, number=2, injected_on=date(2025, 1, 13))
    await ReminderRepository(session).add_planned(
        patient.id,
        [
            PlannedReminder(ReminderKind.DOSE, 3, NOW + timedelta(days=1)),
            PlannedReminder(ReminderKind.HEADS_UP, 3, NOW),
        ],
    )
    session.add(
        ReminderRow(
            patient_id=patient.id,
            kind=ReminderKind.BROADCAST.value,
            due_at=NOW,
            status="sent",
            priority=9,
            broadcast_id=broadcast_id,
        )
    )
    check_in = await CheckInRepository(session).create(patient.id, dose_number=2, asked_at=NOW)
    await CheckInRepository(session).answer(
        check_in.id, answers=["skin:redness"], answered_at=NOW, severity="mild"
    )
    await ConversationStateRepository(session).set(patient.telegram_user_id, "settings", {"a": 1})
    await session.flush()


async def test_erase_leaves_no_row_about_the_patient_and_spares_the_others(
    sessions: async_sessionmaker[AsyncSession],
    make_patient: Callable[[int], Awaitable[Patient]],
) -> None:
    leaving = await make_patient(5_000_000_001)
    staying = await make_patient(5_000_000_002)
    async with sessions.begin() as session:
        broadcast = BroadcastRow(admin_telegram_id=1, text="Hello", status="done", total=2)
        session.add(broadcast)
        await session.flush()
        for patient in (leaving, staying):
            await give_them_a_history(session, patient, broadcast.id)
        await AuditLog(session).append(1, "broadcast", target=f"broadcast:{broadcast.id}")

    before = await count_rows_about(sessions, staying)
    assert all(before.values()), f"the fixture must fill every table: {before}"
    assert await count_rows_about(sessions, leaving) == before

    async with sessions.begin() as session:
        assert await PatientRepository(session).erase(leaving.id) is True

    assert set((await count_rows_about(sessions, leaving)).values()) == {0}
    assert await count_rows_about(sessions, staying) == before
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(BroadcastRow)) == 1
        assert len(await AuditLog(session).latest()) == 1


async def test_erase_of_a_patient_still_onboarding_forgets_the_conversation(
    sessions: async_sessionmaker[AsyncSession],
    make_patient: Callable[[int], Awaitable[Patient]],
) -> None:
    patient = await make_patient(42)
    async with sessions.begin() as session:
        await ConversationStateRepository(session).set(42, "first_dose_date", {"mode": "monthly"})
    async with sessions.begin() as session:
        await PatientRepository(session).erase(patient.id)
    async with sessions() as session:
        assert await ConversationStateRepository(session).get(42) is None
