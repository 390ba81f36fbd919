"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

aiosqlite runs every call (cursor, execute, fetch, close, commit) in a worker thread and hands
the result back through the event loop: on a busy loop each hand-back waits for a full turn of
the loop, so a transaction of a dozen statements takes tens of milliseconds of wall time, and
while it holds the database (see `storage.db`: one connection) every other patient waits. The
statements themselves take microseconds on a local file. Here the same calls run directly: a
transaction costs its CPU time and nothing more, and it runs without yielding to other tasks.

The price: a slow statement holds the whole loop while it runs. Every query of the bot is a
short indexed one, but for an admin's `/stats` (counts over whole tables: about half a second
with 100,000 patients, measured). Bulk statements (hundreds of parameters in all, like the
dispatcher's claim of 500 rows, or an executemany of many rows) go to a worker thread, so
SQLite's own work on them runs beside the loop; the connection is never used by two at once
(one pooled connection, and SQLAlchemy's lock per connection).

SQLAlchemy's aiosqlite dialect still does all the SQL work: this module replaces the aiosqlite
connection it wraps (`create_async_engine(..., async_creator=...)`) and the adapter classes
around it (`module=InlineDBAPI()`), whose calls need not be coroutines here. The adapters
subclass SQLAlchemy's own; pyproject.toml pins the SQLAlchemy minor version they were written
against.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

# Above this many parameters (all rows of an executemany together) a statement is bulk work:
# run it in a worker thread. A replan's largest statement (a new plan: 8 rows of 8 values at a
# press, 26 rows for a whole chain) stays on the loop.
BULK_PARAMETERS = 256


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
    """What SQLAlchemy's aiosqlite adapter uses of aiosqlite's `Connection` (closing, the
    isolation level, functions), over a sqlite3 connection, without a thread. Statements and
    commits go through `InlineAdaptedConnection`, straight to the sqlite3 connection."""

    __slots__ = ("_conn", "_connection", "_tx")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed
        self._tx = _RunNow()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.sqlite_connection().create_function(*args, **kwargs)

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

    @property
    def closed(self) -> bool:
        return self._connection is None

    def sqlite_connection(self) -> sqlite3.Connection:
        """The sqlite3 connection; ValueError once closed."""
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


# --- SQLAlchemy's side --------------------------------------------------------------------------


async def _nothing() -> None:
    """A coroutine that returns at once."""


class InlineAdaptedCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's cursor adapter for aiosqlite, calling the sqlite3 cursor directly.

    SQLAlchemy's adapter runs every call as a coroutine that its greenlet hands to the event
    loop's side and waits for, under a lock: several greenlet switches, coroutines and the
    lock per statement, to call functions that never suspend (about a sixth of what a
    statement cost through a session: 70 -> 57 us, measured). Here only bulk statements take
    that way, to a worker thread; the rest run in place.
    """

    __slots__ = ()
    _awaitable_cursor_close = False  # closing a sqlite3 cursor is a plain call

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        inline = cast(InlineConnection, adapt_connection._connection)
        self._cursor = cast(Any, inline.sqlite_connection().cursor())
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        cursor: sqlite3.Cursor = self._cursor  # type: ignore[assignment]
        parameters = () if parameters is None else parameters
        try:
            self._run(cursor.execute, operation, parameters, size=len(parameters))
            if cursor.description:
                self._rows = collections.deque(cursor.fetchall())
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        cursor: sqlite3.Cursor = self._cursor  # type: ignore[assignment]
        rows = list(seq_of_parameters)
        try:
            self._run(cursor.executemany, operation, rows, size=sum(len(row) for row in rows))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def _run(
        self, call: Callable[[Any, Any], Any], operation: Any, parameters: Any, *, size: int
    ) -> None:
        """In place; bulk work (`size` parameters in all), or while the connection is busy in
        the worker thread, in that thread, under SQLAlchemy's lock."""
        if size > BULK_PARAMETERS or self._adapt_connection._execute_mutex.locked():
            await_(self._in_thread(call, operation, parameters))
        else:
            # One switch to the loop's side and back, for nothing: SQLAlchemy's asyncio
            # connection checks that each statement awaited something.
            await_(_nothing())
            call(operation, parameters)

    async def _in_thread(self, call: Callable[..., Any], *args: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            await asyncio.to_thread(call, *args)

    def close(self) -> None:
        self._rows.clear()
        self._cursor.close()  # type: ignore[unused-coroutine]


class InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's connection adapter over an `InlineConnection`: commits in place."""

    __slots__ = ()
    _cursor_cls = InlineAdaptedCursor

    def commit(self) -> None:
        self._end(sqlite3.Connection.commit)

    def rollback(self) -> None:
        self._end(sqlite3.Connection.rollback)

    def _end(self, how: Callable[[sqlite3.Connection], None]) -> None:
        # As SQLAlchemy's aiosqlite adapter: on a closed connection, nothing to end.
        inline = cast(InlineConnection, self._connection)
        if inline.closed:
            return
        try:
            how(inline.sqlite_connection())
        except Exception as error:
            self._handle_exception(error)


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The `module` for `create_async_engine`: connections adapted by `InlineAdaptedConnection`."""

    def __init__(self) -> None:
        import aiosqlite

        super().__init__(aiosqlite, sqlite3)

    def connect(self, *args: Any, **kwargs: Any) -> InlineAdaptedConnection:
        creator = kwargs.pop("async_creator_fn")
        return InlineAdaptedConnection(self, await_(creator(*args, **kwargs)))
