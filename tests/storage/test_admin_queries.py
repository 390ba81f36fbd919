"""The admin queries (/stats, /overdue, /patient) against a seeded database with known counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scheduling.model import (
    PatientStatus,
    PlannedReminder,
    ReminderKind,
    ReminderStatus,
)
from storage.admin_queries import (
    database_bytes,
    gather_stats,
    overdue_patients,
    patient_details,
)
from storage.check_ins import CheckInRepository
from storage.db import session_factory
from storage.doses import DoseRepository
from storage.outbox import hold_patient_reminders
from storage.patients import PatientRepository
from storage.reminders import ReminderRepository
from tests.storage.query_plans import Sessions, captured_statements, plans_of

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
# Telegram ids of the seeded patients.
ON_TRACK_BUT_LATE, RECENT, PAUSED, UNREACHABLE, ONBOARDING, MID_TREATMENT = (
    1001,
    1002,
    1003,
    1004,
    1005,
    1006,
)


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


async def _dose_reminder(
    session: AsyncSession, patient_id: int, number: int, due_at: datetime
) -> int:
    [reminder] = await ReminderRepository(session).add_planned(
        patient_id, [PlannedReminder(ReminderKind.DOSE, number, due_at)]
    )
    return reminder.id


async def seed(session: AsyncSession) -> dict[int, int]:
    """Six patients with known figures at NOW; returns patient ids by Telegram id.

    Last 30 days: 4 doses, 3 with a known plan, 2 of them within a day; 4 check-ins asked, 3
    answered; reactions skin/mild, flu/moderate, allergic; 1 urgent. Overdue: 1006 (dose 6,
    due 1 Mar), 1001 (dose 3, 10 Mar), 1004 (dose 1, 12 Mar). Reminders: 1 pending, 1 sent
    today, 1 failed.
    """
    patients, doses = PatientRepository(session), DoseRepository(session)
    check_ins, reminders = CheckInRepository(session), ReminderRepository(session)
    ids: dict[int, int] = {}
    for telegram_id in (1001, 1002, 1003, 1004, 1005, 1006):
        ids[telegram_id] = (await patients.create(telegram_id, telegram_id)).id
    for telegram_id, status in (
        (1001, PatientStatus.ACTIVE),
        (1002, PatientStatus.ACTIVE),
        (1003, PatientStatus.PAUSED),
        (1004, PatientStatus.UNREACHABLE),
        (1006, PatientStatus.ACTIVE),
    ):
        await patients.set_status(ids[telegram_id], status, now=NOW)

    p1, p2, p3, p4, p6 = ids[1001], ids[1002], ids[1003], ids[1004], ids[1006]
    # 1001: on time, then 2 days late; dose 3's reminder went out 5 days ago, no dose since.
    await doses.add(p1, number=1, planned_on=date(2026, 2, 20), injected_on=date(2026, 2, 20))
    await doses.add(p1, number=2, planned_on=date(2026, 2, 27), injected_on=date(2026, 3, 1))
    sent = await _dose_reminder(session, p1, 3, at(10))
    await reminders.mark_sent(sent, sent_at=at(10))
    # 1002: 1 day late counts as within a day; dose 2 due 3 hours ago: not overdue yet.
    await doses.add(p2, number=1, planned_on=date(2026, 3, 1), injected_on=date(2026, 3, 2))
    done = await _dose_reminder(session, p2, 1, at(1))
    await reminders.mark_sent(done, sent_at=at(1))
    await _dose_reminder(session, p2, 2, at(15))
    [heads_up] = await reminders.add_planned(
        p2, [PlannedReminder(ReminderKind.HEADS_UP, 2, at(14, 9))]
    )
    await reminders.mark_sent(heads_up.id, sent_at=at(15, 8))  # sent today
    # 1003: paused patients are never overdue; an old dose is outside the window.
    await doses.add(p3, number=1, planned_on=date(2026, 1, 5), injected_on=date(2026, 1, 5))
    paused = await _dose_reminder(session, p3, 2, at(1))
    await reminders.mark_sent(paused, sent_at=at(1))
    # 1004: blocked the bot; their dose 1 reminder is held, and overdue.
    await _dose_reminder(session, p4, 1, at(12))
    await hold_patient_reminders(session, p4)
    # 1006: joined mid-treatment (plan unknown); dose 6's reminder failed for good.
    await doses.add(p6, number=5, planned_on=None, injected_on=date(2026, 2, 14))
    failed = await _dose_reminder(session, p6, 6, at(1))
    await reminders.mark_failed(failed, error="Bad Request")

    good = await check_ins.create(p1, dose_number=1, asked_at=at(20, 15, month=2))
    await check_ins.answer(good.id, answers=["good"], answered_at=at(20, 16, month=2))
    skin = await check_ins.create(p1, dose_number=2, asked_at=at(1, 15))
    await check_ins.answer(
        skin.id, answers=["skin:redness"], answered_at=at(1, 16), severity="mild"
    )
    urgent = await check_ins.create(p2, dose_number=1, asked_at=at(2, 15))
    await check_ins.answer(
        urgent.id,
        answers=["flu:fever", "allergic"],
        answered_at=at(2, 16),
        severity="moderate",
        urgent=True,
    )
    await check_ins.create(p6, dose_number=5, asked_at=at(14, 15, month=2))  # not answered
    old = await check_ins.create(p3, dose_number=1, asked_at=at(5, 15, month=1))
    await check_ins.answer(
        old.id, answers=["skin:itching"], answered_at=at(5, 16, month=1), severity="severe"
    )
    return ids


async def test_stats_figures_match_the_seeded_counts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Every /stats figure is what the seed says, on both back ends."""
    async with sessions.begin() as session:
        await seed(session)
    async with sessions() as session:
        stats = await gather_stats(session, now=NOW)
    assert stats.patients == {
        PatientStatus.ONBOARDING: 1,
        PatientStatus.ACTIVE: 3,
        PatientStatus.PAUSED: 1,
        PatientStatus.UNREACHABLE: 1,
    }
    assert (stats.doses, stats.doses_with_plan, stats.doses_on_time) == (4, 3, 2)
    assert stats.overdue == 3
    assert (stats.check_ins_asked, stats.check_ins_answered) == (4, 3)
    assert stats.reactions == {("skin", "mild"): 1, ("flu", "moderate"): 1, ("allergic", None): 1}
    assert stats.urgent == 1
    assert (stats.reminders_pending, stats.reminders_sent_today, stats.reminders_failed) == (
        1,
        1,
        1,
    )
    assert stats.database_bytes is not None and stats.database_bytes > 0


