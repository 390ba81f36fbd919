"""The bot's SQLite engine runs statements on the event loop's thread, one connection queued for.

Why it matters: a transaction that hands every statement to a worker thread waits a turn of a
busy event loop per statement, and everyone else waits for the one connection meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from storage.db import Database, default_sqlite_url, upgrade_database
from storage.doses import DoseRepository
from storage.inline_sqlite import BULK_PARAMETERS, InlineAdaptedConnection, InlineConnection
from storage.patients import PatientRepository


async def migrated(tmp_path: Path) -> Database:
    url = default_sqlite_url(tmp_path)
    await upgrade_database(url)
    return Database.connect(url)


class LoopTurns:
    """Counts the event loop's turns while it runs (a task that yields at every turn)."""

    def __init__(self) -> None:
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoopTurns:
        self._task = asyncio.create_task(self._count())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()

    async def _count(self) -> None:
        while True:
            self.count += 1
            await asyncio.sleep(0)


async def test_the_engine_uses_one_inline_connection(tmp_path: Path) -> None:
    database = await migrated(tmp_path)
    try:
        async with database.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, InlineConnection)
        assert database.engine.pool.size() == 1  # type: ignore[attr-defined]
    finally:
        await database.dispose()


async def test_a_transaction_does_not_wait_for_other_tasks(tmp_path: Path) -> None:
    """Reads and writes of one unit of work complete without a turn of the event loop."""
    database = await migrated(tmp_path)
    try:
        async with LoopTurns() as turns, database.sessions.begin() as session:
            before = turns.count
            patient = await PatientRepository(session).create(telegram_user_id=5, chat_id=5)
            doses = DoseRepository(session)
            await doses.add(patient.id, number=1, injected_on=date(2026, 3, 2))
            await doses.list_for_patient(patient.id)
            during = turns.count - before
    finally:
        await database.dispose()
    assert during == 0


async def test_errors_and_rollback_behave_as_with_aiosqlite(tmp_path: Path) -> None:
    """A constraint violation is SQLAlchemy's IntegrityError and rolls the whole unit back."""
    database = await migrated(tmp_path)
    try:
        try:
            async with database.sessions.begin() as session:
                patient = await PatientRepository(session).create(telegram_user_id=5, chat_id=5)
                await DoseRepository(session).add(424242, number=1, injected_on=date(2026, 3, 2))
        except IntegrityError:
            pass
        else:
            raise AssertionError("a dose for an unknown patient was accepted")
        async with database.sessions() as session:
            patients = await session.scalar(sa.text("SELECT count(*) FROM patients"))
        assert patients == 0 and patient.id is not None
    finally:
        await database.dispose()


async def insert_audit_rows(tmp_path: Path, count: int) -> tuple[int, int]:
    """One executemany of `count` audit rows: (rows stored, turns of the loop meanwhile)."""
    database = await migrated(tmp_path)
    try:
        async with LoopTurns() as turns, database.engine.begin() as connection:
            before = turns.count
            await connection.execute(
                sa.text(
                    "INSERT INTO audit_log (at, admin_telegram_id, action, details)"
                    " VALUES (:at, :admin, 'test', '{}')"
                ),
                [{"at": "2026-03-02 09:00:00.000000", "admin": n} for n in range(count)],
            )
            during = turns.count - before
        async with database.sessions() as session:
            rows = await session.scalar(sa.text("SELECT count(*) FROM audit_log"))
    finally:
        await database.dispose()
    return rows, during


async def test_bulk_statements_run_beside_the_loop(tmp_path: Path) -> None:
    """An executemany (the dispatcher recording 500 outcomes) lets other tasks run meanwhile,
    and its rows are all there."""
    rows, during = await insert_audit_rows(tmp_path, 2_000)
    assert rows == 2_000
    assert during > 0


async def test_a_statement_with_many_parameters_runs_beside_the_loop(tmp_path: Path) -> None:
    """One statement with hundreds of parameters is bulk work too; its rows come back."""
    database = await migrated(tmp_path)
    try:
        async with database.sessions.begin() as session:
            patients = PatientRepository(session)
            ids = [(await patients.create(telegram_user_id=n, chat_id=n)).id for n in (1, 2, 3)]
        wanted = [*ids, *range(10_000, 10_000 + BULK_PARAMETERS)]  # over the bulk bound
        async with LoopTurns() as turns, database.sessions() as session:
            before = turns.count
            result = await session.execute(
                sa.text("SELECT id FROM patients WHERE id IN :ids ORDER BY id").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": wanted},
            )
            found = [row.id for row in result]
            during = turns.count - before
    finally:
        await database.dispose()
    assert found == sorted(ids)
    assert during > 0


async def test_connections_execute_as_sessions_do(tmp_path: Path) -> None:
    """`engine.connect()` and `session.connection()` work on the inline connection (SQLAlchemy's
    asyncio connection insists that each statement awaited something)."""
    database = await migrated(tmp_path)
    try:
        async with database.engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.dbapi_connection, InlineAdaptedConnection)
            await connection.execute(
                sa.text(
                    "INSERT INTO audit_log (at, admin_telegram_id, action, details)"
                    " VALUES ('2026-03-02 09:00:00.000000', 7, 'test', '{}')"
                )
            )
        async with database.sessions() as session:
            connection = await session.connection()
            count = (await connection.execute(sa.text("SELECT count(*) FROM audit_log"))).scalar()
    finally:
        await database.dispose()
    assert count == 1


async def test_a_small_executemany_runs_in_place(tmp_path: Path) -> None:
    """A replan's new plan (a few rows, one executemany) is not bulk work: no turn of the loop."""
    rows, during = await insert_audit_rows(tmp_path, 26)
    assert rows == 26
    assert during == 0
