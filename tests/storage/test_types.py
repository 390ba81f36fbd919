"""Instants are stored as UTC: naive datetimes are refused, every value reads back aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.types import UtcDateTime

instants = sa.Table(
    "instants_under_test",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime(), nullable=True),
)

# Offsets on both sides of UTC, a half- and a quarter-hour one, both sides of a DST change,
# the fall-back fold, and microseconds.
AWARE_INSTANTS = [
    datetime(2025, 1, 15, 9, 0, tzinfo=UTC),
    datetime(2025, 3, 30, 0, 59, 59, 999_999, tzinfo=UTC),
    datetime(2025, 3, 30, 2, 0, tzinfo=ZoneInfo("Europe/London")),
    datetime(2025, 11, 2, 1, 30, fold=0, tzinfo=ZoneInfo("America/New_York")),
    datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
    datetime(2025, 4, 6, 2, 30, tzinfo=ZoneInfo("Australia/Sydney")),
    datetime(2025, 6, 1, 23, 45, 12, 345_678, tzinfo=ZoneInfo("Asia/Kolkata")),
    datetime(2025, 6, 1, 5, 0, tzinfo=timezone(timedelta(hours=5, minutes=45))),
    datetime(2025, 6, 1, 5, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
]


@pytest.fixture
async def instants_table(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as connection:
        await connection.run_sync(instants.create)
    return engine


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "postgresql+asyncpg://localhost/x"])
def test_binding_a_naive_datetime_is_a_value_error(url: str) -> None:
    """A naive datetime is a bug upstream: refuse it rather than guess its zone."""
    dialect = create_async_engine(url).dialect  # no connection is made
    with pytest.raises(ValueError, match="naive"):
        UtcDateTime().process_bind_param(datetime(2025, 1, 1, 9, 0), dialect)


async def test_the_database_refuses_a_naive_datetime(instants_table: AsyncEngine) -> None:
    async with instants_table.connect() as connection:
        with pytest.raises(StatementError) as raised:
            await connection.execute(instants.insert().values(at=datetime(2025, 1, 1, 9, 0)))
    assert isinstance(raised.value.orig, ValueError)


@pytest.mark.parametrize("instant", AWARE_INSTANTS, ids=str)
async def test_an_instant_reads_back_as_the_same_aware_utc_instant(
    instants_table: AsyncEngine, instant: datetime
) -> None:
    async with instants_table.begin() as connection:
        await connection.execute(instants.insert().values(id=1, at=instant))
    async with instants_table.connect() as connection:
        stored = (await connection.execute(sa.select(instants.c.at))).scalar_one()
    # Compared in UTC: Python's == between zones is False for times in a fold (PEP 495).
    assert stored == instant.astimezone(UTC)
    assert stored.tzinfo is UTC


async def test_comparisons_in_sql_see_instants_not_wall_times(instants_table: AsyncEngine) -> None:
    """09:00 in Kolkata is before 08:00 UTC: the database orders by instant, whatever the zone."""
    kolkata_nine = datetime(2025, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Kolkata"))  # 03:30 UTC
    utc_eight = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    async with instants_table.begin() as connection:
        await connection.execute(
            instants.insert(), [{"id": 1, "at": utc_eight}, {"id": 2, "at": kolkata_nine}]
        )
    async with instants_table.connect() as connection:
        ordered = (await connection.execute(sa.select(instants.c.id).order_by(instants.c.at))).all()
        due = (
            await connection.execute(
                sa.select(instants.c.id).where(
                    instants.c.at <= datetime(2025, 6, 1, 5, 0, tzinfo=UTC)
                )
            )
        ).all()
    assert [row.id for row in ordered] == [2, 1]
    assert [row.id for row in due] == [2]


async def test_null_stays_null(instants_table: AsyncEngine) -> None:
    async with instants_table.begin() as connection:
        await connection.execute(instants.insert().values(id=1, at=None))
    async with instants_table.connect() as connection:
        assert (await connection.execute(sa.select(instants.c.at))).scalar_one() is None


def test_on_sqlite_the_text_is_sqlalchemys_datetime_text() -> None:
    """Written and read in one step on SQLite, an instant is the very text SQLAlchemy's own
    DATETIME writes (rows written before and after read alike), and such text reads back."""
    dialect = create_async_engine("sqlite+aiosqlite://").dialect  # no connection is made
    ours = UtcDateTime()
    theirs = sa.DateTime().dialect_impl(dialect)
    write, read = ours.bind_processor(dialect), ours.result_processor(dialect, None)
    their_write, their_read = theirs.bind_processor(dialect), theirs.result_processor(dialect, None)
    assert write and read and their_write and their_read
    edges = [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)]
    for instant in [*AWARE_INSTANTS, *edges]:
        text = write(instant)
        assert text == their_write(instant.astimezone(UTC).replace(tzinfo=None))
        assert read(text) == instant.astimezone(UTC) and read(text).tzinfo is UTC
    texts = ["2025-01-15 09:00:00.000000", "2025-01-15 09:00:00", "2025-01-15 09:00:00.5"]
    for text in [*texts, "2025-01-15"]:
        assert read(text) == their_read(text).replace(tzinfo=UTC)
    assert write(None) is None and read(None) is None
    with pytest.raises(ValueError, match="naive"):
        write(datetime(2025, 1, 1, 9, 0))
