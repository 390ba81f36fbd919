"""Doses actually injected: the facts the whole plan is counted from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import DoseRecord, DoseSource, InjectionSite, require_utc
from storage.models import DoseRow
from storage.rows import by_value, table_values

# Built once (see storage/patients.py): the reads and the insert of every press.
_DOSES = cast(Table, DoseRow.__table__)
_DOSES_OF = (
    select(*_DOSES.c)
    .where(_DOSES.c.patient_id == bindparam("patient_id"))
    .order_by(_DOSES.c.number)
)
_DOSE_BY_NUMBER = select(*_DOSES.c).where(
    _DOSES.c.patient_id == bindparam("patient_id"), _DOSES.c.number == bindparam("number")
)
# A second insert of the same dose (two presses, or two processes on PostgreSQL) inserts
# nothing and returns no row, instead of failing: on PostgreSQL a failed statement would end
# the transaction, and the caller still wants to read the dose that won.
_INSERT_DOSE = {
    module.dialect.name: module.insert(_DOSES)
    .on_conflict_do_nothing(index_elements=["patient_id", "number"])
    .returning(*_DOSES.c)
    for module in (sqlite, postgresql)
}


class DoseAlreadyRecorded(Exception):
    """Dose `number` of this patient is already stored (pressing "Injected" twice)."""

    def __init__(self, patient_id: int, number: int) -> None:
        super().__init__(f"dose {number} of patient {patient_id} is already recorded")
        self.patient_id = patient_id
        self.number = number


def to_dose_record(row: DoseRow | Sequence[Any]) -> DoseRecord:
    """A dose from an ORM row, or from a Core row of the table's columns (read by position:
    `storage.rows`; a press reads every dose of the patient)."""
    (
        id_,
        patient_id,
        number,
        planned_on,
        injected_on,
        injected_at,
        site,
        lot_number,
        source,
        _recorded_at,
    ) = table_values(row, _DOSES)
    return DoseRecord(
        id=id_,
        patient_id=patient_id,
        number=number,
        injected_on=injected_on,
        injected_at=injected_at,
        planned_on=planned_on,
        site=None if site is None else _SITES[site],
        lot_number=lot_number,
        source=_SOURCES[source],
    )


_SITES = by_value(InjectionSite)
_SOURCES = by_value(DoseSource)


class DoseRepository:
    """A patient's injected doses, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        patient_id: int,
        *,
        number: int,
        injected_on: date,
        injected_at: datetime | None = None,
        site: InjectionSite | None = None,
        planned_on: date | None = None,
        lot_number: str | None = None,
        source: DoseSource = DoseSource.REMINDER,
    ) -> DoseRecord:
        """Record dose `number`. Raises `DoseAlreadyRecorded` if it is already stored."""
        if number < 1:
            raise ValueError("dose numbers start at 1")
        values = {
            "patient_id": patient_id,
            "number": number,
            "injected_on": injected_on,
            "injected_at": None if injected_at is None else require_utc(injected_at, "injected_at"),
            "site": None if site is None else InjectionSite(site).value,
            "planned_on": planned_on,
            "lot_number": lot_number,
            "source": DoseSource(source).value,
        }
        dialect = self._session.get_bind().dialect.name
        result = await self._session.execute(_INSERT_DOSE[dialect], values)
        row = result.one_or_none()
        if row is None:  # already stored, maybe by a concurrent transaction
            raise DoseAlreadyRecorded(patient_id, number)
        return to_dose_record(row)

    async def get(self, dose_id: int) -> DoseRecord | None:
        row = await self._session.get(DoseRow, dose_id)
        return None if row is None else to_dose_record(row)

    async def get_by_number(self, patient_id: int, number: int) -> DoseRecord | None:
        result = await self._session.execute(
            _DOSE_BY_NUMBER, {"patient_id": patient_id, "number": number}
        )
        row = result.one_or_none()
        return None if row is None else to_dose_record(row)

    async def list_for_patient(self, patient_id: int) -> list[DoseRecord]:
        """All of a patient's doses, by dose number."""
        result = await self._session.execute(_DOSES_OF, {"patient_id": patient_id})
        return [to_dose_record(row) for row in result]

    async def latest(self, patient_id: int) -> DoseRecord | None:
        """The dose with the highest number, if any."""
        row = await self._session.scalar(
            select(DoseRow)
            .where(DoseRow.patient_id == patient_id)
            .order_by(DoseRow.number.desc())
            .limit(1)
        )
        return None if row is None else to_dose_record(row)
