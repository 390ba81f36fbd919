"""The Telegram notifier: each reminder kind's message, and Telegram's errors as outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi, Fault, run_fake_bot_api
from bot.notifier import TelegramNotifier
from scheduling.model import (
    InjectionSite,
    Patient,
    Reminder,
    ReminderKind,
    ReminderSettings,
    ReminderStatus,
)
from scheduling.ports import (
    PermanentFailure,
    RecipientUnreachable,
    ReminderObsolete,
    RetryLater,
    TransientFailure,
)
from storage.db import Database, upgrade_database
from storage.patients import PatientRepository
from storage.planning import record_dose, start_planned_course
from storage.reminders import ReminderRepository

USER = 777001
WEEK_0 = date(2026, 1, 3)
DOSE_1_AT = datetime(2026, 1, 3, 9, 0, tzinfo=UTC)  # 09:00 in London in winter


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with run_fake_bot_api() as server:
        server.add_user("Ann", user_id=USER)
        yield server


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'notifier.db'}"
    await upgrade_database(url)
    database = Database.connect(url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DOSE_1_AT)


@pytest.fixture
async def notifier(
    fake: FakeBotApi, database: Database, clock: ManualClock
) -> AsyncIterator[TelegramNotifier]:
    request = HTTPXRequest(read_timeout=0.5, write_timeout=0.5, connect_timeout=0.5)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        yield TelegramNotifier(bot, database.sessions, clock)


@pytest.fixture
async def patient(database: Database) -> Patient:
    async with database.sessions.begin() as session:
        patients = PatientRepository(session)
        created = await patients.create(USER, USER)
        await patients.update(created.id, settings=ReminderSettings(time_zone="Europe/London"))
        return await start_planned_course(
            session, created.id, first_dose_date=WEEK_0, now=DOSE_1_AT - timedelta(days=2)
        )


async def pending_of(database: Database, patient: Patient, kind: ReminderKind) -> Reminder:
    async with database.sessions() as session:
        rows = await ReminderRepository(session).list_for_patient(
            patient.id, ReminderStatus.PENDING
        )
    return next(row for row in rows if row.kind is kind)


async def test_dose_reminder_names_dose_site_and_buttons(
    fake: FakeBotApi, notifier: TelegramNotifier, database: Database, patient: Patient
) -> None:
    """The dose reminder names the dose and site, the skin to avoid, and offers the buttons."""
    reminder = await pending_of(database, patient, ReminderKind.DOSE)
    message_id = await notifier.deliver(reminder)
    message = fake.chat(USER).message(message_id)
    assert "dose 1" in message.text
    assert "left thigh" in message.text
    assert "5 cm" in message.text and "does not give medical advice" in message.text
    assert message.buttons == [
        "Injected in left thigh",
        "Injected elsewhere",
        "Snooze",
        "Not today",
    ]
    assert message.button_rows[0][0][1] == f"dose:done:{reminder.id}"


async def test_overdue_follow_up_quotes_the_missed_dose_rule(
    fake: FakeBotApi,
    notifier: TelegramNotifier,
    database: Database,
    patient: Patient,
    clock: ManualClock,
) -> None:
    """After the due date a follow-up says how late it is and the label's missed-dose rule."""
    async with database.sessions() as session:
        rows = await ReminderRepository(session).list_for_patient(patient.id)
    later = [
        r
        for r in rows
        if r.kind is ReminderKind.FOLLOW_UP and r.due_at > DOSE_1_AT + timedelta(days=1)
    ]
    clock.set(later[0].due_at)
    message = fake.chat(USER).message(await notifier.deliver(later[0]))
    assert "was due on Sat 3 Jan" in message.text
    assert "as soon as possible" in message.text


async def test_check_in_names_when_dose_and_site(
    fake: FakeBotApi,
    notifier: TelegramNotifier,
    database: Database,
    patient: Patient,
    clock: ManualClock,
) -> None:
    """ "How are you feeling after this morning's injection (dose 1, right thigh)?"."""
    injected_at = DOSE_1_AT + timedelta(minutes=10)
    async with database.sessions.begin() as session:
        await record_dose(
            session,
            patient.id,
            injected_at=injected_at,
            now=injected_at,
            site=InjectionSite.RIGHT_THIGH,
        )
    check_in = await pending_of(database, patient, ReminderKind.CHECK_IN)
    clock.set(check_in.due_at)
    message = fake.chat(USER).message(await notifier.deliver(check_in))
    assert message.text == (
        "How are you feeling after this morning's injection (dose 1, right thigh)?"
    )
    assert message.buttons == [
        "All good",
        "Skin where I injected",
        "Flu-like symptoms",
        "Allergic warning signs",
    ]


async def test_a_reminder_for_a_recorded_dose_is_obsolete(
    fake: FakeBotApi, notifier: TelegramNotifier, database: Database, patient: Patient
) -> None:
    """A dose reminder whose dose was recorded meanwhile is not sent."""
    reminder = await pending_of(database, patient, ReminderKind.DOSE)
    async with database.sessions.begin() as session:
        await record_dose(session, patient.id, injected_at=DOSE_1_AT, now=DOSE_1_AT)
    with pytest.raises(ReminderObsolete):
        await notifier.deliver(reminder)
    assert fake.calls_to("sendMessage") == []


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        (Fault.too_many_requests(7), RetryLater),
        (Fault.blocked(), RecipientUnreachable),
        (Fault.chat_not_found(), RecipientUnreachable),
        (Fault.bad_gateway(), TransientFailure),
        (Fault.server_error(500), TransientFailure),
        (Fault.slow(3), TransientFailure),
    ],
)
async def test_telegram_errors_become_outcomes(
    fake: FakeBotApi,
    notifier: TelegramNotifier,
    database: Database,
    patient: Patient,
    fault: Fault,
    outcome: type[Exception],
) -> None:
    """429 → retry later, 403/chat not found → unreachable, 5xx/timeouts → transient."""
    reminder = await pending_of(database, patient, ReminderKind.DOSE)
    fake.fail_next("sendMessage", fault)
    with pytest.raises(outcome) as raised:
        await notifier.deliver(reminder)
    if isinstance(raised.value, RetryLater):
        assert raised.value.after == timedelta(seconds=7)


async def test_other_bad_requests_are_permanent(
    fake: FakeBotApi, notifier: TelegramNotifier, database: Database, patient: Patient
) -> None:
    """A 400 other than chat not found is not retried."""
    reminder = await pending_of(database, patient, ReminderKind.DOSE)
    fake.fail_next("sendMessage", Fault(status=400, description="Bad Request: message is too long"))
    with pytest.raises(PermanentFailure):
        await notifier.deliver(reminder)
