"""/pause, /resume, /delete, /help and /about, end to end through the fake Bot API."""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot import texts
from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.harness import RunningBot
from bot.devtools.patient import Patient
from scheduling.model import DoseSource, PatientStatus, ReminderKind
from storage.check_ins import CheckInRepository
from storage.doses import DoseRepository
from storage.models import Base
from storage.planning import record_dose
from tests.bot.test_onboarding import (
    agree,
    patient_row,
    pending_reminders,
    press_anyway,
    set_up_new_patient,
    settle,
)
from tests.bot.test_settings import ErrorRecorder, forge, random_text

PATIENT_COLUMNS = ("patient_id", "telegram_user_id", "chat_id")


async def rows_about(running: RunningBot, patient_id: int, telegram_id: int) -> dict[str, int]:
    """For every table: how many rows name this patient (by id, Telegram id or chat id)."""
    counts: dict[str, int] = {}
    async with running.services.database.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for column in PATIENT_COLUMNS:
                if column not in table.c:
                    continue
                value = patient_id if column == "patient_id" else telegram_id
                count = await session.scalar(
                    select(func.count()).select_from(table).where(table.c[column] == value)
                )
                counts[f"{table.name}.{column}"] = int(count or 0)
        patients = Base.metadata.tables["patients"]
        count = await session.scalar(
            select(func.count()).select_from(patients).where(patients.c.id == patient_id)
        )
        counts["patients.id"] = int(count or 0)
    return counts


async def pause_reminders(patient: Patient) -> None:
    await patient.send("/pause")
    await patient.wait_for_message(texts.PAUSE_CONFIRM)
    await patient.press(texts.BUTTON_PAUSE_CONFIRM)
    await patient.wait_for_message(texts.PAUSED)


