"""Onboarding in Telegram: /start, the `onb:` buttons, and answers typed while a step waits.

Thin on purpose: each handler reads the patient and the stored step, asks `bot.onboarding_flow`
what the answer leads to, renders that, and stores the new step. The flow decides; this talks.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import onboarding_flow as flow
from bot import onboarding_state, texts
from bot.handlers.common import (
    button_handler,
    is_own_private_message,
    quietly,
    show_answer,
)
from bot.handlers.typed_input import StepRoute
from bot.keyboards import inline_keyboard
from bot.next_dose import next_dose_text
from bot.services import Context
from scheduling.model import Patient, PatientStatus
from storage.conversations import ConversationState, ConversationStateRepository
from storage.doses import DoseRepository
from storage.outbox import release_held
from storage.patients import PatientAlreadyExists, PatientRepository
from storage.planning import set_status, start_mid_treatment, start_planned_course

log = logging.getLogger(__name__)

# In memory only: users this process has talked onboarding with. After a restart, a typed
# answer that misses gets the question again ("let's continue where we left off").
_SEEN_KEY = "onboarding_seen"


# --- /start -------------------------------------------------------------------------------------


def welcome_text(urgent_alerts: bool) -> str:
    """The welcome; it says admins hear of urgent reports when the deployment turns that on."""
    return f"{texts.WELCOME}\n\n{texts.WELCOME_URGENT_ALERTS}" if urgent_alerts else texts.WELCOME


async def start(update: Update, context: Context) -> None:
    """Welcome a newcomer, continue an unfinished set-up, or show a set-up patient their dose."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    now = services.clock()
    state: onboarding_state.OnboardingState | None = None
    overview: str | None = None
    async with services.database.sessions.begin() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user.id)
        if patient is not None and patient.status is PatientStatus.ONBOARDING:
            conversation = await ConversationStateRepository(session).get(user.id)
            state = _state_of(conversation) or onboarding_state.first_state()
        elif patient is not None:
            overview = await _overview(session, patient, now=now)
    if state is not None:
        await _render(context, user.id, state, flow.resume(state, now=now))
    elif overview is not None:
        await message.reply_text(overview)
    else:
        agree = InlineKeyboardButton(texts.BUTTON_AGREE, callback_data=flow.AGREE)
        await message.reply_text(
            welcome_text(services.settings.alert_urgent_reactions),
            reply_markup=InlineKeyboardMarkup([[agree]]),
        )


async def _overview(session: AsyncSession, patient: Patient, *, now: datetime) -> str:
    """The next dose and the main commands; a patient back from blocking the bot is active again.

    /start never restarts onboarding or changes a set-up patient's answers.
    """
    welcome_back = patient.status is PatientStatus.UNREACHABLE
    if welcome_back:
        # Held reminders become pending again; set_status then replans from the recorded doses.
        await release_held(session, patient.id)
        patient = await set_status(session, patient.id, PatientStatus.ACTIVE, now=now)
    doses = await DoseRepository(session).list_for_patient(patient.id)
    overview = f"{next_dose_text(patient, doses, now=now)}\n\n{texts.MAIN_COMMANDS}"
    return f"{texts.WELCOME_BACK}\n\n{overview}" if welcome_back else overview


# --- buttons ------------------------------------------------------------------------------------


@button_handler
async def answer_button(query: CallbackQuery, context: Context) -> None:
    """Apply an onboarding button, or say it is no longer valid and change nothing."""
    message = query.message
    user_id = query.from_user.id
    # Only buttons the bot showed in this user's own private chat count; ids come from there.
    if not is_own_private_message(message, user_id):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    if query.data == flow.AGREE:
        await _agree(query, message, context)
        return
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user_id)
        conversation = await ConversationStateRepository(session).get(user_id)
    state = _state_of(conversation)
    outcome = None
    if (
        state is not None
        and patient is not None
        and patient.status is PatientStatus.ONBOARDING
        and state.question_message_id == message.message_id
    ):
        outcome = flow.press(state, query.data or "", now=now)
    if outcome is None or patient is None or state is None:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    await query.answer()
    if outcome.finished is not None:
        await _finish(context, patient, outcome.finished, now=now)
        await show_answer(message, outcome.answered)
        await message.reply_text(texts.ALL_SET)
        return
    await _render(context, user_id, state, outcome, pressed=message)


