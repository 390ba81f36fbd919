"""Onboarding end to end: the real Application, played as a patient through the fake Bot API."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import onboarding_flow as flow
from bot import onboarding_state, texts
from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi, run_fake_bot_api
from bot.devtools.harness import RunningBot, running_bot, settings_for_fake
from bot.devtools.patient import Patient
from bot.onboarding_state import Answers, DayAnswer, OnboardingState, Step
from scheduling.model import Patient as StoredPatient
from scheduling.model import PatientStatus, Reminder, ReminderKind, ReminderStatus
from storage.conversations import ConversationState, ConversationStateRepository
from storage.doses import DoseRepository
from storage.patients import PatientRepository
from storage.reminders import ReminderRepository

T = TypeVar("T")
WELCOME_MESSAGE_ID = 2  # the bot's answer to the patient's first /start (message 1)
LONDON = (51.5074, -0.1278)  # clock fixture: Fri 2 Jan 2026, 12:00 UTC (12:00 in London)


async def patient_row(running: RunningBot, patient: Patient) -> StoredPatient | None:
    async with running.services.database.sessions() as session:
        return await PatientRepository(session).get_by_telegram_id(patient.user_id)


async def settle(patient: Patient) -> None:
    """Wait until the bot has handled everything sent so far (it handles updates in order)."""
    await patient.send("/help")
    await patient.wait_for_message(texts.HELP)


async def conversation(running: RunningBot, patient: Patient) -> ConversationState | None:
    await settle(patient)
    async with running.services.database.sessions() as session:
        return await ConversationStateRepository(session).get(patient.user_id)


async def pending_reminders(running: RunningBot, patient_id: int) -> list[Reminder]:
    async with running.services.database.sessions() as session:
        return await ReminderRepository(session).list_for_patient(
            patient_id, ReminderStatus.PENDING
        )


async def agree(patient: Patient) -> None:
    await patient.send("/start")
    await patient.wait_for_message(texts.WELCOME)
    await patient.press(texts.BUTTON_AGREE)
    await patient.wait_for_message(texts.ASK_FIRST_INJECTION)


async def answer_zone_by_location(patient: Patient) -> None:
    await patient.wait_for_message(texts.ASK_TIME_ZONE)
    await patient.send_location(*LONDON)
    await patient.wait_for_message(texts.IS_THAT_RIGHT)
    await patient.press(texts.BUTTON_YES)


async def set_up_new_patient(patient: Patient) -> None:
    """Not yet on Kesimpta, first dose tomorrow (Sat 3 Jan), 09:00, London, injects alone."""
    await agree(patient)
    await patient.press(texts.BUTTON_NOT_YET)
    await patient.wait_for_message(texts.ASK_FIRST_DOSE_DATE)
    await patient.press(texts.BUTTON_TOMORROW)
    await patient.wait_for_message(texts.ASK_REMINDER_TIME)
    await patient.press("09:00")
    await answer_zone_by_location(patient)
    await patient.wait_for_message(texts.ASK_WHO_INJECTS)
    await patient.press(texts.BUTTON_I_DO)
    await patient.wait_for_message("Here is your plan")
    await patient.press(texts.BUTTON_CONFIRM)
    await patient.wait_for_message(texts.ALL_SET)


async def test_a_new_patient_goes_from_start_to_planned_reminders(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Welcome, consent, every question, the summary, confirmation; then dose 1's reminder."""
    await patient.send("/start")
    welcome = await patient.wait_for_message()
    assert welcome.text == texts.WELCOME
    assert welcome.buttons == [texts.BUTTON_AGREE]
    assert await patient_row(running, patient) is None  # nothing stored before consent

    await patient.press(texts.BUTTON_AGREE)
    agreed = await patient.wait_for_message()
    assert agreed.text == f"{texts.WELCOME}\n\n✓ {texts.BUTTON_AGREE}"
    assert agreed.buttons == []
    created = await patient_row(running, patient)
    assert created is not None and created.status is PatientStatus.ONBOARDING
    assert created.consented_at == clock()

    await patient.wait_for_message(texts.ASK_FIRST_INJECTION)
    await patient.press(texts.BUTTON_NOT_YET)
    await patient.wait_for_message(texts.ASK_FIRST_DOSE_DATE)
    assert patient.buttons[:2] == [texts.BUTTON_TODAY, texts.BUTTON_TOMORROW]
    await patient.press(texts.BUTTON_TOMORROW)
    await patient.wait_for_message(texts.ASK_REMINDER_TIME)
    await patient.send("7.30pm")  # typed instead of tapped
    ask_zone = await patient.wait_for_message(texts.ASK_TIME_ZONE)
    keyboard = patient.chat.reply_keyboard
    assert keyboard is not None
    assert keyboard["keyboard"][0][0]["request_location"] is True
    assert ask_zone.buttons == []

    await patient.send_location(*LONDON)
    found = await patient.wait_for_message()
    assert "Europe/London: your time now is 12:00 on Fri 2 Jan." in (found.text or "")
    assert patient.chat.reply_keyboard is None  # the location keyboard is gone
    await patient.wait_for_message(texts.IS_THAT_RIGHT)
    await patient.press(texts.BUTTON_YES)
    await patient.wait_for_message(texts.ASK_WHO_INJECTS)
    await patient.press(texts.BUTTON_CAREGIVER)

    summary = await patient.wait_for_message("Here is your plan")
    assert summary.text == (
        "Here is your plan:\n"
        "• Dose 1: Sat 3 Jan\n• Dose 2: Sat 10 Jan\n• Dose 3: Sat 17 Jan\n• Dose 4: Sat 31 Jan"
        "\n\nReminders at 19:30 (Europe/London). First site: left thigh.\n\nIs this right?"
    )
    assert texts.BUTTON_CONFIRM in summary.buttons
    await patient.press(texts.BUTTON_CONFIRM)
    confirmed = await patient.wait_for_message()
    assert confirmed.buttons == [] and confirmed.text is not None
    assert confirmed.text.endswith(f"✓ {texts.BUTTON_CONFIRM}")
    await patient.wait_for_message(texts.ALL_SET)

    stored = await patient_row(running, patient)
    assert stored is not None and stored.status is PatientStatus.ACTIVE
    assert stored.first_dose_date == date(2026, 1, 3)
    assert stored.settings.time_zone == "Europe/London"
    assert stored.settings.reminder_time == time(19, 30)
    assert stored.caregiver_injects is True
    assert await conversation(running, patient) is None
    reminders = await pending_reminders(running, stored.id)
    dose_reminders = [r for r in reminders if r.kind is ReminderKind.DOSE]
    assert [(r.dose_number, r.due_at) for r in dose_reminders] == [
        (1, datetime(2026, 1, 3, 19, 30, tzinfo=UTC))
    ]
    # No stale buttons are left anywhere in the chat.
    assert all(not m.keyboard for m in patient.bot_messages)

    clock.set(datetime(2026, 1, 3, 19, 30, tzinfo=UTC))
    await running.dispatch()
    reminder = await patient.wait_for_message("Time for dose 1")
    assert "Suggested site: left thigh" in (reminder.text or "")


