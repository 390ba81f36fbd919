"""Rows read by position give the same domain objects as the ORM's objects read by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import (
    InjectionSite,
    MaintenanceMode,
    Patient,
    PatientStatus,
)
from storage.check_ins import CheckInRepository, to_check_in
from storage.doses import DoseRepository, to_dose_record
from storage.models import CheckInRow, DoseRow, PatientRow
from storage.patients import PatientRepository, to_patient
from tests.storage.test_patients import EVERY_SETTING

NOW = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
Maker = Callable[[int], Awaitable[Patient]]


async def test_core_rows_and_orm_rows_read_alike(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """Every column set to something other than its default, so a column read from the
    wrong place shows."""
    patient = await make_patient(4242)
    async with sessions.begin() as session:
        patients = PatientRepository(session)
        await patients.update(
            patient.id,
            settings=EVERY_SETTING,
            mode=MaintenanceMode.EVERY_4_WEEKS,
            first_dose_date=date(2026, 3, 2),
            caregiver_injects=True,
            excluded_sites=frozenset({InjectionSite.LEFT_ABDOMEN}),
            language="de",
            snoozed_until=NOW + timedelta(hours=1),
        )
        await patients.set_status(patient.id, PatientStatus.ACTIVE, now=NOW)
        await DoseRepository(session).add(
            patient.id,
            number=1,
            injected_on=date(2026, 3, 2),
            injected_at=NOW,
            site=InjectionSite.RIGHT_THIGH,
            planned_on=date(2026, 3, 1),
            lot_number="LOT-7",
        )
        check_ins = CheckInRepository(session)
        asked = await check_ins.create(patient.id, dose_number=1, asked_at=NOW)
        await check_ins.answer(
            asked.id,
            answers=["skin:redness"],
            answered_at=NOW + timedelta(hours=2),
            severity="mild",
        )

    async with sessions() as session:
        core_patient = await PatientRepository(session).get(patient.id)
        core_doses = await DoseRepository(session).list_for_patient(patient.id)
        core_check_ins = await CheckInRepository(session).list_for_patient(patient.id)
        orm_patient = to_patient(await session.get_one(PatientRow, patient.id))
        orm_doses = [to_dose_record(row) for row in await session.scalars(sa.select(DoseRow))]
        orm_check_ins = [to_check_in(row) for row in await session.scalars(sa.select(CheckInRow))]
    assert core_patient == orm_patient
    assert core_patient is not None and core_patient.language == "de"
    assert core_patient.excluded_sites == {InjectionSite.LEFT_ABDOMEN}
    assert core_doses == orm_doses and len(core_doses) == 1
    assert core_doses[0].lot_number == "LOT-7" and core_doses[0].planned_on == date(2026, 3, 1)
    assert core_check_ins == orm_check_ins and len(core_check_ins) == 1
