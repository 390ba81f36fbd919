"""Doses actually injected: the facts the whole plan is counted from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import DoseRecord, DoseSource, InjectionSite, require_utc
from storage.db import is_unique_violation
from storage.models import DoseRow


class DoseAlreadyRecorded(Exception):
    """Dose `number` of this patient is already stored (pressing "Injected" twice)."""

    def __init__(self, patient_id: int, number: int) -> None:
        super().__init__(f"dose {number} of patient {patient_id} is already recorded")
        self.patient_id = patient_id
        self.number = number


def to_dose_record(row: DoseRow) -> DoseRecord:
    return DoseRecord(
        id=row.id,
        patient_id=row.patient_id,
        number=row.number,
        injected_on=row.injected_on,
        injected_at=row.injected_at,
        planned_on=row.planned_on,
        site=None if row.site is None else InjectionSite(row.site),
        lot_number=row.lot_number,
        source=DoseSource(row.source),
    )


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
        if await self.get_by_number(patient_id, number) is not None:
            raise DoseAlreadyRecorded(patient_id, number)
        row = DoseRow(
            patient_id=patient_id,
            number=number,
            injected_on=injected_on,
            injected_at=None if injected_at is None else require_utc(injected_at, "injected_at"),
            site=None if site is None else InjectionSite(site).value,
            planned_on=planned_on,
            lot_number=lot_number,
            source=DoseSource(source).value,
        )
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as error:  # recorded concurrently by another transaction
            if is_unique_violation(error):
                raise DoseAlreadyRecorded(patient_id, number) from error
            raise
        return to_dose_record(row)

    async def get(self, dose_id: int) -> DoseRecord | None:
        row = await self._session.get(DoseRow, dose_id)
        return None if row is None else to_dose_record(row)

    async def get_by_number(self, patient_id: int, number: int) -> DoseRecord | None:
        row = await self._session.scalar(
            select(DoseRow).where(DoseRow.patient_id == patient_id, DoseRow.number == number)
        )
        return None if row is None else to_dose_record(row)

    async def list_for_patient(self, patient_id: int) -> list[DoseRecord]:
        """All of a patient's doses, by dose number."""
        rows = await self._session.scalars(
            select(DoseRow).where(DoseRow.patient_id == patient_id).order_by(DoseRow.number)
        )
        return [to_dose_record(row) for row in rows]

    async def latest(self, patient_id: int) -> DoseRecord | None:
        """The dose with the highest number, if any."""
        row = await self._session.scalar(
            select(DoseRow)
            .where(DoseRow.patient_id == patient_id)
            .order_by(DoseRow.number.desc())
            .limit(1)
        )
        return None if row is None else to_dose_record(row)
