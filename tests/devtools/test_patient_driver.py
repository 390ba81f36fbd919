"""The patient driver plays a patient against a real PTB Application through the fake server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.devtools.fake_bot_api import DEFAULT_TOKEN, FakeBotApi
from bot.devtools.patient import Patient

DOSE_KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Injected", callback_data="dose:done:4"),
            InlineKeyboardButton("Remind me in 1 h", callback_data="dose:snooze:4"),
        ]
    ]
)


async def ask_about_dose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask whether today's dose was injected."""
    assert update.message is not None
    await update.message.reply_text("Did you inject dose 4?", reply_markup=DOSE_KEYBOARD)


async def confirm_dose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record the patient's answer and replace the question with it."""
    query = update.callback_query
    assert query is not None
    await query.answer("Saved")
    await query.edit_message_text(f"Noted: {query.data}")


@pytest.fixture
async def application(fake: FakeBotApi) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """A minimal real Application, started in-process the way TESTING.md prescribes."""
    app = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", ask_about_dose))
    app.add_handler(CallbackQueryHandler(confirm_dose, pattern="^dose:"))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
def patient(fake: FakeBotApi) -> Patient:
    return fake.patient(user_id=42, first_name="Ann")


async def test_patient_talks_to_a_real_application(
    fake: FakeBotApi,
    application: Application,  # type: ignore[type-arg]
    patient: Patient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """/start, a keyboard, a press, an answered callback and an edit, end to end."""
    caplog.set_level(logging.INFO)
    await patient.send("/start")
    question = await patient.wait_for_message(contains="dose 4")
    assert question.text == "Did you inject dose 4?"
    assert patient.buttons == ["Injected", "Remind me in 1 h"]

    query_id = await patient.press("Injected")
    answer = await patient.wait_for_answer(query_id)
    assert answer.text == "Saved"
    edited = await patient.wait_for_message()
    assert (edited.message_id, edited.text, edited.buttons) == (
        question.message_id,
        "Noted: dose:done:4",
        [],
    )
    assert patient.last_message is not None and patient.last_message.edit_count == 1
    assert [m.text for m in patient.messages] == ["/start", "Noted: dose:done:4"]
    # PTB logs CRITICAL (and carries on) when it cannot parse what the server sent.
    assert [r.message for r in caplog.records if r.levelno >= logging.CRITICAL] == []


async def send_keyboard(bot: Bot, labels: list[str]) -> None:
    buttons = [
        InlineKeyboardButton(label, callback_data=f"site:{i}") for i, label in enumerate(labels)
    ]
    await bot.send_message(
        42, "Where did you inject?", reply_markup=InlineKeyboardMarkup([buttons])
    )


async def test_press_fails_clearly_when_the_button_is_not_visible(
    bot: Bot, patient: Patient
) -> None:
    """The error names the label and lists the buttons the chat shows."""
    await send_keyboard(bot, ["Left thigh", "Right thigh"])
    with pytest.raises(AssertionError) as caught:
        await patient.press("Abdomen")
    assert "no button matches 'Abdomen'" in str(caught.value)
    assert "['Left thigh', 'Right thigh']" in str(caught.value)


async def test_press_without_any_keyboard_says_so(bot: Bot, patient: Patient) -> None:
    """Pressing when no message has a keyboard names the last message."""
    await bot.send_message(42, "Welcome")
    with pytest.raises(AssertionError, match=r"no inline keyboard to press 'Injected'.*Welcome"):
        await patient.press("Injected")


async def test_press_matching_rules(fake: FakeBotApi, bot: Bot, patient: Patient) -> None:
    """Exact label first, then a unique case-insensitive substring; ambiguity is an error."""
    await send_keyboard(bot, ["Yes", "Yes, later", "Left thigh", "Right thigh"])
    with pytest.raises(AssertionError, match="2 buttons match 'thigh'"):
        await patient.press("thigh")
    exact = await patient.press("Yes")
    by_substring = await patient.press("LEFT")
    data = [u["callback_query"]["data"] for u in fake.pending_updates]
    assert data == ["site:0", "site:2"]
    assert exact != by_substring


async def test_wait_for_message_only_returns_new_output(bot: Bot, patient: Patient) -> None:
    """Messages from before the last action do not count; each wait returns the next one."""
    await bot.send_message(42, "Old news")
    await patient.send("hello")
    with pytest.raises(AssertionError, match=r"did not arrive within 0\.1s"):
        await patient.wait_for_message(timeout=0.1)
    first = await bot.send_message(42, "First")
    await bot.edit_message_text("First, edited", chat_id=42, message_id=first.message_id)
    assert (await patient.wait_for_message()).text == "First"  # as it looked when sent
    assert (await patient.wait_for_message()).text == "First, edited"
    with pytest.raises(AssertionError, match="containing 'Second'"):
        await patient.wait_for_message(contains="Second", timeout=0.1)


async def test_choose_taps_a_reply_keyboard_button(
    fake: FakeBotApi, bot: Bot, patient: Patient
) -> None:
    """A reply keyboard button sends its label as text."""
    await bot.send_message(42, "What time?", reply_markup=ReplyKeyboardMarkup([["08:00", "20:00"]]))
    sent = await patient.choose("20")
    assert sent.text == "20:00"
    assert fake.pending_updates[-1]["message"]["text"] == "20:00"
    with pytest.raises(AssertionError, match="2 reply keyboard buttons match ':00'"):
        await patient.choose(":00")
