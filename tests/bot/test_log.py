"""/log end to end: an injection given without the bot, days ago; the 7-day confirmation."""

from __future__ import annotations

from datetime import date, time

from bot import texts
from bot.clock import ManualClock
from bot.devtools.fake_models import ChatMessage
from bot.devtools.harness import RunningBot
from bot.devtools.patient import Patient
from scheduling.model import DoseSource, InjectionSite, ReminderKind
from storage.conversations import ConversationStateRepository
from tests.bot.test_dose import at, doses_of, stored
from tests.bot.test_onboarding import (
    pending_reminders,
    press_anyway,
    set_up_new_patient,
    settle,
)


async def log_state(running: RunningBot, patient: Patient) -> str | None:
    await settle(patient)
    async with running.services.database.sessions() as session:
        state = await ConversationStateRepository(session).get(patient.user_id)
    return None if state is None else state.step


async def test_logging_a_dose_two_days_ago_moves_the_plan(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Dose 1 was planned for Sat 3 Jan, given on Sun 4 Jan without the bot, logged on Tue 6
    Jan as "2 days ago": dose 2 moves to Sun 11 Jan, and the reminders follow."""
    await patient.send("/log")
    assert (await patient.wait_for_message()).text == texts.NOT_SET_UP
    await set_up_new_patient(patient)
    clock.set(at(date(2026, 1, 6), time(12)))

    await patient.send("/log")
    ask = await patient.wait_for_message()
    assert ask.text == texts.ASK_LOG_DATE.format(number=1)
    assert ask.buttons == [
        texts.BUTTON_TODAY,
        texts.BUTTON_YESTERDAY,
        "2 days ago",
        "3 days ago",
        texts.BUTTON_CANCEL,
    ]
    await patient.send("tomorrow")
    assert (await patient.wait_for_message()).text == texts.LOG_DATE_IN_FUTURE
    await patient.send("whenever")
    assert (await patient.wait_for_message()).text == texts.DATE_NOT_UNDERSTOOD
    assert await log_state(running, patient) == "log:date"

    await patient.press("2 days ago", message_id=ask.message_id)
    answered = await patient.wait_for_message()
    assert answered.message_id == ask.message_id and answered.buttons == []
    assert (answered.text or "").endswith("✓ Sun 4 Jan")
    await patient.wait_for_message(texts.ASK_LOG_TIME)
    await patient.send("7:30")
    await patient.wait_for_message(texts.ASK_LOG_SITE)
    assert patient.buttons == [
        "left thigh",
        "right thigh",
        "left lower abdomen",
        "right lower abdomen",
        texts.BUTTON_DONT_REMEMBER,
        texts.BUTTON_CANCEL,
    ]
    await patient.press("left lower abdomen")
    recorded = await patient.wait_for_message("Recorded.")
    assert recorded.text == (
        "Recorded. Dose 1 was planned for Sat 3 Jan; you injected it 1 day late, so the doses "
        "after it now count from Sun 4 Jan.\n"
        "Next dose: Sun 11 Jan 09:00 · next site: left thigh.\n"
        "Then: dose 3 Sun 18 Jan, dose 4 Sun 1 Feb."
    )
    doses = await doses_of(running, patient)
    assert [(d.number, d.injected_on, d.injected_at, d.site, d.source) for d in doses] == [
        (1, date(2026, 1, 4), at(date(2026, 1, 4), time(7, 30)), InjectionSite.LEFT_ABDOMEN,
         DoseSource.LOG),
    ]  # fmt: skip
    row = await stored(running, patient)
    dose_reminders = [
        r for r in await pending_reminders(running, row.id) if r.kind is ReminderKind.DOSE
    ]
    assert [(r.dose_number, r.due_at) for r in dose_reminders] == [(2, at(date(2026, 1, 11)))]
    assert await log_state(running, patient) is None
    assert all(not m.keyboard for m in patient.bot_messages)

    await patient.send("/next")
    assert (await patient.wait_for_message()).text == (
        "Your next dose: dose 2 on Sun 11 Jan at 09:00 (in 5 days).\nSite: left thigh."
    )
    await patient.send("/history")
    assert (await patient.wait_for_message()).text == (
        "Your recent doses:\n• Dose 1: Sun 4 Jan · 1 day late · left lower abdomen"
    )


async def test_a_second_dose_within_7_days_asks_first(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Logged the day after the last dose: "Record another one?" No records nothing; Yes goes
    on. Dates before the last dose and times still to come today are refused."""
    await set_up_new_patient(patient)
    reminder = await patient_gets_dose_1(running, clock, patient)
    await patient.press("Injected in", message_id=reminder.message_id)
    await patient.wait_for_message("Next dose:")
    clock.set(at(date(2026, 1, 5), time(12)))

    await patient.send("/log")
    await patient.wait_for_message(texts.ASK_LOG_DATE.format(number=2))
    await patient.send("2 Jan")
    assert (await patient.wait_for_message()).text == texts.LOG_DATE_BEFORE_PREVIOUS.format(
        number=1, day="Sat 3 Jan"
    )
    await patient.press(texts.BUTTON_YESTERDAY)
    gap = await patient.wait_for_message("Record another one?")
    assert gap.text == (
        "Your last dose (dose 1) was on Sat 3 Jan, 1 day before this one. Record another one?"
    )
    await patient.press(texts.BUTTON_DONT_RECORD)
    await patient.wait_for_message(texts.LOG_CANCELLED)
    assert len(await doses_of(running, patient)) == 1
    assert await log_state(running, patient) is None
    stale = press_anyway(patient, gap.message_id, "log:gap:yes")
    assert (await patient.wait_for_answer(stale)).text == texts.BUTTON_NO_LONGER_VALID

    await patient.send("/log")
    await patient.wait_for_message(texts.ASK_LOG_DATE.format(number=2))
    await patient.send("today")
    gap = await patient.wait_for_message("Record another one?")
    assert "2 days ago" in (gap.text or "")
    await patient.press(texts.BUTTON_RECORD_IT)
    await patient.wait_for_message(texts.ASK_LOG_TIME)
    await patient.send("20:00")
    assert (await patient.wait_for_message()).text == texts.LOG_TIME_IN_FUTURE
    await patient.press(texts.BUTTON_DONT_REMEMBER)
    await patient.wait_for_message(texts.ASK_LOG_SITE)
    await patient.send("my leg")
    assert (await patient.wait_for_message()).text == texts.TAP_A_BUTTON
    await patient.press(texts.BUTTON_DONT_REMEMBER)
    recorded = await patient.wait_for_message("Recorded.")
    assert "Dose 2 was planned for Sat 10 Jan; you injected it 5 days early" in (
        recorded.text or ""
    )
    doses = await doses_of(running, patient)
    assert [(d.number, d.injected_on, d.injected_at, d.site) for d in doses][1:] == [
        (2, date(2026, 1, 5), at(date(2026, 1, 5), time(9)), None)
    ]
    await patient.send("/history")
    assert (await patient.wait_for_message()).text == (
        "Your recent doses:\n"
        "• Dose 2: Mon 5 Jan · 5 days early · site not noted\n"
        "• Dose 1: Sat 3 Jan · on time · left thigh"
    )


async def test_cancel_and_a_log_started_again_leave_nothing_stale(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Cancel ends /log with nothing recorded; /log again replaces an unfinished one."""
    await set_up_new_patient(patient)
    clock.set(at(date(2026, 1, 3), time(12)))
    await patient.send("/log")
    first = await patient.wait_for_message(texts.ASK_LOG_DATE.format(number=1))
    await patient.send("/log")
    await patient.wait_for_message(texts.ASK_LOG_DATE.format(number=1))  # the old one, edited
    second = await patient.wait_for_message(texts.ASK_LOG_DATE.format(number=1))
    assert second.message_id != first.message_id and second.buttons
    stale = press_anyway(patient, first.message_id, "log:date:2026-01-03")
    assert (await patient.wait_for_answer(stale)).text == texts.BUTTON_NO_LONGER_VALID
    await patient.press(texts.BUTTON_CANCEL, message_id=second.message_id)
    await patient.wait_for_message(texts.LOG_CANCELLED)
    assert await log_state(running, patient) is None
    assert await doses_of(running, patient) == []
    assert all(not m.keyboard for m in patient.bot_messages)
    await patient.send("9:00")
    assert (await patient.wait_for_message()).text == texts.TEXT_OUTSIDE_A_STEP


async def patient_gets_dose_1(
    running: RunningBot, clock: ManualClock, patient: Patient
) -> ChatMessage:
    clock.set(at(date(2026, 1, 3)))
    await running.dispatch()
    return await patient.wait_for_message("Time for dose 1")
