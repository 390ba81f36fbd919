"""Storage fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL isolation: one database per test session, named `kesimpta_test_<pid>_<random>`,
created on the server `TEST_POSTGRES_URL` points at and dropped at the end; before each test
its `public` schema is dropped and recreated, then the migrations run. The shared database in
the URL itself is only used to issue CREATE/DROP DATABASE.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scheduling.model import Patient
from storage.db import create_engine, is_sqlite, session_factory, upgrade_database
from storage.patients import PatientRepository

POSTGRES_ENV = "TEST_POSTGRES_URL"


def _asyncpg_dsn(url: str) -> str:
    """asyncpg speaks plain `postgresql://`, without SQLAlchemy's driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def admin_execute(url: str, statement: str) -> None:
    """Run one statement outside any transaction (CREATE/DROP DATABASE need that)."""
    import asyncpg  # type: ignore[import-untyped]  # the `postgres` extra, for this leg only

    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _run_in_private_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    # Not asyncio.run: that would replace the current event loop pytest-asyncio set up.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coroutine)
    finally:
        loop.close()


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """A private database for this test session on the server in TEST_POSTGRES_URL."""
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        pytest.skip(f"{POSTGRES_ENV} not set: PostgreSQL leg skipped")
    name = f"kesimpta_test_{os.getpid()}_{secrets.token_hex(4)}"
    _run_in_private_loop(admin_execute(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        # FORCE: a test that leaked a connection must not leave the database behind.
        _run_in_private_loop(
            admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def _server_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'kesimpta.db'}"
    url: str = request.getfixturevalue("postgres_session_url")
    return url


@pytest.fixture
async def blank_database_url(_server_url: str) -> str:
    """An empty database: a new SQLite file, or this session's PostgreSQL database, emptied."""
    if not is_sqlite(_server_url):
        # Whatever the previous test left: tables, the alembic_version row, sequences.
        await admin_execute(_server_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return _server_url


@pytest.fixture
async def database_url(blank_database_url: str) -> str:
    """A database whose schema the real migrations built (never `create_all`)."""
    await upgrade_database(blank_database_url)
    return blank_database_url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def make_patient(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[int], Awaitable[Patient]]:
    """Create a patient for a Telegram user (chat id = user id) in its own transaction."""

    async def make(telegram_user_id: int) -> Patient:
        async with sessions.begin() as session:
            return await PatientRepository(session).create(telegram_user_id, telegram_user_id)

    return make
