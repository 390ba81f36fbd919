"""Column types that keep the domain's invariants at the database boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An instant stored as UTC: naive datetimes are refused, values come back aware UTC.

    SQLite has no time-zone type and its driver silently drops `tzinfo`, so the value is
    converted to UTC before it is written and UTC is re-attached when it is read. There it is
    stored as SQLAlchemy's SQLite DATETIME stores it, text that sorts as the instants do:
    "2025-01-15 09:00:00.000000".
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected an aware datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime: {value!r}")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    # On SQLite, each value goes through one function instead of two (this type's, then
    # SQLAlchemy's DATETIME formatting or parsing), and the text is made and read by the
    # datetime module's own C code: a button press binds and reads dozens of instants.

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        to_utc = self.process_bind_param

        def process(value: datetime | None) -> str | None:
            if type(value) is datetime and value.tzinfo is UTC:  # most instants: no checks
                # Cut "+00:00" off the text (`replace(tzinfo=None)` costs as much again).
                return value.isoformat(" ", "microseconds")[:-6]
            utc = to_utc(value, dialect)
            return None if utc is None else utc.isoformat(" ", "microseconds")

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            if len(value) > len("2025-01-15"):
                # A date and a time, as SQLAlchemy writes them: with the offset in the text the
                # parser attaches UTC itself, a tenth of the cost of `replace(tzinfo=UTC)`.
                return datetime.fromisoformat(value + "+00:00")
            return datetime.fromisoformat(value).replace(tzinfo=UTC)  # a bare date ignores one

        return process