async def test_a_patient_on_treatment_gets_the_next_dose_a_month_after_dose_6(
    patient: Patient, running: RunningBot
) -> None:
    """Last dose = dose 6 on 15 Dec: dose 7 is planned for 15 Jan, shown in the summary."""
    await agree(patient)
    await patient.press(texts.BUTTON_ALREADY_ON)
    await patient.wait_for_message(texts.ASK_LAST_DOSE_DATE)
    await patient.send("15 Dec")
    await patient.wait_for_message(texts.ASK_LAST_DOSE_NUMBER)
    await patient.press("4th or later")
    await patient.wait_for_message(texts.ASK_LATER_DOSE_NUMBER)
    await patient.send("6")
    await patient.wait_for_message(texts.ASK_REMINDER_TIME)
    await patient.send("9")
    await patient.wait_for_message(texts.ASK_TIME_ZONE)
    await patient.send("London")
    await patient.wait_for_message(texts.IS_THAT_RIGHT)
    await patient.press(texts.BUTTON_YES)
    await patient.wait_for_message(texts.ASK_WHO_INJECTS)
    await patient.press(texts.BUTTON_I_DO)
    summary = await patient.wait_for_message("Your last dose")
    assert summary.text is not None
    assert summary.text.startswith(
        "Your last dose: dose 6 on Mon 15 Dec 2025.\nNext doses:\n• Dose 7: Thu 15 Jan\n"
    )
    await patient.press(texts.BUTTON_CONFIRM)
    await patient.wait_for_message(texts.ALL_SET)

    stored = await patient_row(running, patient)
    assert stored is not None and stored.status is PatientStatus.ACTIVE
    async with running.services.database.sessions() as session:
        doses = await DoseRepository(session).list_for_patient(stored.id)
    assert [(d.number, d.injected_on) for d in doses] == [(6, date(2025, 12, 15))]
    dose_reminders = [
        r for r in await pending_reminders(running, stored.id) if r.kind is ReminderKind.DOSE
    ]
    assert [(r.dose_number, r.due_at) for r in dose_reminders] == [
        (7, datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    ]


async def test_a_restart_in_the_middle_resumes_at_the_same_step(
    fake: FakeBotApi, database_url: str, clock: ManualClock
) -> None:
    """Stop the bot at the time question, start a new one on the same database: same step."""
    settings = settings_for_fake(fake, database_url)
    patient = fake.patient(first_name="Ann")
    async with running_bot(fake, settings, clock=clock):
        await agree(patient)
        await patient.press(texts.BUTTON_NOT_YET)
        await patient.wait_for_message(texts.ASK_FIRST_DOSE_DATE)
        await patient.send("5 Jan")
        await patient.wait_for_message(texts.ASK_REMINDER_TIME)

    async with running_bot(fake, settings, clock=clock) as restarted:
        await patient.send("/start")
        again = await patient.wait_for_message(texts.STEP_AGAIN)
        assert again.text == f"{texts.STEP_AGAIN}\n\n{texts.ASK_REMINDER_TIME}"
        assert "09:00" in again.buttons
        # The question asked before the restart keeps no live buttons behind.
        assert [m for m in patient.bot_messages if m.keyboard] == [again]
        await patient.send("half past nine-ish")  # not a time: the step stays
        await patient.wait_for_message(texts.TIME_NOT_UNDERSTOOD)
        await patient.press("08:00")
        await patient.wait_for_message(texts.ASK_TIME_ZONE)
        state = await conversation(restarted, patient)
        assert state is not None and state.step == "onboarding:time_zone"
        assert state.data["first_dose"] == {"day": "2026-01-05"}
        assert state.data["reminder_time"] == "08:00"


async def test_typed_text_after_a_restart_continues_where_it_left_off(
    fake: FakeBotApi, database_url: str, clock: ManualClock
) -> None:
    """After a restart, a first message that does not answer shows the question again."""
    settings = settings_for_fake(fake, database_url)
    patient = fake.patient(first_name="Ann")
    async with running_bot(fake, settings, clock=clock):
        await agree(patient)
    async with running_bot(fake, settings, clock=clock):
        await patient.send("hello?")
        again = await patient.wait_for_message(texts.STEP_AGAIN)
        assert again.text == f"{texts.STEP_AGAIN}\n\n{texts.ASK_FIRST_INJECTION}"
        await patient.press(texts.BUTTON_NOT_YET)
        await patient.wait_for_message(texts.ASK_FIRST_DOSE_DATE)


async def test_start_after_set_up_shows_the_next_dose_and_changes_nothing(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """/start from a set-up patient: next dose, days to go, commands; no data touched."""
    await set_up_new_patient(patient)
    stored = await patient_row(running, patient)
    assert stored is not None
    before = await pending_reminders(running, stored.id)

    await patient.send("/start")
    overview = await patient.wait_for_message()
    assert overview.text == (
        "Your next dose: dose 1 on Sat 3 Jan at 09:00 (tomorrow).\nSite: left thigh."
        f"\n\n{texts.MAIN_COMMANDS}"
    )
    assert await patient_row(running, patient) == stored
    assert await pending_reminders(running, stored.id) == before
    assert await conversation(running, patient) is None

    clock.set(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    await patient.send("/start")
    overdue = await patient.wait_for_message()
    assert overdue.text is not None
    assert overdue.text.startswith("Dose 1 was due on Sat 3 Jan (2 days ago).")


async def test_a_stale_button_after_an_answer_is_no_longer_valid(
    patient: Patient, running: RunningBot
) -> None:
    """An old question's button (sent again by a client) answers politely and changes nothing."""
    await agree(patient)
    question = patient.chat.last_keyboard_message
    assert question is not None
    not_yet_data = question.keyboard[0][0].callback_data
    assert not_yet_data is not None
    await patient.press(texts.BUTTON_NOT_YET)
    await patient.wait_for_message(texts.ASK_FIRST_DOSE_DATE)
    before = await conversation(running, patient)

    query_id = press_anyway(patient, question.message_id, not_yet_data)
    answer = await patient.wait_for_answer(query_id)
    assert answer.text == texts.BUTTON_NO_LONGER_VALID
    assert await conversation(running, patient) == before

    # A button of the live question carrying another step's data: refused too.
    live = patient.chat.last_keyboard_message
    assert live is not None
    query_id = press_anyway(patient, live.message_id, "onb:wi:caregiver")
    assert (await patient.wait_for_answer(query_id)).text == texts.BUTTON_NO_LONGER_VALID
    assert await conversation(running, patient) == before

    # The consent button pressed again on the (edited) welcome.
    query_id = press_anyway(patient, WELCOME_MESSAGE_ID, "onb:agree")
    assert (await patient.wait_for_answer(query_id)).text == texts.BUTTON_NO_LONGER_VALID


async def test_ambiguous_and_impossible_dates_are_answered_with_an_example(
    patient: Patient, running: RunningBot
) -> None:
    """03/04/2026 offers both readings; 31.02 and gibberish change nothing."""
    await agree(patient)
    await patient.press(texts.BUTTON_NOT_YET)
    await patient.wait_for_message(texts.ASK_FIRST_DOSE_DATE)
    before = await conversation(running, patient)
    await patient.send("31.02.2026")
    await patient.wait_for_message(texts.DATE_IMPOSSIBLE)
    await patient.send("whenever")
    await patient.wait_for_message(texts.DATE_NOT_UNDERSTOOD)
    await patient.send("2027-06-01")
    await patient.wait_for_message(texts.DATE_TOO_FAR_AHEAD)
    assert await conversation(running, patient) == before

    await patient.send("03/02/2026")
    choice = await patient.wait_for_message("Did you mean")
    assert choice.text == "Did you mean Tue 3 Feb or Mon 2 Mar?"
    assert choice.buttons == ["Tue 3 Feb", "Mon 2 Mar"]
    await patient.press("Tue 3 Feb")
    await patient.wait_for_message(texts.ASK_REMINDER_TIME)
    state = await conversation(running, patient)
    assert state is not None and state.data["first_dose"] == {"day": "2026-02-03"}


async def test_a_returning_unreachable_patient_is_active_again_with_reminders(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Blocked the bot (a reminder got 403: reminders held), came back with /start: welcome
    back, active again, the held reminders released and the plan redone."""
    await set_up_new_patient(patient)
    stored = await patient_row(running, patient)
    assert stored is not None
    patient.fake.block(patient.user_id)
    clock.set(datetime(2026, 1, 3, 9, 0, tzinfo=UTC))  # dose 1 is due
    await running.dispatch()
    blocked = await patient_row(running, patient)
    assert blocked is not None and blocked.status is PatientStatus.UNREACHABLE
    async with running.services.database.sessions() as session:
        held = await ReminderRepository(session).list_for_patient(stored.id, ReminderStatus.HELD)
    assert held

    patient.fake.unblock(patient.user_id)
    await patient.send("/start")
    back = await patient.wait_for_message()
    assert back.text is not None
    assert back.text.startswith(
        f"{texts.WELCOME_BACK}\n\nYour next dose: dose 1 on Sat 3 Jan at 09:00 (today)."
    )
    again = await patient_row(running, patient)
    assert again is not None and again.status is PatientStatus.ACTIVE
    async with running.services.database.sessions() as session:
        assert not await ReminderRepository(session).list_for_patient(
            stored.id, ReminderStatus.HELD
        )
    assert await pending_reminders(running, stored.id)
    await running.dispatch()  # what is still meaningful goes out now
    await patient.wait_for_message("dose 1")


async def test_changing_a_step_from_the_summary_comes_straight_back(
    patient: Patient, running: RunningBot
) -> None:
    """Change the time from the summary: one question, then the summary again."""
    await set_up_until_summary(patient)
    await patient.press(texts.BUTTON_CHANGE_TIME)
    await patient.wait_for_message(texts.ASK_REMINDER_TIME)
    await patient.press("20:00")
    summary = await patient.wait_for_message("Here is your plan")
    assert "Reminders at 20:00 (Europe/London)" in (summary.text or "")

    await patient.press(texts.BUTTON_CHANGE_DATE)
    await patient.wait_for_message(texts.ASK_FIRST_INJECTION)
    await patient.press(texts.BUTTON_NOT_YET)
    await patient.wait_for_message(texts.ASK_FIRST_DOSE_DATE)
    await patient.press(texts.BUTTON_IN_A_WEEK)
    summary = await patient.wait_for_message("Here is your plan")
    assert "• Dose 1: Fri 9 Jan" in (summary.text or "")
    assert [m for m in patient.bot_messages if m.keyboard] == [summary]


async def test_typed_text_with_no_step_waiting_gets_a_hint(
    patient: Patient, running: RunningBot
) -> None:
    """Outside any step: a newcomer is pointed to /start, a set-up patient to /help."""
    await patient.send("hello")
    assert (await patient.wait_for_message()).text == texts.NOT_SET_UP
    await set_up_new_patient(patient)
    await patient.send("hello")
    assert (await patient.wait_for_message()).text == texts.TEXT_OUTSIDE_A_STEP


async def set_up_until_summary(patient: Patient) -> None:
    await agree(patient)
    await patient.press(texts.BUTTON_NOT_YET)
    await patient.wait_for_message(texts.ASK_FIRST_DOSE_DATE)
    await patient.press(texts.BUTTON_TOMORROW)
    await patient.wait_for_message(texts.ASK_REMINDER_TIME)
    await patient.press("09:00")
    await answer_zone_by_location(patient)
    await patient.wait_for_message(texts.ASK_WHO_INJECTS)
    await patient.press(texts.BUTTON_I_DO)
    await patient.wait_for_message("Here is your plan")


def press_anyway(patient: Patient, message_id: int, data: str) -> str:
    """A callback query the chat no longer shows a button for (an old client, or forged)."""
    fake, chat = patient.fake, patient.chat
    message = chat.message(message_id)
    assert message is not None
    query_id = f"forged-{len(fake.callback_answers)}-{message_id}-{len(chat.outputs)}"
    fake.open_callback_queries.add(query_id)
    fake.enqueue_update(
        "callback_query",
        {
            "id": query_id,
            "from": patient.user.to_api(),
            "message": message.to_api(chat),
            "chat_instance": "1",
            "data": data,
        },
    )
    return query_id


# --- fuzz: random input at every step, through the real bot -----------------------------------

FUZZ_ANSWERS = Answers(
    on_treatment=False, first_dose=DayAnswer(day=date(2026, 1, 5)), reminder_time=time(9)
)
FUZZ_STATES = {
    "first_injection": onboarding_state.first_state(),
    "first_dose_date": OnboardingState(Step.FIRST_DOSE_DATE, Answers(on_treatment=False)),
    "last_dose_date": OnboardingState(Step.LAST_DOSE_DATE, Answers(on_treatment=True)),
    "last_dose_number": OnboardingState(
        Step.LAST_DOSE_NUMBER,
        Answers(on_treatment=True, last_dose=DayAnswer(day=date(2025, 12, 15))),
    ),
    "later_dose_number": OnboardingState(
        Step.LATER_DOSE_NUMBER,
        Answers(on_treatment=True, last_dose=DayAnswer(day=date(2025, 12, 15))),
    ),
    "reminder_time": OnboardingState(
        Step.REMINDER_TIME, Answers(on_treatment=False, first_dose=DayAnswer(day=date(2026, 1, 5)))
    ),
    "time_zone": OnboardingState(Step.TIME_ZONE, FUZZ_ANSWERS),
    "choose_zone": OnboardingState(
        Step.CHOOSE_ZONE, replace(FUZZ_ANSWERS, zone_candidates=("America/New_York", "UTC"))
    ),
    "confirm_zone": OnboardingState(
        Step.CONFIRM_ZONE, replace(FUZZ_ANSWERS, pending_zone="Europe/London")
    ),
    "who_injects": OnboardingState(
        Step.WHO_INJECTS, replace(FUZZ_ANSWERS, time_zone="Europe/London")
    ),
    "summary": OnboardingState(
        Step.SUMMARY, replace(FUZZ_ANSWERS, time_zone="Europe/London", caregiver_injects=True)
    ),
}


class _ErrorRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("bot", "telegram")):
            self.records.append(record)


class FuzzBot:
    """The real bot and the fake in an event loop of their own, shared by the fuzz tests.

    Hypothesis calls a plain function many times; each example runs one coroutine on this
    loop, so the bot keeps running between examples (and steps), and `go_to` puts the patient
    at a step with its question asked; every example then starts from that step.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.barriers = itertools.count()

    def __enter__(self) -> FuzzBot:
        self.run(self._start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.run(self.stack.aclose())
        finally:
            self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    async def _start(self) -> None:
        self.fake = await self.stack.enter_async_context(run_fake_bot_api())
        settings = settings_for_fake(self.fake, self.database_url)
        clock = ManualClock(datetime(2026, 1, 2, 12, 0, tzinfo=UTC))
        self.running = await self.stack.enter_async_context(
            running_bot(self.fake, settings, clock=clock)
        )
        self.patient = self.fake.patient(first_name="Ann")
        self.other = self.fake.patient(first_name="Bea")
        await agree(self.patient)

    async def go_to(self, state: OnboardingState) -> None:
        """Store `state` and have the bot ask its question ("let's continue"): the live one."""
        async with self.running.services.database.sessions.begin() as session:
            await ConversationStateRepository(session).set(
                self.patient.user_id, *onboarding_state.dump(state)
            )
        await self.patient.send("/start")
        await self.patient.wait_for_message(texts.STEP_AGAIN)
        await self.barrier()
        stored = await self.stored()
        assert stored is not None
        self.snapshot = (stored.step, dict(stored.data))
        question_id = stored.data["question_message_id"]
        assert isinstance(question_id, int)
        self.question_id = question_id

    async def stored(self) -> ConversationState | None:
        async with self.running.services.database.sessions() as session:
            return await ConversationStateRepository(session).get(self.patient.user_id)

    async def reset(self) -> None:
        async with self.running.services.database.sessions.begin() as session:
            await ConversationStateRepository(session).set(self.patient.user_id, *self.snapshot)

    async def barrier(self) -> None:
        """Returns once the bot has handled everything sent before (it handles in order)."""
        query_id = self.forge(f"barrier:{next(self.barriers)}", WELCOME_MESSAGE_ID)
        await self.patient.wait_for_answer(query_id)

    def forge(self, data: str, message_id: int, *, presser: Patient | None = None) -> str:
        """A callback query for any data on any message (the fake's press_button refuses)."""
        chat = self.patient.chat
        message = chat.message(message_id)
        payload = (
            message.to_api(chat)
            if message is not None
            else {"message_id": message_id, "chat": chat.to_api(), "date": 0, "text": "?"}
        )
        query_id = f"q{next(self.barriers)}"
        self.fake.open_callback_queries.add(query_id)
        self.fake.enqueue_update(
            "callback_query",
            {
                "id": query_id,
                "from": (presser or self.patient).user.to_api(),
                "message": payload,
                "chat_instance": "1",
                "data": data,
            },
        )
        return query_id

    async def check(self) -> None:
        """The step waiting is still a valid one, stored exactly as the flow writes it."""
        await self.barrier()
        stored = await self.stored()
        assert stored is not None, "onboarding state vanished"
        state = onboarding_state.load(stored.step, stored.data)
        assert onboarding_state.is_consistent(state)
        assert onboarding_state.dump(state) == (stored.step, dict(stored.data))
        row = await patient_row(self.running, self.patient)
        assert row is not None and row.status is PatientStatus.ONBOARDING


def valid_buttons(state: OnboardingState) -> list[str]:
    question = flow.question(state, now=datetime(2026, 1, 2, 12, 0, tzinfo=UTC))
    data = [data for row in question.buttons for _, data in row]
    return [d for d in data if d != "onb:sm:ok"]  # confirming ends onboarding: tested above


texts_strategy = st.one_of(
    st.text(min_size=1, max_size=60),
    st.sampled_from(["/start", "/help", "yes", "no", "9", "tomorrow", "03/04/2026", "USA"]),
    st.from_regex(r"[0-9]{1,2}[./:][0-9]{1,2}([./][0-9]{2,4})?", fullmatch=True),
)


@pytest.fixture(scope="module")
def fuzz_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzBot]:
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with FuzzBot(f"sqlite+aiosqlite:///{database}") as bot:
        yield bot


@pytest.mark.parametrize("name", list(FUZZ_STATES))
def test_random_input_at_every_step_never_breaks_a_handler(name: str, fuzz_bot: FuzzBot) -> None:
    """Random texts, locations and button payloads at each step: no handler error, no CRITICAL
    line, every button answered, and the stored step is still a valid one."""
    errors = _ErrorRecorder()
    logging.getLogger().addHandler(errors)
    state = FUZZ_STATES[name]
    bot = fuzz_bot
    try:
        bot.run(bot.go_to(state))

        @settings(max_examples=30, deadline=None, database=None)
        @given(
            action=st.one_of(
                st.tuples(st.just("text"), texts_strategy),
                st.tuples(
                    st.just("location"),
                    st.tuples(st.floats(-91, 91, allow_nan=False), st.floats(-181, 181)),
                ),
            )
        )
        def type_anything(action: tuple[str, Any]) -> None:
            async def example() -> None:
                await bot.reset()
                kind, value = action
                if kind == "text":
                    await bot.patient.send(value)
                else:
                    await bot.patient.send_location(*value)
                await bot.check()

            bot.run(example())
            assert errors.records == []

        @settings(max_examples=30, deadline=None, database=None)
        @given(
            data=st.one_of(
                st.text(max_size=64),
                st.builds(lambda rest: f"onb:{rest}", st.text(max_size=30)),
                st.sampled_from(valid_buttons(state) or ["onb:tz:x"]),
                st.just(flow.AGREE),
            ),
            where=st.sampled_from(["question", "welcome", "missing", "other user"]),
        )
        def press_anything(data: str, where: str) -> None:
            async def example() -> None:
                await bot.reset()
                message_id = {"question": bot.question_id, "welcome": WELCOME_MESSAGE_ID}.get(
                    where, 9999
                )
                presser = bot.other if where == "other user" else None
                query_id = bot.forge(data, message_id, presser=presser)
                await bot.patient.wait_for_answer(query_id)
                await bot.check()

            bot.run(example())
            assert errors.records == []

        type_anything()
        press_anything()
    finally:
        logging.getLogger().removeHandler(errors)
    assert [r.getMessage() for r in errors.records] == []
