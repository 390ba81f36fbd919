"""Engines, sessions and schema migrations, built from a database URL on demand.

SQLite (the default, one process) and PostgreSQL through asyncpg. Nothing happens at import
time: the composition root calls `Database.connect(url)` and `upgrade_database(url)`.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.asyncio.result import _ensure_sync_result
from sqlalchemy.ext.asyncio.session import _EXECUTE_OPTIONS, _AsyncSessionContextManager
from sqlalchemy.orm._typing import OrmExecuteOptionsParameter
from sqlalchemy.orm.session import _BindArguments
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.base import Executable
from sqlalchemy.util import EMPTY_DICT, immutabledict
from sqlalchemy.util.concurrency import in_greenlet

from storage.inline_sqlite import InlineDBAPI, inline_connector
from storage.wal import WAL_AUTOCHECKPOINT_PRAGMA, WalCheckpointer

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 0x6B65_7369_6D70  # "kesimp": any constant the application owns

# Applied to every new SQLite connection. WAL lets the dispatcher read while a handler writes;
# SQLite ships with foreign keys off, and ON DELETE CASCADE is part of the schema's contract.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


def default_sqlite_url(data_dir: str | os.PathLike[str]) -> str:
    """The URL of the SQLite file used when `DATABASE_URL` is not set."""
    return f"sqlite+aiosqlite:///{Path(data_dir) / 'kesimpta.db'}"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _on_sqlite_connect(pragmas: tuple[str, ...]) -> Callable[[Any, Any], None]:
    def set_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return set_pragmas


def create_engine(url: str, *, echo: bool = False, **options: Any) -> AsyncEngine:
    """An `AsyncEngine` for `url`; for SQLite, the file's folder exists and the pragmas are set."""
    return _create_engine(url, SQLITE_PRAGMAS, echo=echo, **options)


def _create_engine(
    url: str, sqlite_pragmas: tuple[str, ...], *, echo: bool = False, **options: Any
) -> AsyncEngine:
    # A failed statement's exception would otherwise quote its parameters (doses, reactions)
    # into the log through the error handler: health data never goes to a log.
    options.setdefault("hide_parameters", True)
    if not is_sqlite(url):
        return create_async_engine(url, echo=echo, pool_pre_ping=True, **options)
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        if "poolclass" not in options:
            # SQLite has one writer at a time. Several connections writing at once wait for
            # each other in SQLite's busy handler, which polls and gives up after the busy
            # timeout ("database is locked", an action lost under load). One connection makes
            # sessions queue for it in order, in asyncio, instead. Nothing holds a session
            # while it talks to Telegram, and the connection runs its statements on the event
            # loop's thread (see storage/inline_sqlite.py), so the queue moves at the pace of
            # the statements' own CPU time.
            options.update(
                pool_size=1,
                max_overflow=0,
                async_creator=inline_connector(sqlite_file),
                module=InlineDBAPI(),
            )
            # Nor does it checkpoint the WAL, fsyncs and all, but past a fallback: a worker
            # thread does that (storage/wal.py).
            sqlite_pragmas = (*sqlite_pragmas, WAL_AUTOCHECKPOINT_PRAGMA)
    engine = create_async_engine(url, echo=echo, **options)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect(sqlite_pragmas))
    if "async_creator" in options:
        _INLINE_ENGINES.add(engine)
    return engine


# Engines on the inline SQLite connection (storage/inline_sqlite.py): see `_InlineSession`.
_INLINE_ENGINES: weakref.WeakSet[AsyncEngine] = weakref.WeakSet()


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether `error` is a duplicate key (not, say, a foreign key), on SQLite and PostgreSQL."""
    # SQLite: "UNIQUE constraint failed: ..."; PostgreSQL: "duplicate key value violates unique
    # constraint ...". Foreign-key failures mention neither.
    message = str(error.orig).lower()
    return "unique constraint" in message and "foreign key" not in message


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reloads under asyncio)."""
    if engine in _INLINE_ENGINES:
        return _InlineSessionMaker(engine, class_=_InlineSession, expire_on_commit=False)
    return async_sessionmaker(engine, class_=_Session, expire_on_commit=False)


def _buffered(options: OrmExecuteOptionsParameter) -> OrmExecuteOptionsParameter:
    """The execution options `AsyncSession.execute` runs a statement with (rows prefetched)."""
    return immutabledict(options).union(_EXECUTE_OPTIONS) if options else _EXECUTE_OPTIONS


