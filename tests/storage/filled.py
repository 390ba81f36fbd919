"""A database with a row in every table, written through the real repositories, and every
row read back: for the tests that copy whole databases (`kesimpta-bot copy-to`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from scheduling.model import InjectionSite, QuietHours, ReminderSettings
from storage.audit import AuditLog
from storage.broadcasts import BroadcastRepository
from storage.check_ins import CheckInRepository
from storage.conversations import ConversationStateRepository
from storage.db import Database, upgrade_database
from storage.models import Base
from storage.patients import PatientRepository
from storage.planning import record_dose, start_planned_course

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def fill_every_table(url: str, *, extra_patients: int = 0) -> None:
    """Every table used: patients with plans, doses, a check-in, a broadcast, an audit entry,
    a conversation half-way through onboarding."""
    await upgrade_database(url)
    database = Database.connect(url)
    try:
        async with database.sessions.begin() as session:
            patients = PatientRepository(session)
            first = await patients.create(
                1001,
                1001,
                settings=ReminderSettings(
                    time_zone="America/New_York",
                    reminder_time=time(7, 30),
                    quiet_hours=QuietHours(time(23, 0), time(6, 0)),
                ),
            )
            await patients.update(
                first.id,
                consented_at=NOW - timedelta(days=40),
                excluded_sites=frozenset({InjectionSite.LEFT_THIGH}),
            )
            await start_planned_course(
                session, first.id, first_dose_date=date(2026, 1, 19), now=NOW - timedelta(days=40)
            )
            for number, day in ((1, 19), (2, 26)):
                injected_at = datetime(2026, 1, day, 13, 0, tzinfo=UTC)
                await record_dose(
                    session, first.id, number=number, injected_at=injected_at, now=injected_at
                )
            check_ins = CheckInRepository(session)
            asked = await check_ins.create(
                first.id, dose_number=2, asked_at=datetime(2026, 1, 26, 19, 0, tzinfo=UTC)
            )
            await check_ins.answer(
                asked.id,
                answers=["skin", "mild"],
                answered_at=datetime(2026, 1, 26, 19, 5, tzinfo=UTC),
                severity="mild",
            )
            for user in range(100_000, 100_000 + extra_patients):
                await patients.create(user, user)
            await ConversationStateRepository(session).set(3003, "onb:start_date", {"week": 0})
            await patients.create(3003, 3003)
            await AuditLog(session).append(
                42, "pause", target="patient:1", details={"why": "travel"}, at=NOW
            )
            broadcasts = BroadcastRepository(session)
            draft = await broadcasts.create_draft(42, "Clinic closed Monday", now=NOW)
            await broadcasts.send(draft.id, now=NOW)
    finally:
        await database.dispose()


async def every_row(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the models' types read it back."""
    database = Database.connect(url)
    try:
        async with database.engine.connect() as connection:
            tables: dict[str, list[dict[str, Any]]] = {}
            for table in Base.metadata.sorted_tables:
                (key,) = table.primary_key.columns
                result = await connection.execute(select(table).order_by(key))
                tables[table.name] = [dict(row._mapping) for row in result]
            return tables
    finally:
        await database.dispose()