async def test_pause_stops_every_reminder_and_resume_restarts_from_the_answer(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Paused: nothing pending, nothing sent at the dose time. /resume with "I injected it on
    4 Jan": dose 1 recorded that day, dose 2 planned 7 days later, reminders on again."""
    await set_up_new_patient(patient)  # dose 1 on Sat 3 Jan, 09:00 London
    stored = await patient_row(running, patient)
    assert stored is not None and await pending_reminders(running, stored.id)

    await pause_reminders(patient)
    paused = await patient_row(running, patient)
    assert paused is not None and paused.status is PatientStatus.PAUSED
    assert await pending_reminders(running, stored.id) == []
    confirmed = patient.chat.message(patient.bot_messages[-2].message_id)
    assert confirmed is not None and not confirmed.keyboard

    clock.set(datetime(2026, 1, 3, 9, 0, tzinfo=UTC))
    shown = len(patient.chat.outputs)
    report = await running.dispatch()
    assert report.sent == 0
    clock.set(datetime(2026, 1, 6, 10, 0, tzinfo=UTC))
    assert (await running.dispatch()).sent == 0
    assert len(patient.chat.outputs) == shown

    await patient.send("/pause")
    assert (await patient.wait_for_message()).text == texts.ALREADY_PAUSED

    await patient.send("/resume")
    ask = await patient.wait_for_message("In your plan")
    assert (ask.text or "").startswith("In your plan, dose 1 is due on Sat 3 Jan.")
    assert ask.buttons == [
        texts.BUTTON_RESUME_TODAY,
        texts.BUTTON_RESUME_YESTERDAY,
        texts.BUTTON_KEEP_PLAN,
    ]
    await patient.send("next friday")
    await patient.wait_for_message(texts.DATE_IN_FUTURE)
    await patient.send("4 Jan")
    resumed = await patient.wait_for_message("Recorded")
    assert resumed.text == (
        "Recorded: dose 1 on Sun 4 Jan. Reminders are on again.\n\n"
        "Your next dose: dose 2 on Sun 11 Jan at 09:00 (in 5 days).\nSite: left thigh."
    )
    active = await patient_row(running, patient)
    assert active is not None and active.status is PatientStatus.ACTIVE
    async with running.services.database.sessions() as session:
        doses = await DoseRepository(session).list_for_patient(stored.id)
    assert [(d.number, d.injected_on, d.source) for d in doses] == [
        (1, date(2026, 1, 4), DoseSource.LOG)
    ]
    dose_reminders = [
        r for r in await pending_reminders(running, stored.id) if r.kind is ReminderKind.DOSE
    ]
    assert [(r.dose_number, r.due_at) for r in dose_reminders] == [
        (2, datetime(2026, 1, 11, 9, 0, tzinfo=UTC))
    ]
    assert [m for m in patient.bot_messages if m.keyboard] == []  # the question closed
    # The old /resume buttons are stale now.
    query = press_anyway(patient, ask.message_id, "acct:res:keep")
    assert (await patient.wait_for_answer(query)).text == texts.BUTTON_NO_LONGER_VALID

    clock.set(datetime(2026, 1, 11, 9, 0, tzinfo=UTC))
    await running.dispatch()
    await patient.wait_for_message("Time for dose 2")


async def test_resume_keeping_the_plan_and_the_simple_answers(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """ "Keep the plan" resumes as it was; /resume when on and cancelling a pause change nothing."""
    await set_up_new_patient(patient)
    stored = await patient_row(running, patient)
    assert stored is not None
    await patient.send("/resume")
    on = await patient.wait_for_message()
    assert (on.text or "").startswith("Your reminders are on.\n\nYour next dose: dose 1")

    await patient.send("/pause")
    await patient.wait_for_message(texts.PAUSE_CONFIRM)
    await patient.press(texts.BUTTON_PAUSE_CANCEL)
    await patient.wait_for_message(texts.PAUSE_CANCELLED)
    still = await patient_row(running, patient)
    assert still is not None and still.status is PatientStatus.ACTIVE

    await pause_reminders(patient)
    clock.set(datetime(2026, 1, 3, 8, 0, tzinfo=UTC))
    await patient.send("/resume")
    await patient.wait_for_message("In your plan")
    await patient.press(texts.BUTTON_KEEP_PLAN)
    resumed = await patient.wait_for_message("Reminders are on again")
    assert resumed.text == (
        "Reminders are on again.\n\n"
        "Your next dose: dose 1 on Sat 3 Jan at 09:00 (today).\nSite: left thigh."
    )
    kinds = {r.kind for r in await pending_reminders(running, stored.id)}
    assert ReminderKind.DOSE in kinds


async def test_resume_refuses_a_day_before_the_last_recorded_dose(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Only a day after the last recorded injection can be the dose due; quick days too."""
    await set_up_new_patient(patient)
    clock.set(datetime(2026, 1, 3, 9, 0, tzinfo=UTC))
    await patient.send("/resume")  # active: nothing asked
    await patient.wait_for_message("Your reminders are on")
    await pause_reminders(patient)
    await patient.send("/resume")
    await patient.wait_for_message("In your plan")
    await patient.press(texts.BUTTON_RESUME_TODAY)
    await patient.wait_for_message("Recorded: dose 1 on Sat 3 Jan")
    await pause_reminders(patient)
    await patient.send("/resume")
    ask = await patient.wait_for_message("dose 2 is due on Sat 10 Jan")
    assert ask.buttons == [texts.BUTTON_KEEP_PLAN]  # today is taken by dose 1
    await patient.send("3 Jan")
    refused = await patient.wait_for_message()
    assert refused.text == texts.RESUME_ALREADY_RECORDED.format(day="Sat 3 Jan")
    await patient.send("03/04/2025")
    await patient.wait_for_message("Did you mean")
    stored = await patient_row(running, patient)
    assert stored is not None and stored.status is PatientStatus.PAUSED


async def test_delete_erases_every_row_of_the_patient_and_no_one_else(
    fake: FakeBotApi, patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """After "Delete everything": no row names the patient in any table; another patient keeps
    every row; /start begins onboarding again."""
    other = fake.patient(first_name="Bea")
    await set_up_new_patient(patient)
    await set_up_new_patient(other)
    clock.set(datetime(2026, 1, 3, 9, 0, tzinfo=UTC))
    await running.dispatch()
    await patient.wait_for_message("Time for dose 1")
    stored = await patient_row(running, patient)
    assert stored is not None
    async with running.services.database.sessions.begin() as session:  # a dose, a check-in
        await record_dose(session, stored.id, injected_at=clock(), now=clock())
        await CheckInRepository(session).create(stored.id, dose_number=1, asked_at=clock())
    await patient.send("/settings")  # leaves a conversation step behind
    await patient.wait_for_message("Your settings:")
    await settle(patient)  # the step is stored once the menu's message id is known

    stored = await patient_row(running, patient)
    kept = await patient_row(running, other)
    assert stored is not None and kept is not None
    before_other = await rows_about(running, kept.id, kept.telegram_user_id)
    mine = await rows_about(running, stored.id, stored.telegram_user_id)
    assert mine["patients.id"] == 1 and mine["reminders.patient_id"] > 0
    assert mine["doses.patient_id"] == 1 and mine["check_ins.patient_id"] == 1
    assert mine["conversation_states.telegram_user_id"] == 1

    await patient.send("/delete")
    confirm = await patient.wait_for_message(texts.DELETE_CONFIRM)
    assert confirm.buttons == [texts.BUTTON_DELETE_CONFIRM, texts.BUTTON_DELETE_CANCEL]
    await patient.press(texts.BUTTON_DELETE_CONFIRM)
    await patient.wait_for_message(texts.DELETED)

    assert set((await rows_about(running, stored.id, stored.telegram_user_id)).values()) == {0}
    assert await rows_about(running, kept.id, kept.telegram_user_id) == before_other
    query = press_anyway(patient, confirm.message_id, f"acct:del:yes:{stored.id}")
    assert (await patient.wait_for_answer(query)).text == texts.BUTTON_NO_LONGER_VALID

    await running.dispatch()  # nothing left to send to the erased patient
    await patient.send("/start")
    assert (await patient.wait_for_message()).text == texts.WELCOME


async def test_delete_cancelled_forged_or_foreign_changes_nothing(
    fake: FakeBotApi, patient: Patient, running: RunningBot
) -> None:
    """Cancel keeps everything; a confirmation naming another patient's id is refused."""
    other = fake.patient(first_name="Bea")
    await set_up_new_patient(patient)
    await set_up_new_patient(other)
    mine = await patient_row(running, patient)
    theirs = await patient_row(running, other)
    assert mine is not None and theirs is not None

    await patient.send("/delete")
    confirm = await patient.wait_for_message(texts.DELETE_CONFIRM)
    forged = press_anyway(patient, confirm.message_id, f"acct:del:yes:{theirs.id}")
    assert (await patient.wait_for_answer(forged)).text == texts.BUTTON_NO_LONGER_VALID
    for data in ("acct:del:yes:", "acct:del:maybe:1", "acct:nope", "acct:res:day:+5"):
        query = press_anyway(patient, confirm.message_id, data)
        assert (await patient.wait_for_answer(query)).text == texts.BUTTON_NO_LONGER_VALID
    await patient.press(texts.BUTTON_DELETE_CANCEL)
    await patient.wait_for_message(texts.DELETE_CANCELLED)
    assert await patient_row(running, patient) == mine
    assert await patient_row(running, other) == theirs


async def test_onboarding_patients_can_delete_but_not_pause(
    patient: Patient, running: RunningBot
) -> None:
    """/pause and /resume point to /start until set up; /delete works from consent on."""
    await patient.send("/delete")
    assert (await patient.wait_for_message()).text == texts.NOTHING_STORED
    for command in ("/pause", "/resume"):
        await patient.send(command)
        assert (await patient.wait_for_message()).text == texts.NOT_SET_UP
    await agree(patient)
    for command in ("/pause", "/resume"):
        await patient.send(command)
        assert (await patient.wait_for_message()).text == texts.FINISH_SET_UP_FIRST
    await patient.send("/delete")
    await patient.wait_for_message(texts.DELETE_CONFIRM)
    await patient.press(texts.BUTTON_DELETE_CONFIRM)
    await patient.wait_for_message(texts.DELETED)
    assert await patient_row(running, patient) is None


async def test_help_about_and_the_command_menu(
    fake: FakeBotApi, patient: Patient, running: RunningBot
) -> None:
    """/help lists the commands, /about names the sources and ends with the not-advice line."""
    await settle(patient)
    await patient.send("/about")
    about = (await patient.wait_for_message()).text or ""
    assert "US Prescribing Information and Medication Guide" in about
    assert "EU SmPC and patient leaflet" in about and "Instructions for Use" in about
    assert "your MS team" in about and "emergency services" in about
    assert about.endswith(texts.NOT_MEDICAL_ADVICE)
    for command in ("/settings", "/pause", "/resume", "/delete", "/about"):
        assert command in texts.HELP
    commands = dict(fake.commands())
    assert {"settings", "pause", "resume", "delete", "about", "help"} <= commands.keys()


async def test_random_input_while_resume_waits_never_breaks_a_handler(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Random dates, texts, locations and `acct:` data at the /resume question: every button
    answered, no handler error, and a patient either still paused or active with a valid plan."""
    await set_up_new_patient(patient)
    clock.set(datetime(2026, 1, 6, 10, 0, tzinfo=UTC))
    await pause_reminders(patient)
    await patient.send("/resume")
    ask = await patient.wait_for_message("In your plan")
    errors = ErrorRecorder()
    logging.getLogger().addHandler(errors)
    rng = random.Random(7)
    tricky = ["31.02.2026", "03/04/2026", "tomorrow", "1900-01-01", "yesterday", "0", "😀" * 30]
    data = ["acct:", "acct:res:", "acct:res:day:", "acct:res:day:-9", "acct:pause:yes:x"]
    try:
        queries = []
        for index in range(30):
            text = tricky[index % len(tricky)] if index % 2 else random_text(rng)
            if text.strip() and not text.startswith("/"):
                await patient.send(text)
            if index % 7 == 0:
                await patient.send_location(rng.uniform(-90, 90), rng.uniform(-180, 180))
            payload = data[index % len(data)] if index % 3 else "acct:" + random_text(rng)
            queries.append(forge(patient, ask.message_id, payload[:64]))
        await settle(patient)
        for query in queries:
            await patient.wait_for_answer(query)
    finally:
        logging.getLogger().removeHandler(errors)
    assert [r.getMessage() for r in errors.records] == []
    stored = await patient_row(running, patient)
    assert stored is not None and stored.status in (PatientStatus.PAUSED, PatientStatus.ACTIVE)
