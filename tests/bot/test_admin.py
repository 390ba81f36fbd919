"""Admin commands, alerts and the audit log, end to end through the fake Bot API.

The admin is Telegram user 4242 (`ADMIN_IDS` in tests/bot/conftest.py); the seeded database
is tests.storage.test_admin_queries.seed, whose figures at NOW are known.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot import texts
from bot.alerts import ALERT_PREFIX
from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi, Fault
from bot.devtools.harness import RunningBot, running_bot, settings_for_fake
from bot.devtools.patient import Patient
from bot.handlers.admin import ADMIN_COMMANDS
from scheduling.model import PatientStatus
from storage.audit import AuditEntry, AuditLog
from storage.patients import PatientRepository
from tests.bot.test_checkin import dose_1_check_in
from tests.bot.test_onboarding import settle
from tests.storage.test_admin_queries import NOW, seed

ADMIN = 4242
ADMIN_SCOPE = {"type": "chat", "chat_id": ADMIN}


@pytest.fixture
def admin(fake: FakeBotApi, running: RunningBot) -> Patient:
    return fake.patient(ADMIN, first_name="Admin")


@pytest.fixture
async def seeded(running: RunningBot, clock: ManualClock) -> dict[int, int]:
    clock.set(NOW)
    async with running.services.database.sessions.begin() as session:
        return await seed(session)


async def audit_entries(running: RunningBot) -> list[AuditEntry]:
    async with running.services.database.sessions() as session:
        return await AuditLog(session).latest()


async def reply_to(user: Patient, command: str) -> str:
    await user.send(command)
    return (await user.wait_for_message()).text or ""


async def test_non_admins_get_the_unknown_command_reply_and_no_data(
    running: RunningBot, fake: FakeBotApi, patient: Patient, seeded: dict[int, int]
) -> None:
    """Each admin command answers a non-admin exactly like an unknown command, and only that."""
    for command in ("/stats", "/patient 1001", "/overdue", "/audit"):
        assert await reply_to(patient, command) == texts.UNKNOWN_COMMAND
    await settle(patient)  # sends /help
    assert [m.text for m in patient.bot_messages] == [texts.UNKNOWN_COMMAND] * 4 + [texts.HELP]
    assert await audit_entries(running) == []


async def test_the_admin_menu_is_set_only_in_the_admins_chat(
    running: RunningBot, fake: FakeBotApi
) -> None:
    """Everyone sees the patient commands; the admin's chat scope adds the admin commands."""
    admin_names = {command.command for command in ADMIN_COMMANDS}
    everyone = {name for name, _ in fake.commands()}
    in_admin_chat = {name for name, _ in fake.commands(scope=ADMIN_SCOPE)}
    assert everyone and not everyone & admin_names
    assert admin_names <= in_admin_chat and everyone <= in_admin_chat


async def test_an_admin_who_never_started_the_bot_does_not_break_start_up(
    fake: FakeBotApi, clock: ManualClock, database_url: str
) -> None:
    """Telegram's "chat not found" for one admin's menu is logged; the rest is set."""
    fake.fail_next("setMyCommands", Fault.chat_not_found())  # the first admin, id 1
    settings = settings_for_fake(fake, database_url, admin_ids=f"1,{ADMIN}")
    async with running_bot(fake, settings, clock=clock):
        assert fake.commands(scope={"type": "chat", "chat_id": 1}) == []
        assert ("stats", ADMIN_COMMANDS[0].description) in fake.commands(scope=ADMIN_SCOPE)
        assert fake.commands()


async def test_stats_show_the_seeded_figures(
    running: RunningBot, admin: Patient, seeded: dict[int, int], clock: ManualClock
) -> None:
    """/stats: every figure of the seeded database, on a phone-sized screen."""
    clock.set(NOW + timedelta(minutes=1))
    text = await reply_to(admin, "/stats")
    for expected in (
        "1 onboarding, 3 active, 1 paused, 1 unreachable",
        "Last 30 days: 4 doses, 2 (67%) within a day of plan",
        "Overdue now (1+ day): 3",
        "Check-ins answered (30 days): 3 of 4",
        "allergic warning signs 1, flu-like moderate 1, skin mild 1",
        "Urgent reports (30 days): 1",
        "Reminders: 1 pending, 1 sent today, 1 failed",
        "version ",
    ):
        assert expected in text
    assert "Database: " in text and "unknown" not in text
    assert len(text.splitlines()) <= 12


