"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

aiosqlite runs every call (cursor, execute, fetch, close, commit) in a worker thread and hands
the result back through the event loop: on a busy loop each hand-back waits for a full turn of
the loop, so a transaction of a dozen statements takes tens of milliseconds of wall time, and
while it holds the database (see `storage.db`: one connection) every other patient waits. The
statements themselves take microseconds on a local file. Here the same calls run directly: a
transaction costs its CPU time and nothing more, and it runs without yielding to other tasks.

The price: a slow statement holds the whole loop while it runs. Every query of the bot is a
short indexed one, but for an admin's `/stats` (counts over whole tables: about half a second
with 100,000 patients, measured). Bulk statements (an executemany, or one with hundreds of
parameters, like the dispatcher's claim of 500 rows) go to a worker thread, so SQLite's own
work on them runs beside the loop; the connection is never used by two at once (one pooled
connection, and SQLAlchemy's lock per connection).
SQLAlchemy's aiosqlite dialect still does all the SQL work: this module only replaces the
aiosqlite connection it wraps (`create_async_engine(..., async_creator=...)`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

# Above this many parameters a statement is bulk work: run it in a worker thread. A replan's
# largest statement (a new plan: 8 rows of 8 values at a press, 26 for a whole chain) stays on
# the loop.
BULK_PARAMETERS = 256


class InlineCursor:
    """aiosqlite's `Cursor` interface over a sqlite3 cursor, without a thread."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        if len(parameters) > BULK_PARAMETERS:
            await asyncio.to_thread(self._cursor.execute, sql, parameters)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        await asyncio.to_thread(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._cursor.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """aiosqlite's work queue, as SQLAlchemy's isolation-level setter uses it: run at once."""

    __slots__ = ()

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineConnection:
    """aiosqlite's `Connection` interface over a sqlite3 connection, without a thread."""

    __slots__ = ("_conn", "_connection", "_tx")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed
        self._tx = _RunNow()

    def cursor(self) -> InlineCursor:
        """A cursor; SQLAlchemy enters it (`async with`) as it does aiosqlite's."""
        return InlineCursor(self._open().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        return InlineCursor(self._open().execute(sql, parameters))

    async def commit(self) -> None:
        self._open().commit()

    async def rollback(self) -> None:
        self._open().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._conn.isolation_level = value

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("Connection closed")  # what aiosqlite says; the dialect maps it
        return self._connection


def inline_connector(path: Path) -> Callable[[], Awaitable[InlineConnection]]:
    """An `async_creator` for `create_async_engine`: connections to the SQLite file `path`."""

    async def connect() -> InlineConnection:
        # check_same_thread=False: bulk statements run in a worker thread (never two at once:
        # one pooled connection), and the pool may close it from another thread at exit.
        return InlineConnection(sqlite3.connect(path, check_same_thread=False))

    return connect
