"""Check-ins: asked, answered (or not), listed in the order they were asked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import CheckIn, CheckInStatus, Patient
from storage.check_ins import CheckInRepository

ASKED = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)

Maker = Callable[[int], Awaitable[Patient]]


async def test_a_check_in_is_asked_then_answered(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    async with sessions.begin() as session:
        asked = await CheckInRepository(session).create(patient.id, dose_number=4, asked_at=ASKED)
    assert asked == CheckIn(asked.id, patient.id, 4, ASKED, None)

    answered_at = ASKED + timedelta(minutes=20)
    async with sessions.begin() as session:
        check_ins = CheckInRepository(session)
        assert await check_ins.latest_pending(patient.id) == asked
        answered = await check_ins.answer(
            asked.id,
            answers=["skin:redness", "flu:fever"],
            answered_at=answered_at,
            severity="moderate",
            urgent=True,
        )

    async with sessions() as session:
        check_ins = CheckInRepository(session)
        assert await check_ins.get(asked.id) == answered
        assert await check_ins.status(asked.id) is CheckInStatus.ANSWERED
        assert await check_ins.latest_pending(patient.id) is None
    assert answered == CheckIn(
        id=asked.id,
        patient_id=patient.id,
        dose_number=4,
        asked_at=ASKED,
        answered_at=answered_at,
        answers=("skin:redness", "flu:fever"),
        severity="moderate",
        urgent=True,
        status=CheckInStatus.ANSWERED,
    )


async def test_an_unanswered_check_in_is_closed_once(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    async with sessions.begin() as session:
        check_ins = CheckInRepository(session)
        asked = await check_ins.create(patient.id, dose_number=None, asked_at=ASKED)
        assert await check_ins.mark_unanswered(asked.id)
        assert not await check_ins.mark_unanswered(asked.id)
        assert await check_ins.status(asked.id) is CheckInStatus.UNANSWERED
        assert await check_ins.latest_pending(patient.id) is None


async def test_check_ins_are_listed_in_the_order_they_were_asked(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient, other = await make_patient(1), await make_patient(2)
    async with sessions.begin() as session:
        check_ins = CheckInRepository(session)
        later = await check_ins.create(patient.id, dose_number=2, asked_at=ASKED)
        earlier = await check_ins.create(
            patient.id, dose_number=1, asked_at=ASKED - timedelta(days=7)
        )
        await check_ins.create(other.id, dose_number=1, asked_at=ASKED)

    async with sessions() as session:
        listed = await CheckInRepository(session).list_for_patient(patient.id)
    assert [check_in.id for check_in in listed] == [earlier.id, later.id]


async def test_a_replan_reads_only_the_check_ins_of_recent_doses(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """Years of monthly check-ins stay unread: only those about dose `from_dose` and later,
    oldest first, and not another patient's."""
    patient, other = await make_patient(1), await make_patient(2)
    async with sessions.begin() as session:
        check_ins = CheckInRepository(session)
        made = [
            await check_ins.create(
                patient.id, dose_number=number, asked_at=ASKED + timedelta(days=30 * number)
            )
            for number in range(1, 7)
        ]
        await check_ins.create(patient.id, dose_number=None, asked_at=ASKED)
        await check_ins.create(other.id, dose_number=6, asked_at=ASKED)

    async with sessions() as session:
        recent = await CheckInRepository(session).list_from_dose(patient.id, 5)
    assert [check_in.id for check_in in recent] == [made[4].id, made[5].id]


async def test_unknown_severity_and_unknown_check_ins(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    async with sessions.begin() as session:
        check_ins = CheckInRepository(session)
        asked = await check_ins.create(patient.id, dose_number=1, asked_at=ASKED)
        with pytest.raises(ValueError, match="severity"):
            await check_ins.answer(asked.id, answers=[], answered_at=ASKED, severity="awful")
        assert await check_ins.answer(404, answers=[], answered_at=ASKED) is None
