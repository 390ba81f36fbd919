"""Delivery through the real bot and the fake Bot API: faults, downtime, and nothing lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi, Fault, run_fake_bot_api
from bot.devtools.harness import RunningBot, running_bot, settings_for_fake
from scheduling.model import Patient, PatientStatus, ReminderKind, ReminderSettings, ReminderStatus
from storage.patients import PatientRepository
from storage.planning import start_planned_course
from storage.reminders import ReminderRepository

WEEK_0 = date(2026, 1, 3)
DOSE_1_AT = datetime(2026, 1, 3, 9, 0, tzinfo=UTC)  # 09:00 London, winter
ADMIN = 4242


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with run_fake_bot_api() as server:
        server.add_user("Admin", user_id=ADMIN)
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DOSE_1_AT - timedelta(days=2))


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'delivery.db'}"


@pytest.fixture
async def running(
    fake: FakeBotApi, clock: ManualClock, database_url: str
) -> AsyncIterator[RunningBot]:
    settings = settings_for_fake(fake, database_url, admin_ids=str(ADMIN))
    async with running_bot(fake, settings, clock=clock) as bot:
        yield bot


async def enrol(running: RunningBot, fake: FakeBotApi, user_id: int) -> Patient:
    """A London patient with Week 0 on 3 Jan, reminded at 09:00 (set up through storage)."""
    fake.add_user("Patient", user_id=user_id)
    clock = running.services.clock
    async with running.services.database.sessions.begin() as session:
        patients = PatientRepository(session)
        patient = await patients.create(user_id, user_id)
        await patients.update(patient.id, settings=ReminderSettings(time_zone="Europe/London"))
        return await start_planned_course(session, patient.id, first_dose_date=WEEK_0, now=clock())


def bot_texts(fake: FakeBotApi, chat_id: int) -> list[str]:
    return [message.text for message in fake.chat(chat_id).bot_messages]


async def statuses(running: RunningBot, patient: Patient) -> dict[ReminderKind, list[str]]:
    async with running.services.database.sessions() as session:
        rows = await ReminderRepository(session).list_for_patient(patient.id)
    result: dict[ReminderKind, list[str]] = {}
    for row in rows:
        result.setdefault(row.kind, []).append(row.status.value)
    return result


async def test_heads_up_prep_and_dose_arrive_on_time(
    running: RunningBot, fake: FakeBotApi, clock: ManualClock
) -> None:
    """Moving the clock through dose day delivers heads-up, prep and dose reminder in turn."""
    await enrol(running, fake, 101)
    clock.set(DOSE_1_AT - timedelta(days=1))
    assert (await running.dispatch()).sent == 1
    clock.set(DOSE_1_AT - timedelta(minutes=30))
    assert (await running.dispatch()).sent == 1
    clock.set(DOSE_1_AT)
    assert (await running.dispatch()).sent == 1
    texts = bot_texts(fake, 101)
    assert [t.split()[0] for t in texts] == ["Tomorrow", "Dose", "Time"]


async def test_429_waits_retry_after_then_delivers(
    running: RunningBot, fake: FakeBotApi, clock: ManualClock
) -> None:
    """A 429 puts the reminder back for retry_after seconds; then it goes out, once."""
    await enrol(running, fake, 102)
    clock.set(DOSE_1_AT)
    fake.fail_next("sendMessage", Fault.too_many_requests(30), times=10)
    report = await running.dispatch()
    assert report.rescheduled_429 >= 1 and report.sent == 0
    fake.clear_faults()
    clock.advance(timedelta(seconds=29))
    assert (await running.dispatch()).sent == 0  # not before retry_after
    clock.advance(timedelta(seconds=1))
    assert (await running.dispatch()).sent >= 1
    assert sum("Time for dose 1" in text for text in bot_texts(fake, 102)) == 1


async def test_blocked_patient_is_held_and_resumes(
    running: RunningBot, fake: FakeBotApi, clock: ManualClock
) -> None:
    """403: the patient becomes unreachable and their reminders are held, not sent or lost."""
    patient = await enrol(running, fake, 103)
    fake.block(103)
    clock.set(DOSE_1_AT - timedelta(days=1))
    report = await running.dispatch()
    assert report.unreachable == 1
    async with running.services.database.sessions() as session:
        stored = await PatientRepository(session).get(patient.id)
    assert stored is not None and stored.status is PatientStatus.UNREACHABLE
    clock.set(DOSE_1_AT)
    assert (await running.dispatch()).total == 0  # held rows are never claimed
    kinds = await statuses(running, patient)
    assert set(kinds[ReminderKind.DOSE]) == {ReminderStatus.HELD.value}


async def test_server_errors_are_retried_with_back_off(
    running: RunningBot, fake: FakeBotApi, clock: ManualClock
) -> None:
    """5xx: retried after a back-off, then delivered; nothing lost, nothing doubled."""
    await enrol(running, fake, 104)
    clock.set(DOSE_1_AT)
    fake.fail_next("sendMessage", Fault.bad_gateway(), times=2, chat_id=104)
    first = await running.dispatch()
    assert first.retried == 1 and first.sent == 0
    for _ in range(3):
        clock.advance(timedelta(minutes=2))
        await running.dispatch()
    assert sum("Time for dose 1" in text for text in bot_texts(fake, 104)) == 1


async def test_permanent_failure_alerts_the_admins(
    running: RunningBot, fake: FakeBotApi, clock: ManualClock
) -> None:
    """A reminder Telegram refuses for good is marked failed and the admins are alerted."""
    patient = await enrol(running, fake, 105)
    clock.set(DOSE_1_AT)
    fake.fail_next(
        "sendMessage",
        Fault(status=400, description="Bad Request: message is too long"),
        chat_id=105,
    )
    assert (await running.dispatch()).failed == 1
    kinds = await statuses(running, patient)
    assert ReminderStatus.FAILED.value in kinds[ReminderKind.DOSE]
    alerts = bot_texts(fake, ADMIN)
    assert len(alerts) == 1 and "could not be delivered" in alerts[0]
    assert "dose" not in alerts[0].lower()  # no health data in alerts
    assert fake.token not in alerts[0] and "too long" not in alerts[0]  # nor tokens, nor text


async def test_three_hours_of_downtime(
    fake: FakeBotApi, clock: ManualClock, database_url: str
) -> None:
    """Bot down 07:00-10:00 on dose day: at start-up the dose reminder goes out at once,
    the stale prep reminder (its dose time has passed) is cancelled, not sent late."""
    settings = settings_for_fake(fake, database_url)
    async with running_bot(fake, settings, clock=clock) as first_run:
        patient = await enrol(first_run, fake, 106)
        clock.set(DOSE_1_AT - timedelta(days=1))
        await first_run.dispatch()  # the heads-up
    clock.set(DOSE_1_AT + timedelta(hours=1))  # three hours later, bot back up
    async with running_bot(fake, settings, clock=clock) as second_run:
        report = await second_run.dispatch()
        kinds = await statuses(second_run, patient)
    assert report.sent == 1 and report.cancelled_stale == 1
    assert kinds[ReminderKind.PREP] == [ReminderStatus.CANCELLED.value]
    assert bot_texts(fake, 106)[-1].startswith("Time for dose 1")
