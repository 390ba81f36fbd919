"""Doses: stored once per number, listed in order, exactly as recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import DoseRecord, DoseSource, InjectionSite, Patient
from storage.db import is_unique_violation
from storage.doses import DoseAlreadyRecorded, DoseRepository
from storage.models import DoseRow

Maker = Callable[[int], Awaitable[Patient]]


async def test_a_dose_round_trip_keeps_everything_recorded(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    async with sessions.begin() as session:
        added = await DoseRepository(session).add(
            patient.id,
            number=4,
            injected_on=date(2025, 2, 3),
            injected_at=datetime(2025, 2, 3, 18, 20, tzinfo=UTC),
            site=InjectionSite.LEFT_ABDOMEN,
            planned_on=date(2025, 2, 2),
            lot_number="AB1234",
            source=DoseSource.ONBOARDING,
        )
    async with sessions() as session:
        doses = DoseRepository(session)
        assert await doses.get(added.id) == added
        assert await doses.get_by_number(patient.id, 4) == added
    assert added == DoseRecord(
        id=added.id,
        patient_id=patient.id,
        number=4,
        injected_on=date(2025, 2, 3),
        injected_at=datetime(2025, 2, 3, 18, 20, tzinfo=UTC),
        planned_on=date(2025, 2, 2),
        site=InjectionSite.LEFT_ABDOMEN,
        lot_number="AB1234",
        source=DoseSource.ONBOARDING,
    )


async def test_doses_are_listed_by_number_and_the_latest_is_the_highest(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    other = await make_patient(2)
    async with sessions.begin() as session:
        doses = DoseRepository(session)
        assert await doses.latest(patient.id) is None
        # Recorded out of order: a patient catching up with /log.
        for number, injected_on in [(2, date(2025, 1, 13)), (1, date(2025, 1, 6))]:
            await doses.add(patient.id, number=number, injected_on=injected_on)
        await doses.add(other.id, number=7, injected_on=date(2025, 1, 1))

    async with sessions() as session:
        doses = DoseRepository(session)
        listed = await doses.list_for_patient(patient.id)
        latest = await doses.latest(patient.id)
    assert [dose.number for dose in listed] == [1, 2]
    assert [dose.as_injected().injected_on for dose in listed] == [
        date(2025, 1, 6),
        date(2025, 1, 13),
    ]
    assert latest is not None
    assert latest.number == 2


async def test_pressing_injected_twice_records_one_dose(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    async with sessions.begin() as session:
        await DoseRepository(session).add(patient.id, number=1, injected_on=date(2025, 1, 6))
    with pytest.raises(DoseAlreadyRecorded):
        async with sessions.begin() as session:
            await DoseRepository(session).add(patient.id, number=1, injected_on=date(2025, 1, 7))
    async with sessions() as session:
        assert len(await DoseRepository(session).list_for_patient(patient.id)) == 1


async def test_a_second_insert_of_a_dose_leaves_the_transaction_usable(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """The race two presses can run: the loser learns the dose is stored and reads it, in the
    same transaction (on PostgreSQL a failed INSERT would have ended the transaction)."""
    patient = await make_patient(1)
    async with sessions.begin() as session:
        doses = DoseRepository(session)
        first = await doses.add(patient.id, number=1, injected_on=date(2025, 1, 6))
        with pytest.raises(DoseAlreadyRecorded):
            await doses.add(patient.id, number=1, injected_on=date(2025, 1, 7))
        assert await doses.get_by_number(patient.id, 1) == first
        await doses.add(patient.id, number=2, injected_on=date(2025, 1, 13))
    async with sessions() as session:
        stored = await DoseRepository(session).list_for_patient(patient.id)
    assert [(dose.number, dose.injected_on) for dose in stored] == [
        (1, date(2025, 1, 6)),
        (2, date(2025, 1, 13)),
    ]


async def test_the_database_itself_refuses_a_second_dose_with_the_same_number(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """The unique (patient_id, number) constraint, for writers that skip the repository."""
    patient = await make_patient(1)
    with pytest.raises(IntegrityError) as raised:
        async with sessions.begin() as session:
            for injected_on in (date(2025, 1, 6), date(2025, 1, 7)):
                session.add(
                    DoseRow(patient_id=patient.id, number=1, injected_on=injected_on, source="log")
                )
                await session.flush()
    assert is_unique_violation(raised.value)


async def test_a_missing_patient_is_not_mistaken_for_a_duplicate(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(IntegrityError) as raised:
        async with sessions.begin() as session:
            await DoseRepository(session).add(31337, number=1, injected_on=date(2025, 1, 6))
    assert not is_unique_violation(raised.value)


async def test_the_same_dose_number_for_two_patients_is_fine(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    first, second = await make_patient(1), await make_patient(2)
    async with sessions.begin() as session:
        for patient in (first, second):
            await DoseRepository(session).add(patient.id, number=1, injected_on=date(2025, 1, 6))


async def test_a_naive_injection_time_is_refused(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    with pytest.raises(ValueError, match="aware"):
        async with sessions.begin() as session:
            await DoseRepository(session).add(
                patient.id,
                number=1,
                injected_on=date(2025, 1, 6),
                injected_at=datetime(2025, 1, 6, 9, 0),
            )


async def test_two_transactions_pressing_at_once_record_one_dose(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """Two bot processes on PostgreSQL take the same press at once: the second INSERT waits
    for the first transaction, then inserts nothing; the loser reads the winner's dose in its
    own, still usable, transaction. (On SQLite one connection serializes them.)"""
    patient = await make_patient(1)
    async with sessions.begin() as first:
        winner = await DoseRepository(first).add(patient.id, number=1, injected_on=date(2025, 1, 6))

        async def second_press() -> DoseRecord:
            async with sessions.begin() as second:
                doses = DoseRepository(second)
                with pytest.raises(DoseAlreadyRecorded):
                    await doses.add(patient.id, number=1, injected_on=date(2025, 1, 7))
                found = await doses.get_by_number(patient.id, 1)
                assert found is not None
                return found

        if first.get_bind().dialect.name == "postgresql":
            racing = asyncio.create_task(second_press())
            await asyncio.sleep(0.2)
            assert not racing.done(), "the second INSERT waits for the first transaction"
        else:
            racing = None
    loser_saw = await (racing if racing is not None else second_press())
    assert loser_saw == winner
    async with sessions() as session:
        assert len(await DoseRepository(session).list_for_patient(patient.id)) == 1
