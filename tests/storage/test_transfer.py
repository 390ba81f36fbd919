"""Moving a deployment: every row of a SQLite database copied into an empty database.

The source is always a SQLite file filled through the real repositories; the target is the
storage fixture's database (SQLite, and PostgreSQL when `TEST_POSTGRES_URL` is set), which is
what a move to PostgreSQL needs shown.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from storage.audit import AuditLog
from storage.db import Database
from storage.patients import PatientRepository
from storage.planning import start_planned_course
from storage.transfer import BATCH_ROWS, TargetNotEmpty, copy_database
from tests.storage.filled import NOW, every_row, fill_every_table


async def test_every_row_arrives_exactly_as_stored(tmp_path: Path, blank_database_url: str):
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    await fill_every_table(source)

    report = await copy_database(source, blank_database_url)

    before, after = await every_row(source), await every_row(blank_database_url)
    assert after == before
    assert report.rows == {table: len(rows) for table, rows in before.items()}
    assert all(before[table] for table in before), "every table had rows to copy"
    first_reminder = before["reminders"][0]
    assert first_reminder["due_at"].tzinfo is not None, "instants stay aware UTC"


async def test_tables_larger_than_a_batch_are_copied_whole(tmp_path: Path, blank_database_url: str):
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    await fill_every_table(source, extra_patients=BATCH_ROWS + 5)

    report = await copy_database(source, blank_database_url)

    assert report.rows["patients"] == BATCH_ROWS + 5 + 2
    after = await every_row(blank_database_url)
    assert [row["telegram_user_id"] for row in after["patients"]] == [
        row["telegram_user_id"] for row in (await every_row(source))["patients"]
    ]


async def test_new_rows_after_the_copy_get_new_ids(tmp_path: Path, blank_database_url: str):
    """On PostgreSQL the id sequences must continue after the copied ids, or the first new
    patient, dose or reminder would collide with a copied one."""
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    await fill_every_table(source)
    await copy_database(source, blank_database_url)
    copied = await every_row(blank_database_url)

    database = Database.connect(blank_database_url)
    try:
        async with database.sessions.begin() as session:
            patient = await PatientRepository(session).create(5005, 5005)
            await start_planned_course(
                session, patient.id, first_dose_date=date(2026, 3, 9), now=NOW
            )
            entry = await AuditLog(session).append(42, "resume", at=NOW)
    finally:
        await database.dispose()

    assert patient.id > max(row["id"] for row in copied["patients"])
    assert entry.id > max(row["id"] for row in copied["audit_log"])
    after = await every_row(blank_database_url)
    newest = max(row["id"] for row in copied["reminders"])
    assert [row["id"] for row in after["reminders"] if row["patient_id"] == patient.id]
    assert all(row["id"] > newest for row in after["reminders"] if row["patient_id"] == patient.id)


async def test_a_target_in_use_is_refused_and_left_alone(tmp_path: Path, database_url: str):
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    await fill_every_table(source)
    database = Database.connect(database_url)
    try:
        async with database.sessions.begin() as session:
            await PatientRepository(session).create(7007, 7007)
    finally:
        await database.dispose()
    before = await every_row(database_url)

    with pytest.raises(TargetNotEmpty) as refused:
        await copy_database(source, database_url)

    assert refused.value.counts == {"patients": 1}
    assert await every_row(database_url) == before
