"""Copying a whole database into an empty one: how a deployment moves from SQLite to PostgreSQL.

Both ends are brought to the newest schema by the real migrations first, so the copy is
table for table and column for column. Rows go through the models' column types on both
sides (aware UTC instants, JSON, times of day), parents before children, in batches, and the
whole copy is one transaction on the target: it lands completely or not at all. The target
must hold no rows: a copy never merges into, or overwrites, a database in use.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine, upgrade_database
from storage.models import Base

BATCH_ROWS = 2_000


class TargetNotEmpty(Exception):
    """The target database already holds rows: copying into it would mix two deployments."""

    def __init__(self, counts: dict[str, int]) -> None:
        tables = ", ".join(f"{table} ({count})" for table, count in counts.items())
        super().__init__(f"the target already holds rows: {tables}")
        self.counts = counts


class CopyMismatch(Exception):
    """After copying, a table of the target does not hold as many rows as the source."""


@dataclass(frozen=True, slots=True)
class CopyReport:
    """Rows copied per table, in the order they were copied."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _tables() -> list[Table]:
    """The application's tables, parents first (alembic_version is the migrations' own)."""
    return list(Base.metadata.sorted_tables)


async def _counts(connection: AsyncConnection) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in _tables():
        counts[table.name] = int(
            await connection.scalar(select(func.count()).select_from(table)) or 0
        )
    return counts


async def _copy_table(source: AsyncConnection, target: AsyncConnection, table: Table) -> int:
    """Every row of `table`, in primary-key order, a batch at a time (keyset pagination)."""
    (key,) = table.primary_key.columns
    copied = 0
    last = None
    while True:
        query = select(table).order_by(key).limit(BATCH_ROWS)
        if last is not None:
            query = query.where(key > last)
        rows = (await source.execute(query)).all()
        if not rows:
            return copied
        await target.execute(insert(table), [dict(row._mapping) for row in rows])
        copied += len(rows)
        last = rows[-1]._mapping[key.name]


async def _continue_sequences(target: AsyncConnection) -> None:
    """PostgreSQL: make each generated id start after the largest one copied."""
    if target.dialect.name != "postgresql":
        return  # SQLite's rowids continue from the largest one by themselves
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        await target.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
            )
        )


async def copy_database(source_url: str, target_url: str) -> CopyReport:
    """Copy every row of the database at `source_url` into the empty one at `target_url`.

    Migrates both to the newest schema first. Raises `TargetNotEmpty` (and copies nothing) if
    the target holds any row, and `CopyMismatch` (and keeps nothing) if a count differs after
    the copy.
    """
    await upgrade_database(source_url)
    await upgrade_database(target_url)
    source_engine, target_engine = create_engine(source_url), create_engine(target_url)
    try:
        async with source_engine.connect() as source, target_engine.begin() as target:
            occupied = {table: n for table, n in (await _counts(target)).items() if n}
            if occupied:
                raise TargetNotEmpty(occupied)
            # One read transaction on the source: a consistent snapshot of every table.
            await source.begin()
            copied = {table.name: await _copy_table(source, target, table) for table in _tables()}
            await _continue_sequences(target)
            expected, stored = await _counts(source), await _counts(target)
            if stored != expected or copied != expected:
                raise CopyMismatch(f"rows expected {expected}, copied {copied}, stored {stored}")
    finally:
        await source_engine.dispose()
        await target_engine.dispose()
    return CopyReport(rows=copied)
