"""`kesimpta-bot copy-to URL`, as real processes: a SQLite deployment moved to PostgreSQL.

Needs a PostgreSQL server (`TEST_POSTGRES_URL`, as the storage tests); a private database is
created for the test and dropped after it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import upgrade_database
from tests.e2e.processes import fake_bot_api_process
from tests.e2e.test_backup_restore import environment_for, kesimpta_bot
from tests.storage.conftest import POSTGRES_ENV, admin_execute
from tests.storage.filled import every_row, fill_every_table

EXIT_CONFIG = 78
EXIT_UNAVAILABLE = 69


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database's URL (plain `postgresql://`, as a user would write)."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} not set: the move to PostgreSQL is not shown")
    name = f"kesimpta_copy_{os.getpid()}_{secrets.token_hex(4)}"
    asyncio.run(admin_execute(server, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server).set(drivername="postgresql", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_sqlite_deployment_moves_to_postgres_and_the_bot_starts_there(
    tmp_path: Path, empty_postgres: str
) -> None:
    data_dir = tmp_path / "data"
    sqlite_url = f"sqlite+aiosqlite:///{data_dir / 'kesimpta.db'}"
    data_dir.mkdir()
    asyncio.run(fill_every_table(sqlite_url))
    before = asyncio.run(every_row(sqlite_url))

    copied = kesimpta_bot(environment_for(None, data_dir), "copy-to", empty_postgres)

    assert copied.returncode == 0, copied.stderr
    assert f"  patients: {len(before['patients'])} row(s)" in copied.stdout
    assert "next: set DATABASE_URL=postgresql+asyncpg://" in copied.stdout
    postgres_url = make_url(empty_postgres).set(drivername="postgresql+asyncpg")
    assert asyncio.run(every_row(postgres_url.render_as_string(hide_password=False))) == before
    assert asyncio.run(every_row(sqlite_url)) == before, "the SQLite file is left as it was"

    # Again: the target is no longer empty, so nothing is copied over it.
    again = kesimpta_bot(environment_for(None, data_dir), "copy-to", empty_postgres)
    assert again.returncode == EXIT_CONFIG
    assert "only fills an empty database, nothing was copied" in again.stderr

    # The bot, pointed at PostgreSQL, finds its database and Telegram.
    with fake_bot_api_process() as fake:
        on_postgres = environment_for(fake, data_dir)
        on_postgres["DATABASE_URL"] = postgres_url.render_as_string(hide_password=False)
        checked = kesimpta_bot(on_postgres, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_copy_that_fails_half_way_keeps_nothing_and_quotes_no_row(
    tmp_path: Path, empty_postgres: str
) -> None:
    """A row the target refuses (here a CHECK the test adds to audit_log) ends the one
    transaction: the target stays empty, and the message names the error's type only, never
    the refused row (PostgreSQL's own message quotes it: "Failing row contains ...")."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    asyncio.run(fill_every_table(f"sqlite+aiosqlite:///{data_dir / 'kesimpta.db'}"))
    postgres_url = make_url(empty_postgres).set(drivername="postgresql+asyncpg")
    target = postgres_url.render_as_string(hide_password=False)
    asyncio.run(upgrade_database(target))
    asyncio.run(
        admin_execute(
            target, "ALTER TABLE audit_log ADD CONSTRAINT refuse_pauses CHECK (action <> 'pause')"
        )
    )

    copied = kesimpta_bot(environment_for(None, data_dir), "copy-to", empty_postgres)

    assert copied.returncode == EXIT_UNAVAILABLE, copied.stderr
    assert "failed (" in copied.stderr and "nothing was kept" in copied.stderr
    assert "Traceback" not in copied.stderr
    assert "travel" not in copied.stderr + copied.stdout  # the refused row's details
    assert all(not rows for rows in asyncio.run(every_row(target)).values())
