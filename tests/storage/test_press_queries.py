"""Pressing "Injected" stays cheap: each fact is read once and the new plan is one INSERT.

Hundreds of presses a second on SQLite need few statements per press (each one holds the
event loop while SQLAlchemy and SQLite run it), and what `record_dose` hands back saves the
caller reading the doses and reminders again, so it must be exactly what is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scheduling.model import (
    DoseRecord,
    Patient,
    PlannedReminder,
    Reminder,
    ReminderKind,
    ReminderSettings,
    ReminderStatus,
)
from storage.doses import DoseRepository
from storage.models import ReminderRow
from storage.patients import PatientRepository
from storage.planning import record_dose, snooze, start_planned_course
from storage.reminders import ReminderRepository

Sessions = async_sessionmaker[AsyncSession]
Maker = Callable[[int], Awaitable[Patient]]
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
PRESSED_AT = datetime(2026, 1, 3, 9, 5, tzinfo=UTC)  # London is on UTC in January

# Statements one press may issue inside its transaction: read the patient with the pressed
# reminder (one statement), the doses, the reminders and the check-ins once each; insert the
# dose (a second insert of it inserts nothing: no separate check); note when the new plan
# needs extending; delete the dose's pending nags; insert the new plan.
PRESS_STATEMENTS = 8
RECORD_DOSE_STATEMENTS = 8  # the same without the handler's read of patient and reminder


@contextmanager
def counted_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement sent to the database while the block runs."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])  # (connection, cursor, statement, ...)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def row_key(reminder: Reminder) -> tuple[int, ReminderKind, int | None, datetime]:
    """Tells a stored row from a later one: SQLite hands a deleted row's id to a new row."""
    return (reminder.id, reminder.kind, reminder.dose_number, reminder.due_at)


def inserts_into_reminders(statements: list[str]) -> int:
    return sum(statement.startswith("INSERT INTO reminders") for statement in statements)


async def patient_reminded_of_dose_1(sessions: Sessions, make_patient: Maker) -> Patient:
    """A London patient whose dose 1 (Sat 3 Jan 09:00) reminder and heads-up went out."""
    patient = await make_patient(1)
    async with sessions.begin() as session:
        await PatientRepository(session).update(
            patient.id, settings=ReminderSettings(time_zone="Europe/London")
        )
        await start_planned_course(session, patient.id, first_dose_date=date(2026, 1, 3), now=NOW)
        reminders = ReminderRepository(session)
        for message_id, reminder in enumerate(await reminders.list_for_patient(patient.id), 100):
            if reminder.kind in (ReminderKind.HEADS_UP, ReminderKind.DOSE):
                await reminders.mark_sent(
                    reminder.id, sent_at=reminder.due_at, telegram_message_id=message_id
                )
        return patient


