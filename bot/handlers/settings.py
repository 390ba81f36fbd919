"""/settings in Telegram: the menu, its `set:` buttons, and answers typed while a step waits.

Thin on purpose: `bot.settings_flow` decides what an answer leads to; this applies a change
through `storage.planning.change_settings` (fact and replan in one transaction), renders the
screens, and shows the next dose after every change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import settings_flow as flow
from bot import texts
from bot.handlers.common import button_handler, is_own_private_message, quietly
from bot.handlers.typed_input import StepRoute
from bot.keyboards import inline_keyboard
from bot.next_dose import next_dose_text
from bot.services import Context
from scheduling.model import DoseRecord, Patient, PatientStatus
from storage.conversations import ConversationState, ConversationStateRepository
from storage.doses import DoseRepository
from storage.patients import PatientRepository
from storage.planning import change_settings

log = logging.getLogger(__name__)


async def open_settings(update: Update, context: Context) -> None:
    """Show the settings menu with the current values."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.bot_data.services.database.sessions() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user.id)
        conversation = await ConversationStateRepository(session).get(user.id)
    pointer = not_set_up_reply(patient)
    if patient is None or pointer is not None:
        await message.reply_text(pointer or texts.NOT_SET_UP)
        return
    await _render(
        context, patient, state_of(conversation), flow.open_menu(flow.Choices.of(patient))
    )


@button_handler
async def answer_button(query: CallbackQuery, context: Context) -> None:
    """Apply a settings button of the live settings message; anything else changes nothing."""
    message = query.message
    user_id = query.from_user.id
    if not is_own_private_message(message, user_id):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    assert isinstance(message, Message)
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user_id)
        conversation = await ConversationStateRepository(session).get(user_id)
    state = state_of(conversation)
    outcome = None
    if (
        patient is not None
        and not_set_up_reply(patient) is None
        and state is not None
        and state.message_id == message.message_id
    ):
        outcome = flow.press(state, query.data or "", flow.Choices.of(patient), now=now)
    if outcome is None or patient is None:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    if outcome.refusal is not None:
        await query.answer(outcome.refusal)
        return
    await query.answer()
    await _render(context, patient, state, outcome)


async def answer_typed(update: Update, context: Context, conversation: ConversationState) -> None:
    """Apply text or a location typed while a settings step waits."""
    message, user = update.effective_message, update.effective_user
    state = state_of(conversation)
    if message is None or user is None or state is None:
        return
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user.id)
    pointer = not_set_up_reply(patient)
    if patient is None or pointer is not None:
        await message.reply_text(pointer or texts.NOT_SET_UP)
        return
    choices = flow.Choices.of(patient)
    if message.location is not None:
        location = message.location
        outcome = flow.share_location(state, location.latitude, location.longitude, now=now)
    else:
        outcome = flow.type_text(state, message.text or "", choices, now=now)
    await _render(context, patient, state, outcome)


STEP_ROUTE = StepRoute(flow.STEP_PREFIX, answer_typed)


# --- rendering ----------------------------------------------------------------------------------


async def _render(
    context: Context, patient: Patient, old: flow.SettingsState | None, outcome: flow.Outcome
) -> None:
    """Apply the change, then send or edit what the outcome says, then store the new step."""
    bot, chat_id = context.bot, patient.chat_id
    services = context.bot_data.services
    next_dose: str | None = None
    if outcome.changed is not None:
        next_dose = await _apply(context, patient.id, outcome.changed, now=services.clock())
    live = old.message_id if old is not None else None
    edit = outcome.edit
    if edit is not None and live is not None:
        text = edit.text
        if next_dose is not None and edit.buttons:
            text = f"{text}\n\n{next_dose}"
        await quietly(
            bot.edit_message_text(text, chat_id, live, reply_markup=inline_keyboard(edit.buttons))
        )
    elif (
        outcome.question is not None
        and old is not None
        and live is not None
        and flow.has_inline_buttons(old.step)
    ):
        # A new live message: the old one's buttons go.
        await quietly(bot.edit_message_reply_markup(chat_id, live))
    if outcome.notice is not None:
        await bot.send_message(
            chat_id,
            outcome.notice,
            reply_markup=ReplyKeyboardRemove() if outcome.remove_reply_keyboard else None,
        )
    state = outcome.state
    if outcome.question is not None and state is not None:
        question = outcome.question
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = inline_keyboard(
            question.buttons
        )
        if question.share_location:
            markup = ReplyKeyboardMarkup(
                [
                    [KeyboardButton(texts.BUTTON_SHARE_LOCATION, request_location=True)],
                    [KeyboardButton(texts.BUTTON_SETTINGS_KEEP_ZONE)],
                ],
                resize_keyboard=True,
            )
        sent = await bot.send_message(chat_id, question.text, reply_markup=markup)
        state = replace(state, message_id=sent.message_id)
    elif state is not None and state.message_id is None:
        state = replace(state, message_id=live)
    async with services.database.sessions.begin() as session:
        conversations = ConversationStateRepository(session)
        if state is not None:
            await conversations.set(patient.telegram_user_id, *flow.dump(state))
        elif state_of(await conversations.get(patient.telegram_user_id)) is not None:
            await conversations.clear(patient.telegram_user_id)
    if next_dose is not None and (edit is None or not edit.buttons):
        await bot.send_message(chat_id, texts.SETTINGS_SAVED.format(next_dose=next_dose))


async def _apply(context: Context, patient_id: int, choices: flow.Choices, *, now: datetime) -> str:
    """The new choices and the replan in one transaction; returns the next-dose text."""
    async with context.bot_data.services.database.sessions.begin() as session:
        patient = await change_settings(
            session,
            patient_id,
            now=now,
            settings=choices.settings,
            mode=choices.mode,
            caregiver_injects=choices.caregiver_injects,
            excluded_sites=choices.excluded_sites,
        )
        doses = await DoseRepository(session).list_for_patient(patient_id)
    return describe_next_dose(patient, doses, now=now)


def describe_next_dose(patient: Patient, doses: Sequence[DoseRecord], *, now: datetime) -> str:
    """The next dose, and a reminder that reminders are paused when they are."""
    text = next_dose_text(patient, doses, now=now)
    if patient.status is PatientStatus.PAUSED:
        return f"{text}\n{texts.SETTINGS_PAUSED_NOTE}"
    return text


# --- shared with bot.handlers.account -----------------------------------------------------------


def not_set_up_reply(patient: Patient | None) -> str | None:
    """The pointer to /start for someone not set up yet; None for a set-up patient."""
    if patient is None:
        return texts.NOT_SET_UP
    if patient.status is PatientStatus.ONBOARDING:
        return texts.FINISH_SET_UP_FIRST
    return None


def state_of(conversation: ConversationState | None) -> flow.SettingsState | None:
    if conversation is None:
        return None
    return flow.load(conversation.step, conversation.data)


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("settings", open_settings, filters=private),
        CallbackQueryHandler(answer_button, pattern=f"^{flow.CALLBACK_PREFIX}"),
    ]