async def test_patient_lookup_pause_and_resume_are_audited(
    running: RunningBot, admin: Patient, seeded: dict[int, int]
) -> None:
    """/patient shows the patient with a pause button; pause, then resume; each is audited."""
    patient_id = seeded[1001]
    text = await reply_to(admin, "/patient 1001")
    assert f"Patient #{patient_id} (Telegram 1001)" in text
    assert "Status: active" in text and "Next dose: dose 3 due" in text
    assert "• dose 2 on 2026-03-01 (2 d late)" in text
    assert "• dose 1 on 2026-02-20 (on time)" in text
    assert "• dose 2: skin" in text
    assert "Pending reminders: none" in text
    assert admin.buttons == [texts.ADMIN_BUTTON_PAUSE]

    query = await admin.press(texts.ADMIN_BUTTON_PAUSE)
    await admin.wait_for_message(texts.ADMIN_PAUSED.format(patient_id=patient_id))
    assert (await admin.wait_for_answer(query)) is not None
    async with running.services.database.sessions() as session:
        stored = await PatientRepository(session).get(patient_id)
    assert stored is not None and stored.status is PatientStatus.PAUSED

    await reply_to(admin, "/patient 1001")
    assert admin.buttons == [texts.ADMIN_BUTTON_RESUME]
    await admin.press(texts.ADMIN_BUTTON_RESUME)
    await admin.wait_for_message(texts.ADMIN_RESUMED.format(patient_id=patient_id))

    entries = await audit_entries(running)
    assert [(e.action, e.target, e.admin_telegram_id) for e in reversed(entries)] == [
        ("patient_lookup", f"patient:{patient_id}", ADMIN),
        ("patient_pause", f"patient:{patient_id}", ADMIN),
        ("patient_lookup", f"patient:{patient_id}", ADMIN),
        ("patient_resume", f"patient:{patient_id}", ADMIN),
    ]
    audit = await reply_to(admin, "/audit")
    assert audit.splitlines()[0] == texts.ADMIN_AUDIT_TITLE
    assert f"admin {ADMIN} · patient_resume patient:{patient_id}" in audit.splitlines()[1]


async def test_patient_with_bad_or_unknown_ids_gets_a_friendly_line(
    running: RunningBot, admin: Patient, seeded: dict[int, int]
) -> None:
    """No id, a word, or an id nobody has: one line saying what to send; lookups are audited."""
    assert await reply_to(admin, "/patient") == texts.ADMIN_PATIENT_USAGE
    assert await reply_to(admin, "/patient ann") == texts.ADMIN_PATIENT_USAGE
    unknown = await reply_to(admin, "/patient 999")
    assert unknown == texts.ADMIN_PATIENT_UNKNOWN.format(telegram_id=999)
    [entry] = await audit_entries(running)
    assert (entry.action, entry.target, dict(entry.details)) == (
        "patient_lookup",
        None,
        {"found": False},
    )


async def test_overdue_lists_the_most_overdue_first(
    running: RunningBot, admin: Patient, seeded: dict[int, int]
) -> None:
    """/overdue: the seeded overdue patients, most overdue first, by Telegram id."""
    text = await reply_to(admin, "/overdue")
    assert text.splitlines() == [
        texts.ADMIN_OVERDUE_TITLE,
        "• 1006: dose 6, 14 d overdue",
        "• 1001: dose 3, 5 d overdue",
        "• 1004: dose 1, 3 d overdue",
    ]


async def test_an_unhandled_error_alerts_the_admins_without_details(
    running: RunningBot,
    fake: FakeBotApi,
    admin: Patient,
    patient: Patient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A handler that raises: the patient gets an apology, the admins the error's type only."""
    secret = f"{fake.token} patient 55 allergic"

    async def broken(self: PatientRepository, telegram_user_id: int) -> None:
        raise RuntimeError(secret)

    monkeypatch.setattr(PatientRepository, "get_by_telegram_id", broken)
    await patient.send("/start")
    await patient.wait_for_message(texts.SOMETHING_WENT_WRONG)
    alert = (await admin.wait_for_message(ALERT_PREFIX)).text or ""
    assert "RuntimeError" in alert and "message update" in alert
    assert fake.token not in alert and "allergic" not in alert and "55" not in alert


@pytest.fixture
async def alerting(
    fake: FakeBotApi, clock: ManualClock, database_url: str
) -> AsyncIterator[RunningBot]:
    settings = settings_for_fake(
        fake, database_url, admin_ids=str(ADMIN), alert_urgent_reactions=True
    )
    async with running_bot(fake, settings, clock=clock) as bot:
        yield bot


async def test_urgent_reports_alert_the_admins_when_the_deployment_opts_in(
    alerting: RunningBot, fake: FakeBotApi, clock: ManualClock
) -> None:
    """ALERT_URGENT_REACTIONS=true: the welcome says so, and an allergic report alerts the
    admins with the internal patient id only."""
    admin = fake.patient(ADMIN, first_name="Admin")
    patient = fake.patient(first_name="Ann")
    check_in = await dose_1_check_in(patient, alerting, clock)
    welcome = next(m for m in patient.bot_messages if (m.text or "").startswith(texts.WELCOME))
    assert (welcome.text or "").startswith(f"{texts.WELCOME}\n\n{texts.WELCOME_URGENT_ALERTS}")
    await patient.press(texts.BUTTON_ALLERGIC, message_id=check_in.message_id)
    await patient.wait_for_message(texts.CHECKIN_URGENT)
    alert = (await admin.wait_for_message(ALERT_PREFIX)).text or ""
    async with alerting.services.database.sessions() as session:
        stored = await PatientRepository(session).get_by_telegram_id(patient.user_id)
    assert stored is not None
    assert alert == ALERT_PREFIX + texts.ALERT_URGENT_REACTION.format(patient_id=stored.id)


async def test_urgent_reports_do_not_alert_by_default(
    running: RunningBot, fake: FakeBotApi, admin: Patient, patient: Patient, clock: ManualClock
) -> None:
    """Without the setting: the plain welcome, and no alert after an allergic report."""
    check_in = await dose_1_check_in(patient, running, clock)
    assert not any(texts.WELCOME_URGENT_ALERTS in (m.text or "") for m in patient.bot_messages)
    await patient.press(texts.BUTTON_ALLERGIC, message_id=check_in.message_id)
    await patient.wait_for_message(texts.CHECKIN_URGENT)
    await settle(patient)
    assert admin.bot_messages == []
