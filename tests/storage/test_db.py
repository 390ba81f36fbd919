"""Engines and sessions: SQLite's pragmas, its data folder, and the foreign keys both enforce."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from scheduling.model import Patient
from storage import db as storage_db
from storage.db import Database, create_engine, default_sqlite_url, upgrade_database
from storage.doses import DoseRepository
from storage.models import DoseRow, PatientRow
from storage.patients import PatientRepository

PRAGMAS_IN_FORCE = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": 1,  # NORMAL
}


def test_the_default_url_is_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    url = default_sqlite_url(tmp_path / "data")
    assert url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kesimpta.db'}"


async def test_a_missing_data_folder_is_created(tmp_path: Path) -> None:
    """A first start on a fresh machine needs no `mkdir`."""
    url = default_sqlite_url(tmp_path / "not" / "there" / "yet")
    await upgrade_database(url)
    database = Database.connect(url)
    try:
        async with database.sessions() as session:
            assert (await session.execute(sa.text("SELECT 1"))).scalar_one() == 1
    finally:
        await database.dispose()
    assert (tmp_path / "not" / "there" / "yet" / "kesimpta.db").is_file()


async def test_sqlite_pragmas_are_in_force_on_every_connection(tmp_path: Path) -> None:
    # The bot's engine keeps one SQLite connection; an unpooled one shows each new connection.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}", poolclass=NullPool)
    try:
        # Two connections at once: the second is a new one, not the first one reused.
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                for pragma, expected in PRAGMAS_IN_FORCE.items():
                    value = (await connection.exec_driver_sql(f"PRAGMA {pragma}")).scalar_one()
                    assert value == expected, pragma
    finally:
        await engine.dispose()


async def test_concurrent_writers_on_sqlite_queue_instead_of_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty presses at once, each holding the write lock a while (a busy event loop): on
    SQLite they queue for the one connection in order; none fails with "database is locked"
    when SQLite's busy timeout (here 0.2 s) runs out."""
    pragmas = tuple(p for p in storage_db.SQLITE_PRAGMAS if "busy_timeout" not in p)
    monkeypatch.setattr(storage_db, "SQLITE_PRAGMAS", (*pragmas, "PRAGMA busy_timeout=200"))
    url = default_sqlite_url(tmp_path)
    await upgrade_database(url)
    database = Database.connect(url)
    try:
        async with database.sessions.begin() as session:
            patients = [
                await PatientRepository(session).create(telegram_user_id=9000 + n, chat_id=9000 + n)
                for n in range(20)
            ]

        async def press(patient: Patient) -> None:
            async with database.sessions.begin() as session:
                doses = DoseRepository(session)
                number = len(await doses.list_for_patient(patient.id)) + 1
                await doses.add(patient.id, number=number, injected_on=date(2026, 3, 2))
                await asyncio.sleep(0.05)  # other handlers run while this one holds the lock

        await asyncio.gather(*(press(patient) for patient in patients))
        async with database.sessions() as session:
            written = await session.scalar(sa.select(sa.func.count()).select_from(DoseRow))
    finally:
        await database.dispose()
    assert written == 20


async def test_a_dose_for_an_unknown_patient_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Foreign keys are enforced (SQLite needs its pragma for that), and the error, which the
    error handler logs, does not quote the statement's values (health data stays out of logs)."""
    with pytest.raises(IntegrityError) as refused:
        async with sessions.begin() as session:
            await DoseRepository(session).add(424242, number=1, injected_on=date(2025, 1, 7))
    assert "424242" not in str(refused.value) and "2025-01-07" not in str(refused.value)


async def test_deleting_a_patient_row_cascades_to_their_doses(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    make_patient: Callable[[int], Awaitable[Patient]],
) -> None:
    """ON DELETE CASCADE holds even for a delete that bypasses the repositories."""
    patient = await make_patient(1001)
    async with sessions.begin() as session:
        await DoseRepository(session).add(patient.id, number=1, injected_on=date(2025, 1, 1))
    async with engine.begin() as connection:
        await connection.execute(sa.text("DELETE FROM patients WHERE id = :id"), {"id": patient.id})
    async with sessions() as session:
        assert (await session.scalar(sa.select(sa.func.count()).select_from(DoseRow))) == 0


async def test_sessions_on_the_inline_connection_end_without_a_task_of_their_own(
    tmp_path: Path,
) -> None:
    """`sessions.begin()` commits, or rolls back on an error, and `sessions()` closes, all
    inline: no extra task per session, and the one connection is free again at once."""
    url = default_sqlite_url(tmp_path)
    await upgrade_database(url)
    database = Database.connect(url)
    loop = asyncio.get_running_loop()
    created: list[object] = []
    default_factory = loop.get_task_factory()

    def counting_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        created.append(coro)
        if default_factory is not None:
            return default_factory(loop, coro, **kwargs)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting_factory)
    try:
        async with database.sessions.begin() as session:
            await PatientRepository(session).create(telegram_user_id=1, chat_id=1)
        with pytest.raises(RuntimeError):
            async with database.sessions.begin() as session:
                await PatientRepository(session).create(telegram_user_id=2, chat_id=2)
                raise RuntimeError("a handler failed half-way")
        async with database.sessions() as session:
            stored = await session.scalar(sa.select(sa.func.count()).select_from(PatientRow))
        assert created == []
    finally:
        loop.set_task_factory(default_factory)
        await database.dispose()
    assert stored == 1  # the first committed, the second rolled back


async def test_other_engines_keep_sqlalchemys_shielded_close(tmp_path: Path) -> None:
    """Where a close may really wait (a pooled aiosqlite connection here, PostgreSQL in
    production), sessions end as SQLAlchemy's own do."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}", poolclass=NullPool)
    try:
        sessions = storage_db.session_factory(engine)
        assert type(sessions) is async_sessionmaker
        assert issubclass(sessions.class_, AsyncSession)
        assert sessions.class_.__aexit__ is AsyncSession.__aexit__
    finally:
        await engine.dispose()