async def test_overdue_lists_the_most_overdue_first_and_counts_the_rest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Paused patients, recorded doses and reminders inside the grace day are not overdue."""
    async with sessions.begin() as session:
        ids = await seed(session)
    async with sessions() as session:
        everyone, total = await overdue_patients(session, now=NOW)
        first_two, same_total = await overdue_patients(session, now=NOW, limit=2)
    assert [(o.telegram_user_id, o.dose_number) for o in everyone] == [
        (1006, 6),
        (1001, 3),
        (1004, 1),
    ]
    assert everyone[0].patient_id == ids[1006] and everyone[0].due_at == at(1)
    assert total == same_total == 3
    assert [o.telegram_user_id for o in first_two] == [1006, 1001]


async def test_recording_the_dose_ends_the_overdue(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Once the open dose is recorded the patient drops off the list."""
    async with sessions.begin() as session:
        ids = await seed(session)
        await DoseRepository(session).add(ids[1001], number=3, injected_on=date(2026, 3, 14))
    async with sessions() as session:
        overdue, total = await overdue_patients(session, now=NOW + timedelta(minutes=1))
    assert total == 2 and 1001 not in [o.telegram_user_id for o in overdue]


async def test_patient_details_show_doses_reactions_and_pending_reminders(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Newest dose first with its lateness; reactions only (not "all good"); pending only."""
    async with sessions.begin() as session:
        await seed(session)
    async with sessions() as session:
        details = await patient_details(session, 1001)
        recent = await patient_details(session, 1002)
        missing = await patient_details(session, 999)
    assert missing is None
    assert details is not None and recent is not None
    assert details.patient.status is PatientStatus.ACTIVE
    assert [(d.dose.number, d.days_late) for d in details.recent_doses] == [(2, 2), (1, 0)]
    assert [c.answers for c in details.recent_reactions] == [("skin:redness",)]
    assert details.pending_reminders == []
    assert details.next_dose is not None and details.next_dose.number == 3
    assert [(r.kind, r.status) for r in recent.pending_reminders] == [
        (ReminderKind.DOSE, ReminderStatus.PENDING)
    ]


async def test_database_size_is_reported(sessions: async_sessionmaker[AsyncSession]) -> None:
    """SQLite's file size from its pages, PostgreSQL's pg_database_size."""
    async with sessions() as session:
        size = await database_bytes(session)
    assert size is not None and size > 0


async def test_sent_today_searches_todays_rows_not_the_history(tmp_path: Path) -> None:
    """ "Sent today" is a range scan on the partial (status, sent_at) index of sent rows: the
    sent history grows for years, and /stats runs on the bot's event loop. SQLite's plan."""

    async def stats(sessions: Sessions) -> None:
        async with sessions() as session:
            await gather_stats(session, now=NOW)

    [plan] = await plans_of(tmp_path, stats, containing="sent_at >=")
    assert plan == [
        "SEARCH reminders USING COVERING INDEX ix_reminders_status_sent_at (status=? AND sent_at>?)"
    ], plan


async def test_overdue_probes_each_patients_dose_reminders_not_the_history(tmp_path: Path) -> None:
    """/overdue and /stats walk the followed patients and probe the partial index of dose
    reminders for the doses after the last recorded one: years of sent reminders are never
    read. SQLite's plan, for both statements `overdue_patients` sends."""

    async def overdue(sessions: Sessions) -> None:
        async with sessions() as session:
            await overdue_patients(session, now=NOW)

    plans = await plans_of(tmp_path, overdue, containing="reminders")
    assert len(plans) == 2
    for plan in plans:
        reminder_steps = [step for step in plan if "reminders" in step]
        assert reminder_steps == [
            "SEARCH reminders USING INDEX ix_reminders_patient_id_dose_number"
            " (patient_id=? AND dose_number>?)"
        ], plan


def _sql_literal(value: object) -> str:
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


async def test_postgres_generic_plans_use_the_partial_indexes(engine: AsyncEngine) -> None:
    """asyncpg prepares statements, and PostgreSQL soon plans them generically, without the
    parameters' values: a partial index then serves only a query that states its predicate.
    "Sent today" and overdue must, or /stats reads the whole history again."""
    if engine.dialect.name != "postgresql":
        pytest.skip("generic plans of prepared statements are a PostgreSQL matter")
    with captured_statements(engine) as statements:
        async with session_factory(engine)() as session:
            await gather_stats(session, now=NOW)
    wanted = {
        "sent_at >=": "ix_reminders_status_sent_at",
        "dose_number >": "ix_reminders_patient_id_dose_number",
    }
    found: dict[str, str] = {}
    async with engine.connect() as connection:
        await connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        await connection.exec_driver_sql("SET enable_seqscan = off")  # tiny tables otherwise
        for number, (sql, parameters) in enumerate(statements):
            for marker, index in wanted.items():
                if marker not in sql:
                    continue
                await connection.exec_driver_sql(f"PREPARE q{number} AS {sql}")
                arguments = ", ".join(_sql_literal(value) for value in parameters)
                execute = f"EXECUTE q{number}({arguments})" if arguments else f"EXECUTE q{number}"
                plan = "\n".join(
                    row[0] for row in await connection.exec_driver_sql(f"EXPLAIN {execute}")
                )
                found[marker] = plan
                assert index in plan, plan
    assert set(found) == set(wanted)