async def _agree(query: CallbackQuery, message: Message, context: Context) -> None:
    """Consent: the patient is created (nothing was stored before) and the questions start."""
    services = context.bot_data.services
    now = services.clock()
    user_id = query.from_user.id
    # The consent button is valid only on the welcome, and only once.
    created = False
    if message.text == welcome_text(services.settings.alert_urgent_reactions):
        try:
            async with services.database.sessions.begin() as session:
                patients = PatientRepository(session)
                patient = await patients.create(user_id, message.chat.id)
                await patients.update(patient.id, consented_at=now)
                await _save(session, user_id, onboarding_state.first_state())
            created = True
        except PatientAlreadyExists:
            pass
    if not created:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    await query.answer()
    await show_answer(message, texts.BUTTON_AGREE)
    state = onboarding_state.first_state()
    await _render(
        context, user_id, state, flow.Outcome(state, question=flow.question(state, now=now))
    )


async def _finish(
    context: Context, patient: Patient, finished: flow.Finished, *, now: datetime
) -> None:
    """In one transaction: the settings, the course (which plans the reminders), no more step."""
    async with context.bot_data.services.database.sessions.begin() as session:
        patients = PatientRepository(session)
        settings = replace(
            patient.settings, time_zone=finished.time_zone, reminder_time=finished.reminder_time
        )
        await patients.update(
            patient.id, settings=settings, caregiver_injects=finished.caregiver_injects
        )
        if finished.first_dose_date is not None:
            await start_planned_course(
                session, patient.id, first_dose_date=finished.first_dose_date, now=now
            )
        else:
            assert finished.last_dose_on is not None and finished.last_dose_number is not None
            await start_mid_treatment(
                session,
                patient.id,
                last_dose_on=finished.last_dose_on,
                last_dose_number=finished.last_dose_number,
                now=now,
            )
        await ConversationStateRepository(session).clear(patient.telegram_user_id)


# --- typed text and locations -------------------------------------------------------------------


async def answer_typed(update: Update, context: Context, conversation: ConversationState) -> None:
    """Apply text or a location typed while an onboarding step waits."""
    message, user = update.effective_message, update.effective_user
    state = _state_of(conversation)
    if message is None or user is None or state is None:
        return
    now = context.bot_data.services.clock()
    if message.location is not None:
        location = message.location
        outcome = flow.share_location(state, location.latitude, location.longitude, now=now)
    else:
        outcome = flow.type_text(state, message.text or "", now=now)
    user_data = context.user_data
    seen = user_data is not None and user_data.get(_SEEN_KEY, False)
    if outcome.missed and not seen:
        # The first message since a restart misses: show where we were, and the question.
        outcome = replace(outcome, question=flow.resume(state, now=now).question)
    await _render(context, user.id, state, outcome)


STEP_ROUTE = StepRoute(onboarding_state.STEP_PREFIX, answer_typed)


# --- rendering ----------------------------------------------------------------------------------


async def _render(
    context: Context,
    user_id: int,  # also the id of the private chat
    old: onboarding_state.OnboardingState,
    outcome: flow.Outcome,
    *,
    pressed: Message | None = None,
) -> None:
    """Send what the outcome says, then store the new step with its live question's id."""
    bot, chat_id = context.bot, user_id
    if outcome.question is not None:
        # The live question is done: show the answer under it, or just take its buttons away.
        if pressed is not None and outcome.answered is not None:
            await show_answer(pressed, outcome.answered)
        elif old.question_message_id is not None and flow.has_inline_buttons(old.step):
            await quietly(bot.edit_message_reply_markup(chat_id, old.question_message_id))
    if outcome.notice is not None:
        await bot.send_message(
            chat_id,
            outcome.notice,
            reply_markup=ReplyKeyboardRemove() if outcome.remove_reply_keyboard else None,
        )
    if context.user_data is not None:
        context.user_data[_SEEN_KEY] = True
    if outcome.question is None:
        return
    question = outcome.question
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = inline_keyboard(question.buttons)
    if question.share_location:
        button = KeyboardButton(texts.BUTTON_SHARE_LOCATION, request_location=True)
        markup = ReplyKeyboardMarkup([[button]], resize_keyboard=True)
    sent = await bot.send_message(chat_id, question.text, reply_markup=markup)
    async with context.bot_data.services.database.sessions.begin() as session:
        await _save(session, user_id, replace(outcome.state, question_message_id=sent.message_id))


# --- state --------------------------------------------------------------------------------------


def _state_of(conversation: ConversationState | None) -> onboarding_state.OnboardingState | None:
    if conversation is None or conversation.step.partition(":")[0] != onboarding_state.STEP_PREFIX:
        return None
    return onboarding_state.load(conversation.step, conversation.data)


async def _save(
    session: AsyncSession, user_id: int, state: onboarding_state.OnboardingState
) -> None:
    step, data = onboarding_state.dump(state)
    await ConversationStateRepository(session).set(user_id, step, data)


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", start, filters=private),
        CallbackQueryHandler(answer_button, pattern=f"^{flow.CALLBACK_PREFIX}"),
    ]
