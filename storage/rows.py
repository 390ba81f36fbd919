"""Reading rows by position.

SQLAlchemy 2.1 resolves a Core row's column by name (`row.status`) in Python, about half a
microsecond a column; by position a whole row unpacks at C speed. A button press turns some
150 columns into domain objects, and a patient's doses and check-ins grow by one row a month,
so the converters in `storage` unpack rows whose columns they know the order of, and fail
loudly (a ValueError in the tests) if a table gains a column they do not expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Table


def table_values(row: Sequence[Any] | object, table: Table) -> Sequence[Any]:
    """The row's values in the order of `table.c`: a Core row of `select(*table.c)` (or a
    slice of one) as it is, an ORM object column by column."""
    if isinstance(row, Row | tuple):
        return row
    return [getattr(row, column.key) for column in table.c]
