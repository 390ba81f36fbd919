"""SQLite's query plans for the statements a piece of storage code really sends.

The statements are captured as they go to the database, so a test checks the query the code
runs today, not a copy of it. SQLite only: its plan does not depend on table statistics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import create_engine, session_factory, upgrade_database

Sessions = async_sessionmaker[AsyncSession]


@contextmanager
def captured_statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every (statement, parameters) sent to the database while the block runs."""
    statements: list[tuple[str, Any]] = []

    def capture(connection: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


async def query_plan(engine: AsyncEngine, statement: str, parameters: Any) -> list[str]:
    """The lines of SQLite's EXPLAIN QUERY PLAN for one captured statement."""
    assert engine.dialect.name == "sqlite", "query plans are pinned on SQLite"
    async with engine.connect() as connection:
        result = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [str(row[-1]) for row in result]


async def plans_of(
    directory: Path,
    run: Callable[[Sessions], Awaitable[object]],
    *,
    containing: str,
    prepare: Callable[[Sessions], Awaitable[object]] | None = None,
) -> list[list[str]]:
    """SQLite's plans for the statements `run` sends whose SQL contains `containing`, on a new
    database the migrations built in `directory` (after `prepare`, whose statements are not
    looked at)."""
    url = f"sqlite+aiosqlite:///{directory / 'plan.db'}"
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        if prepare is not None:
            await prepare(sessions)
        with captured_statements(engine) as statements:
            await run(sessions)
        return [
            await query_plan(engine, statement, parameters)
            for statement, parameters in statements
            if containing in statement
        ]
    finally:
        await engine.dispose()
