"""The SQLite write-ahead log is checkpointed by a worker thread, not by the bot's commits."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import Database, default_sqlite_url, upgrade_database
from storage.wal import FALLBACK_PAGES, WalCheckpointer

PAGE = 4096  # SQLite's default page size: a row of this many bytes fills about a page


@pytest.fixture
async def database(tmp_path: Path) -> Database:
    url = default_sqlite_url(tmp_path)
    await upgrade_database(url)
    database = Database.connect(url)
    async with database.sessions.begin() as session:
        await session.execute(sa.text("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)"))
    return database


async def write_pages(database: Database, pages: int) -> None:
    """One commit of about `pages` pages of new rows, through the bot's own connection."""
    async with database.sessions.begin() as session:
        await session.execute(
            sa.text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows)"
                " INSERT INTO filler (data) SELECT zeroblob(:size) FROM n"
            ),
            {"rows": pages, "size": PAGE - 100},
        )


def rows_in_database_file(path: Path, tmp_path: Path) -> int:
    """The filler rows the database file holds by itself, without its WAL: the checkpointed
    ones (a copy of the file alone is what a reader sees once the log is gone)."""
    alone = tmp_path / "alone.db"
    shutil.copyfile(path, alone)
    connection = sqlite3.connect(alone)
    try:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        if "filler" not in tables:
            return 0
        return int(connection.execute("SELECT count(*) FROM filler").fetchone()[0])
    finally:
        connection.close()


async def test_the_bots_connection_checkpoints_only_past_the_fallback(
    database: Database,
) -> None:
    try:
        async with database.sessions() as session:
            value = (await session.execute(sa.text("PRAGMA wal_autocheckpoint"))).scalar_one()
        assert value == FALLBACK_PAGES
        # Twice 600 pages, then a small write: with SQLite's default (1,000) the second commit
        # would have checkpointed and the third restarted the log from its start.
        await write_pages(database, 600)
        await write_pages(database, 600)
        await write_pages(database, 1)
        assert database.wal is not None
        checkpoint = await database.wal.checkpoint()
        assert checkpoint.wal_pages > 1_200
    finally:
        await database.dispose()


async def test_a_checkpoint_puts_the_committed_rows_in_the_database_file(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "kesimpta.db"
    try:
        await write_pages(database, 300)
        assert rows_in_database_file(path, tmp_path) == 0  # only in the log so far
        assert database.wal is not None
        checkpoint = await database.wal.checkpoint()
        assert checkpoint.complete and checkpoint.wal_pages >= 300
        assert rows_in_database_file(path, tmp_path) == 300
        # The next write starts the log over: it does not grow while checkpoints keep up.
        await write_pages(database, 5)
        after = await database.wal.checkpoint()
        assert after.complete and after.wal_pages < 50
    finally:
        await database.dispose()


async def test_a_checkpoint_never_waits_for_a_reader_and_finishes_later(
    database: Database, tmp_path: Path
) -> None:
    """A read open on an older snapshot keeps its pages in the log: the checkpoint copies what
    it can at once (no waiting, no error), and the rest at a later run."""
    path = tmp_path / "kesimpta.db"
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        await write_pages(database, 10)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM filler").fetchone()[0] == 10
        await write_pages(database, 200)
        assert database.wal is not None
        partial = await asyncio.wait_for(database.wal.checkpoint(), timeout=5)
        assert not partial.complete
        reader.execute("COMMIT")
        assert (await database.wal.checkpoint()).complete
        assert rows_in_database_file(path, tmp_path) == 210
    finally:
        reader.close()
        await database.dispose()


async def test_checkpoints_while_the_bot_writes_lose_nothing(
    database: Database, tmp_path: Path
) -> None:
    """Commits on the event loop and checkpoints in the worker thread, interleaved."""
    path = tmp_path / "kesimpta.db"
    assert database.wal is not None
    wal = database.wal

    async def keep_checkpointing(stop: asyncio.Event) -> int:
        runs = 0
        while not stop.is_set():
            await wal.checkpoint()
            runs += 1
            await asyncio.sleep(0)
        return runs

    try:
        stop = asyncio.Event()
        checkpoints = asyncio.create_task(keep_checkpointing(stop))
        for _ in range(50):
            await write_pages(database, 8)
            await asyncio.sleep(0.001)
        stop.set()
        assert await checkpoints > 0
        assert (await wal.checkpoint()).complete
        assert rows_in_database_file(path, tmp_path) == 400
    finally:
        await database.dispose()


async def test_a_closed_checkpointer_refuses_and_a_missing_file_is_not_created(
    tmp_path: Path,
) -> None:
    missing = WalCheckpointer(tmp_path / "nothing-here.db")
    with pytest.raises(sqlite3.OperationalError):
        await missing.checkpoint()
    assert not (tmp_path / "nothing-here.db").exists()
    missing.close()
    with pytest.raises(sqlite3.ProgrammingError):
        await missing.checkpoint()


def test_postgresql_has_no_checkpointer() -> None:
    database = Database.connect("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        assert database.wal is None
    finally:
        asyncio.run(database.dispose())
