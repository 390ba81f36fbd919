"""The migrations build exactly the schema `storage.models` describes, both ways."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.db import (
    create_engine,
    current_revision,
    downgrade_database,
    head_revision,
    is_sqlite,
    upgrade_database,
)
from storage.models import Base


async def schema_diff(url: str, metadata: sa.MetaData = Base.metadata) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: sa.inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_migrations_build_exactly_the_models(database_url: str) -> None:
    """Tables, columns, types, nullability, indexes and constraints match models.py."""
    assert await schema_diff(database_url) == []


async def test_the_comparison_would_notice_a_difference(database_url: str) -> None:
    """The check above is not vacuous: a column the migrations lack shows up as a diff."""
    metadata = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["patients"].append_column(sa.Column("nickname", sa.String(32)))
    diff = await schema_diff(database_url, metadata)
    assert [entry[0] for entry in diff] == ["add_column"]


async def test_a_migrated_database_is_at_head(database_url: str) -> None:
    assert head_revision() is not None
    assert await current_revision(database_url) == head_revision()


async def test_a_blank_database_has_no_revision(blank_database_url: str) -> None:
    assert await current_revision(blank_database_url) is None


async def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    """Every migration can be undone, and the schema comes back identical."""
    await downgrade_database(database_url, "base")
    assert await current_revision(database_url) is None
    assert await table_names(database_url) <= {"alembic_version"}

    await upgrade_database(database_url)
    assert await current_revision(database_url) == head_revision()
    assert await schema_diff(database_url) == []


async def test_upgrading_an_up_to_date_database_changes_nothing(database_url: str) -> None:
    await upgrade_database(database_url)
    assert await current_revision(database_url) == head_revision()
    assert await schema_diff(database_url) == []


async def test_processes_starting_together_migrate_once(blank_database_url: str) -> None:
    """Several bot processes may start at once on PostgreSQL: one migrates, the others wait."""
    if is_sqlite(blank_database_url):
        pytest.skip("SQLite serves one process; concurrent start-ups are a PostgreSQL matter")
    # Without the lock these deadlock on CREATE TABLE: fail instead of hanging.
    async with asyncio.timeout(60):
        await asyncio.gather(*(upgrade_database(blank_database_url) for _ in range(4)))
    assert await current_revision(blank_database_url) == head_revision()
    assert await schema_diff(blank_database_url) == []
