"""Reading rows by position.

SQLAlchemy 2.1 resolves a Core row's column by name (`row.status`) in Python, about half a
microsecond a column; by position a whole row unpacks at C speed. A button press turns some
150 columns into domain objects, and a patient's doses and check-ins grow by one row a month,
so the converters in `storage` unpack rows whose columns they know the order of, and fail
loudly (a ValueError in the tests) if a table gains a column they do not expect. Stored enum
values become members through a dict (`by_value`), not an Enum call per column.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, Table


def table_values(row: Sequence[Any] | object, table: Table) -> Sequence[Any]:
    """The row's values in the order of `table.c`: a Core row of `select(*table.c)` (or a
    slice of one) as it is, an ORM object column by column."""
    if isinstance(row, Row | tuple):
        return row
    return [getattr(row, column.key) for column in table.c]


E = TypeVar("E", bound=enum.Enum)


def by_value(members: type[E]) -> Mapping[Any, E]:
    """Stored values to members: a dict lookup per column, not an Enum call."""
    return {member.value: member for member in members}