class _Session(AsyncSession):
    """An `AsyncSession` that, inside `storage.greenlets.in_one_greenlet`, runs its statements
    and its close in that greenlet, as plain calls; elsewhere, as SQLAlchemy does.

    `execute` does there what `AsyncSession.execute` does around its greenlet, with the same
    private helpers (`_EXECUTE_OPTIONS`, `_ensure_sync_result`): SQLAlchemy is pinned to 2.1.x.
    """

    async def execute(
        self,
        statement: Executable,
        params: Any = None,
        *,
        execution_options: OrmExecuteOptionsParameter = EMPTY_DICT,
        bind_arguments: _BindArguments | None = None,
        **kw: Any,
    ) -> Any:
        if not in_greenlet():
            return await super().execute(
                statement,
                params,
                execution_options=execution_options,
                bind_arguments=bind_arguments,
                **kw,
            )
        result = self.sync_session.execute(
            statement,
            params,
            execution_options=_buffered(execution_options),
            bind_arguments=bind_arguments,
            **kw,
        )
        return await _ensure_sync_result(result, self.execute)

    async def close(self) -> None:
        if in_greenlet():
            self.sync_session.close()
        else:
            await super().close()


class _InlineSession(_Session):
    """A session on the inline SQLite connection, closed directly when `async with` ends.

    SQLAlchemy closes a session (and ends a `sessions.begin()` block) in a task of its own and
    waits for it shielded, so a cancellation cannot cut the cleanup short. That costs a task
    and a turn of the event loop for every session, with the one connection held meanwhile:
    6% of the bot's CPU per button press (bench/load.py, alternated runs). On the inline
    connection nothing that commit, rollback or close awaits ever suspends, so a cancellation
    cannot land inside them and the shield protects nothing. PostgreSQL keeps it.
    """

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()


class _InlineBegin(_AsyncSessionContextManager[AsyncSession]):
    """`sessions.begin()` for `_InlineSession`: commit (or roll back), then close, inline; in
    `in_one_greenlet`, begin and end the transaction there too."""

    __slots__ = ()

    async def __aenter__(self) -> AsyncSession:
        if not in_greenlet():
            return await super().__aenter__()
        # `AsyncSessionTransaction.start(is_ctxmanager=True)`, its greenlet aside.
        self.trans = self.async_session.begin()
        begun = self.async_session.sync_session.begin()
        self.trans.sync_transaction = self.trans._assign_proxied(begun)
        begun.__enter__()
        return self.async_session

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        try:
            if in_greenlet():
                self.trans._sync_transaction().__exit__(type_, value, traceback)
            else:
                await self.trans.__aexit__(type_, value, traceback)
        finally:
            await self.async_session.__aexit__(type_, value, traceback)


class _InlineSessionMaker(async_sessionmaker[AsyncSession]):
    def begin(self) -> _AsyncSessionContextManager[AsyncSession]:
        return _InlineBegin(self())


@dataclass(frozen=True, slots=True)
class Database:
    """An engine and its session factory. Use `async with db.sessions.begin() as s:`.

    `wal`: for a SQLite file, what checkpoints its write-ahead log; whoever runs the bot calls
    `wal.checkpoint()` every second or so (`bot/app.py`). None on PostgreSQL.
    """

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    wal: WalCheckpointer | None = None

    @classmethod
    def connect(cls, url: str, *, echo: bool = False) -> Database:
        engine = create_engine(url, echo=echo)
        sqlite_file = _sqlite_file(url) if is_sqlite(url) else None
        wal = WalCheckpointer(sqlite_file) if sqlite_file is not None else None
        return cls(engine=engine, sessions=session_factory(engine), wal=wal)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.wal is not None:
            self.wal.close()


# --- migrations ----------------------------------------------------------------------------


def alembic_config() -> Config:
    """Alembic's configuration, built in code so it works from an installed package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migration_engine(url: str) -> AsyncEngine:
    """An engine for running migrations: no pool and, on SQLite, foreign keys off."""
    # Batch migrations on SQLite copy and drop tables: with foreign keys on, dropping a
    # parent table would cascade-delete its children. Foreign keys stay off while migrating.
    pragmas = tuple(p for p in SQLITE_PRAGMAS if "foreign_keys" not in p)
    return _create_engine(url, (*pragmas, "PRAGMA foreign_keys=OFF"), poolclass=NullPool)


async def _run_alembic(url: str, operation: Callable[[Config], None]) -> None:
    engine = migration_engine(url)

    def run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Several bot processes may start at once: one migrates, the others wait for its
            # commit and then find nothing to do. Released when the transaction ends.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        config = alembic_config()
        # env.py runs on this connection instead of opening its own event loop.
        config.attributes["connection"] = connection
        operation(config)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (the newest by default)."""
    await _run_alembic(url, lambda config: command.upgrade(config, revision))


async def downgrade_database(url: str, revision: str) -> None:
    """Take the schema back to `revision` ("base": no tables). For tests and recoveries."""
    await _run_alembic(url, lambda config: command.downgrade(config, revision))


async def current_revision(url: str) -> str | None:
    """The revision the database is at (None: never migrated), for diagnostics."""
    engine = migration_engine(url)

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()
