"""The migrations build exactly the schema `storage.models` describes, both ways."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, make_url

from storage.db import (
    create_engine,
    current_revision,
    downgrade_database,
    head_revision,
    is_sqlite,
    upgrade_database,
)
from storage.models import Base

T = TypeVar("T")


async def schema_diff(url: str, metadata: sa.MetaData = Base.metadata) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    return await read_with(url, compare)


async def table_names(url: str) -> set[str]:
    return set(await read_with(url, lambda connection: sa.inspect(connection).get_table_names()))


async def read_with(url: str, read: Callable[[Connection], T]) -> T:
    """`read` run on a connection of its own to the database at `url`."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


def _predicate(where: object) -> str | None:
    """A partial index's WHERE as comparable text: PostgreSQL adds parentheses around it, and
    around a column it casts, and the casts (`(status)::text = 'sent'::text`)."""
    if where is None:
        return None
    sql = " ".join(str(where).split())
    sql = re.sub(r"::[a-z ]+\b", "", sql)  # `::text`, `::character varying`
    sql = re.sub(r"\((\w+)\)", r"\1", sql)  # `(status)` -> `status`
    while sql.startswith("(") and sql.endswith(")") and _balanced(sql[1:-1]):
        sql = sql[1:-1].strip()
    return sql


def _balanced(sql: str) -> bool:
    depth = 0
    for char in sql:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


IndexShapes = dict[str, tuple[tuple[str, ...], str | None]]


def model_indexes(dialect: str, metadata: sa.MetaData = Base.metadata) -> IndexShapes:
    """Each index of the models, by name: its columns and its partial-index predicate."""
    return {
        str(index.name): (
            tuple(column.name for column in index.columns),
            _predicate(index.dialect_options[dialect]["where"]),
        )
        for table in metadata.tables.values()
        for index in table.indexes
    }


async def database_indexes(url: str) -> IndexShapes:
    """Each index in the database the same way (not the ones behind a UNIQUE constraint)."""

    def reflect(connection: Connection) -> IndexShapes:
        inspector = sa.inspect(connection)
        dialect = connection.dialect.name
        return {
            str(index["name"]): (
                tuple(str(column) for column in index["column_names"]),
                _predicate(index.get("dialect_options", {}).get(f"{dialect}_where")),
            )
            for table in inspector.get_table_names()
            for index in inspector.get_indexes(table)
            if not index.get("duplicates_constraint")
        }

    return await read_with(url, reflect)


async def assert_indexes_match_the_models(url: str) -> None:
    assert await database_indexes(url) == model_indexes(make_url(url).get_backend_name())


async def test_migrations_build_exactly_the_models(database_url: str) -> None:
    """Tables, columns, types, nullability, indexes and constraints match models.py (partial
    index predicates aside: see test_partial_indexes_match_the_models)."""
    assert await schema_diff(database_url) == []


async def test_the_comparison_would_notice_a_difference(database_url: str) -> None:
    """The check above is not vacuous: a column the migrations lack shows up as a diff."""
    metadata = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["patients"].append_column(sa.Column("nickname", sa.String(32)))
    diff = await schema_diff(database_url, metadata)
    assert [entry[0] for entry in diff] == ["add_column"]


async def test_partial_indexes_match_the_models(database_url: str) -> None:
    """Alembic's comparison ignores a partial index's WHERE: this one does not."""
    await assert_indexes_match_the_models(database_url)
    indexes = await database_indexes(database_url)
    assert indexes["ix_reminders_broadcast_id_status"] == (
        ("broadcast_id", "status"),
        "broadcast_id IS NOT NULL",
    )


async def test_the_index_comparison_would_notice_a_missing_predicate(database_url: str) -> None:
    """The check above is not vacuous: a model index without its WHERE shows up."""
    metadata = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    reminders = metadata.tables["reminders"]
    [partial] = [ix for ix in reminders.indexes if ix.name == "ix_reminders_broadcast_id_status"]
    reminders.indexes.remove(partial)
    sa.Index(partial.name, *partial.columns)  # the same columns, on the same table, no WHERE
    whole = model_indexes(make_url(database_url).get_backend_name(), metadata)
    assert whole["ix_reminders_broadcast_id_status"] == (("broadcast_id", "status"), None)
    assert await database_indexes(database_url) != whole


async def test_downgrade_to_003_restores_the_reminder_indexes(database_url: str) -> None:
    """Migration 004 undone: (status, due_at) is back, and (broadcast_id, status) is whole."""
    await downgrade_database(database_url, "003")
    assert await current_revision(database_url) == "003"
    indexes = await database_indexes(database_url)
    reminders = {name: shape for name, shape in indexes.items() if name.startswith("ix_reminders")}
    assert reminders == {
        "ix_reminders_status_due_at": (("status", "due_at"), None),
        "ix_reminders_status_priority_due_at": (("status", "priority", "due_at"), None),
        "ix_reminders_patient_id_status": (("patient_id", "status"), None),
        "ix_reminders_broadcast_id_status": (("broadcast_id", "status"), None),
    }

    await upgrade_database(database_url)
    assert await schema_diff(database_url) == []
    await assert_indexes_match_the_models(database_url)


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
    await assert_indexes_match_the_models(database_url)


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