def sqlite_only(engine: AsyncEngine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("statement counts are pinned on SQLite, the default database")


async def test_a_press_reads_each_fact_once(
    engine: AsyncEngine, sessions: Sessions, make_patient: Maker
) -> None:
    """The press as the dose button handler makes it: every fact read once, the plan in one
    INSERT, whatever the number of reminders the new plan has."""
    sqlite_only(engine)
    patient = await patient_reminded_of_dose_1(sessions, make_patient)
    async with sessions() as session:
        pressed = await ReminderRepository(session).list_for_patient(patient.id)
    [dose_reminder] = [r for r in pressed if r.kind is ReminderKind.DOSE]
    before = {row_key(r) for r in pressed}

    with counted_statements(engine) as statements:
        async with sessions.begin() as session:
            read = await PatientRepository(session).get_by_telegram_id_with_reminder(
                patient.telegram_user_id, dose_reminder.id
            )
            assert read is not None and read[1] is not None
            found = read[0]
            doses = await DoseRepository(session).list_for_patient(found.id)
            recorded = await record_dose(
                session,
                found.id,
                number=1,
                injected_at=PRESSED_AT,
                now=PRESSED_AT,
                patient=found,
                doses=doses,
            )

    assert recorded.created
    _, stored = await stored_after(sessions, patient.id)
    new_plan = [r for r in stored if row_key(r) not in before]
    assert len(new_plan) >= 8  # the new plan is many rows...
    assert inserts_into_reminders(statements) == 1  # ...written at once
    assert len(statements) <= PRESS_STATEMENTS, "\n".join(statements)


async def test_record_dose_alone_reads_each_fact_once(
    engine: AsyncEngine, sessions: Sessions, make_patient: Maker
) -> None:
    """`record_dose` without what the caller read (/log) reads the patient and doses itself."""
    sqlite_only(engine)
    patient = await patient_reminded_of_dose_1(sessions, make_patient)

    with counted_statements(engine) as statements:
        async with sessions.begin() as session:
            recorded = await record_dose(
                session, patient.id, number=1, injected_at=PRESSED_AT, now=PRESSED_AT
            )

    assert recorded.created
    assert inserts_into_reminders(statements) == 1
    assert len(statements) <= RECORD_DOSE_STATEMENTS, "\n".join(statements)


async def read_patient(session: AsyncSession, patient_id: int) -> Patient:
    patient = await PatientRepository(session).get(patient_id)
    assert patient is not None
    return patient


async def stored_after(
    sessions: Sessions, patient_id: int
) -> tuple[list[DoseRecord], list[Reminder]]:
    async with sessions() as session:
        doses = await DoseRepository(session).list_for_patient(patient_id)
        return doses, await ReminderRepository(session).list_for_patient(patient_id)


async def test_what_record_dose_returns_is_what_is_stored(
    sessions: Sessions, make_patient: Maker
) -> None:
    """The doses, and the reminders stored before (sent ones with their message ids, the
    removed nags gone), are returned as a fresh read would find them, in the same order; the
    new plan is stored but not read back."""
    patient = await patient_reminded_of_dose_1(sessions, make_patient)
    _, earlier = await stored_after(sessions, patient.id)
    before = {row_key(r) for r in earlier}
    async with sessions.begin() as session:
        # Snoozed: recording the dose clears the snooze and plans from the cleared patient.
        await snooze(session, patient.id, until=PRESSED_AT + timedelta(hours=1), now=PRESSED_AT)
    async with sessions.begin() as session:
        recorded = await record_dose(
            session,
            patient.id,
            number=1,
            injected_at=PRESSED_AT,
            now=PRESSED_AT,
            patient=await read_patient(session, patient.id),
            doses=await DoseRepository(session).list_for_patient(patient.id),
        )

    doses, reminders = await stored_after(sessions, patient.id)
    assert recorded.created
    assert list(recorded.doses) == doses
    assert list(recorded.reminders) == [r for r in reminders if row_key(r) in before]
    assert [
        r.telegram_message_id for r in recorded.reminders if r.status is ReminderStatus.SENT
    ] == [
        100,
        102,
    ]
    assert {r.dose_number for r in reminders if r.kind is ReminderKind.DOSE} == {1, 2}
    async with sessions() as session:
        assert (await read_patient(session, patient.id)).snoozed_until is None


async def test_a_row_claimed_during_the_replan_is_read_again(
    engine: AsyncEngine, sessions: Sessions, make_patient: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pending nag a dispatcher claims between the replan's read and its delete stays (it
    may be on its way): the reminders returned show it claimed, as stored."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serves one process: nothing claims during a transaction")
    patient = await patient_reminded_of_dose_1(sessions, make_patient)
    delete_pending_ids = ReminderRepository.delete_pending_ids
    claimed: list[int] = []

    async def claim_first(self: ReminderRepository, patient_id: int, ids: Any) -> int:
        # What another process's claim would do, committed just before the delete runs.
        async with sessions.begin() as dispatcher:
            await dispatcher.execute(
                update(ReminderRow)
                .where(ReminderRow.id == min(ids))
                .values(status=ReminderStatus.CLAIMED.value)
            )
        claimed.append(min(ids))
        return await delete_pending_ids(self, patient_id, ids)

    monkeypatch.setattr(ReminderRepository, "delete_pending_ids", claim_first)
    _, earlier = await stored_after(sessions, patient.id)
    before = {row_key(r) for r in earlier}
    async with sessions.begin() as session:
        recorded = await record_dose(
            session, patient.id, number=1, injected_at=PRESSED_AT, now=PRESSED_AT
        )

    _, reminders = await stored_after(sessions, patient.id)
    assert list(recorded.reminders) == [r for r in reminders if row_key(r) in before]
    [still_there] = [r for r in recorded.reminders if r.id == claimed[0]]
    assert still_there.status is ReminderStatus.CLAIMED


async def test_the_plan_is_written_in_one_statement_in_the_order_given(
    engine: AsyncEngine, sessions: Sessions, make_patient: Maker
) -> None:
    """Rows come back in the order given, ids included, even out of due order or identical."""
    patient = await make_patient(1)
    dose_at = datetime.combine(date(2026, 3, 2), time(9), LONDON)
    planned = [
        PlannedReminder(ReminderKind.FOLLOW_UP, 1, dose_at + timedelta(hours=3)),
        PlannedReminder(ReminderKind.DOSE, 1, dose_at),
        PlannedReminder(ReminderKind.PREP, 1, dose_at - timedelta(minutes=30), dose_at),
        PlannedReminder(ReminderKind.DOSE, 1, dose_at),
        PlannedReminder(ReminderKind.HEADS_UP, 1, dose_at - timedelta(days=1), dose_at),
    ]
    with counted_statements(engine) as statements:
        async with sessions.begin() as session:
            added = await ReminderRepository(session).add_planned(patient.id, planned)

    assert inserts_into_reminders(statements) == 1
    assert [(r.kind, r.dose_number, r.due_at, r.expires_at) for r in added] == [
        (p.kind, p.dose_number, p.due_at, p.expires_at) for p in planned
    ]
    assert added[1].id < added[3].id  # identical rows: numbered in the order given
    async with sessions() as session:
        stored = await ReminderRepository(session).list_for_patient(patient.id)
    assert sorted(stored, key=lambda r: r.id) == sorted(added, key=lambda r: r.id)
    assert all(r.status is ReminderStatus.PENDING and r.attempts == 0 for r in added)


async def test_an_empty_plan_writes_nothing(sessions: Sessions, make_patient: Maker) -> None:
    patient = await make_patient(1)
    async with sessions.begin() as session:
        assert await ReminderRepository(session).add_planned(patient.id, []) == []
        assert await ReminderRepository(session).list_for_patient(patient.id) == []
