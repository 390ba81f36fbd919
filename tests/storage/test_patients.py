"""Patients: creation, every setting round trip, status, counts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.model import (
    InjectionSite,
    MaintenanceMode,
    Patient,
    PatientStatus,
    PlannedReminder,
    QuietHours,
    ReminderKind,
    ReminderSettings,
)
from storage.patients import PatientAlreadyExists, PatientNotFound, PatientRepository
from storage.reminders import ReminderRepository

# Telegram ids beyond 32 bits: they need BIGINT columns on PostgreSQL.
BIG_USER_ID = 7_123_456_789
BIG_CHAT_ID = 7_123_456_790

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

EVERY_SETTING = ReminderSettings(
    time_zone="Australia/Sydney",
    reminder_time=time(19, 30),
    quiet_hours=QuietHours(start=time(23, 15), end=time(6, 45)),
    heads_up=False,
    prep=False,
    check_in_delay=timedelta(hours=4, minutes=30),
)

Maker = Callable[[int], Awaitable[Patient]]


async def test_a_new_patient_is_onboarding_with_default_settings(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        created = await PatientRepository(session).create(BIG_USER_ID, BIG_CHAT_ID)

    async with sessions() as session:
        stored = await PatientRepository(session).get_by_telegram_id(BIG_USER_ID)

    assert stored == created
    assert stored.telegram_user_id == BIG_USER_ID
    assert stored.chat_id == BIG_CHAT_ID
    assert stored.status is PatientStatus.ONBOARDING
    assert stored.settings == ReminderSettings()
    assert stored.mode is MaintenanceMode.MONTHLY
    assert stored.first_dose_date is None
    assert stored.excluded_sites == frozenset()
    assert stored.language == "en"
    assert stored.consented_at is None
    assert stored.created_at is not None
    assert stored.created_at.tzinfo is UTC


async def test_every_setting_survives_the_round_trip(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """What the patient chose is exactly what comes back: zone, times, switches, sites."""
    patient = await make_patient(BIG_USER_ID)
    consented = datetime(2025, 2, 28, 21, 5, 30, tzinfo=ZoneInfo("Australia/Sydney"))
    snoozed = datetime(2025, 3, 2, 7, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        updated = await PatientRepository(session).update(
            patient.id,
            chat_id=BIG_CHAT_ID,
            settings=EVERY_SETTING,
            mode=MaintenanceMode.EVERY_4_WEEKS,
            first_dose_date=date(2025, 3, 3),
            caregiver_injects=True,
            excluded_sites=frozenset({InjectionSite.LEFT_UPPER_ARM, InjectionSite.RIGHT_THIGH}),
            language="de",
            consented_at=consented,
            snoozed_until=snoozed,
        )

    async with sessions() as session:
        stored = await PatientRepository(session).get(patient.id)

    assert stored == updated
    assert stored == Patient(
        id=patient.id,
        telegram_user_id=BIG_USER_ID,
        chat_id=BIG_CHAT_ID,
        status=PatientStatus.ONBOARDING,
        settings=EVERY_SETTING,
        mode=MaintenanceMode.EVERY_4_WEEKS,
        first_dose_date=date(2025, 3, 3),
        caregiver_injects=True,
        excluded_sites=frozenset({InjectionSite.LEFT_UPPER_ARM, InjectionSite.RIGHT_THIGH}),
        language="de",
        consented_at=consented.astimezone(UTC),
        snoozed_until=snoozed,
        created_at=patient.created_at,
    )


async def test_update_changes_only_what_it_is_given(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    async with sessions.begin() as session:
        patients = PatientRepository(session)
        await patients.update(patient.id, settings=EVERY_SETTING, first_dose_date=date(2025, 1, 6))
        updated = await patients.update(patient.id, language="fr")
    assert updated.language == "fr"
    assert updated.settings == EVERY_SETTING
    assert updated.first_dose_date == date(2025, 1, 6)

    async with sessions.begin() as session:
        cleared = await PatientRepository(session).update(patient.id, first_dose_date=None)
    assert cleared.first_dose_date is None
    assert cleared.language == "fr"


async def test_quiet_hours_can_be_switched_off(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """start == end means no quiet hours, and must stay that way."""
    patient = await make_patient(1)
    settings = ReminderSettings(quiet_hours=QuietHours(time(0, 0), time(0, 0)))
    async with sessions.begin() as session:
        await PatientRepository(session).update(patient.id, settings=settings)
    async with sessions() as session:
        stored = await PatientRepository(session).get(patient.id)
    assert stored is not None
    assert stored.settings.quiet_hours == QuietHours(time(0, 0), time(0, 0))


async def test_a_check_in_delay_must_be_whole_minutes(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    patient = await make_patient(1)
    with pytest.raises(ValueError, match="whole"):
        async with sessions.begin() as session:
            await PatientRepository(session).update(
                patient.id, settings=ReminderSettings(check_in_delay=timedelta(seconds=90))
            )


async def test_a_telegram_user_is_only_one_patient(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    await make_patient(BIG_USER_ID)
    with pytest.raises(PatientAlreadyExists):
        async with sessions.begin() as session:
            await PatientRepository(session).create(BIG_USER_ID, BIG_CHAT_ID)


async def test_a_patient_is_read_with_a_reminder_only_if_it_is_theirs(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """A button press's first read: the presser, and the reminder the button names only when
    it belongs to them (an id from the client is never trusted)."""
    patient, other = await make_patient(BIG_USER_ID), await make_patient(5)
    due = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    planned = [PlannedReminder(ReminderKind.DOSE, 1, due, due + timedelta(hours=2))]
    async with sessions.begin() as session:
        reminders = ReminderRepository(session)
        (mine,) = await reminders.add_planned(patient.id, planned)
        (theirs,) = await reminders.add_planned(other.id, planned)
        await reminders.mark_sent(mine.id, sent_at=due, telegram_message_id=77)
        sent = await reminders.get(mine.id)

    async with sessions() as session:
        patients = PatientRepository(session)
        found = await patients.get_by_telegram_id_with_reminder(BIG_USER_ID, mine.id)
        not_theirs = await patients.get_by_telegram_id_with_reminder(BIG_USER_ID, theirs.id)
        missing = await patients.get_by_telegram_id_with_reminder(BIG_USER_ID, 10**9)
        nobody = await patients.get_by_telegram_id_with_reminder(999, mine.id)
        alone = await patients.get_by_telegram_id(BIG_USER_ID)
    assert found == (alone, sent)
    assert sent is not None and sent.telegram_message_id == 77
    assert not_theirs == (alone, None) and missing == (alone, None)
    assert nobody is None


async def test_unknown_patients(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        patients = PatientRepository(session)
        assert await patients.get(999) is None
        assert await patients.get_by_telegram_id(999) is None
        assert await patients.erase(999) is False
        with pytest.raises(PatientNotFound):
            await patients.update(999, language="de")
        with pytest.raises(PatientNotFound):
            await patients.set_status(999, PatientStatus.ACTIVE, now=NOW)


async def test_unreachable_since_is_kept_until_the_patient_is_back(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    """The first failure dates it; a second failure does not move it; coming back clears it."""
    patient = await make_patient(1)
    later = NOW + timedelta(days=2)
    async with sessions.begin() as session:
        patients = PatientRepository(session)
        unreachable = await patients.set_status(patient.id, PatientStatus.UNREACHABLE, now=NOW)
        await patients.set_status(patient.id, PatientStatus.UNREACHABLE, now=later)
        assert unreachable.status is PatientStatus.UNREACHABLE
        assert await patients.unreachable_since(patient.id) == NOW

    async with sessions.begin() as session:
        patients = PatientRepository(session)
        back = await patients.set_status(patient.id, PatientStatus.ACTIVE, now=later)
        assert back.status is PatientStatus.ACTIVE
        assert await patients.unreachable_since(patient.id) is None


async def test_ids_and_counts_by_status(
    sessions: async_sessionmaker[AsyncSession], make_patient: Maker
) -> None:
    ids = [(await make_patient(user_id)).id for user_id in range(1, 6)]
    async with sessions.begin() as session:
        patients = PatientRepository(session)
        for patient_id in ids[:3]:
            await patients.set_status(patient_id, PatientStatus.ACTIVE, now=NOW)
        await patients.set_status(ids[3], PatientStatus.PAUSED, now=NOW)

    async with sessions() as session:
        patients = PatientRepository(session)
        assert await patients.ids_by_status(PatientStatus.ACTIVE) == ids[:3]
        assert await patients.ids_by_status(PatientStatus.UNREACHABLE) == []
        assert await patients.count_by_status() == {
            PatientStatus.ONBOARDING: 1,
            PatientStatus.ACTIVE: 3,
            PatientStatus.PAUSED: 1,
            PatientStatus.UNREACHABLE: 0,
        }
