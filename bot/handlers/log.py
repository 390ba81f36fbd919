"""/log: record an injection given without the bot's reminder (date, time, site), even days ago.

Thin like onboarding: the handler reads the patient and the stored `log:` step, asks
`bot.log_flow` what an answer leads to, renders that, and stores the new step.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import dose_actions as actions
from bot import log_flow as flow
from bot import texts
from bot.handlers.common import is_own_private_message, quietly
from bot.handlers.dose import remove_buttons, stale_dose_messages
from bot.handlers.typed_input import StepRoute
from bot.keyboards import inline_keyboard
from bot.services import Context
from scheduling.model import DoseSource, Patient, PatientStatus
from scheduling.wallclock import local_instant
from storage.conversations import ConversationState, ConversationStateRepository
from storage.doses import DoseRepository
from storage.patients import PatientRepository
from storage.planning import DoseNotOpen, DoseOutOfOrder, open_dose, record_dose

log = logging.getLogger(__name__)


async def _facts(
    session: AsyncSession, user_id: int, context: Context
) -> tuple[Patient, flow.LogFacts] | None:
    """The set-up patient and what the flow needs to know, or None if not set up."""
    patient = await PatientRepository(session).get_by_telegram_id(user_id)
    if patient is None or patient.status is PatientStatus.ONBOARDING:
        return None
    last = await DoseRepository(session).latest(patient.id)
    local = context.bot_data.services.clock().astimezone(ZoneInfo(patient.settings.time_zone))
    facts = flow.LogFacts(
        today=local.date(),
        now_wall=local.time().replace(tzinfo=None),
        reminder_time=patient.settings.reminder_time,
        last_dose=None if last is None else flow.LastDose(last.number, last.injected_on),
        sites=actions.patient_sites(patient),
    )
    return patient, facts


# --- /log ---------------------------------------------------------------------------------------


async def start_log(update: Update, context: Context) -> None:
    """Ask when the injection was given (dose due now), with quick day buttons."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.bot_data.services.database.sessions() as session:
        found = await _facts(session, user.id, context)
        due = None if found is None else await open_dose(session, found[0].id)
        waiting = await ConversationStateRepository(session).get(user.id)
    if found is None or due is None:
        await message.reply_text(texts.NOT_SET_UP)
        return
    old = _state_of(waiting)
    await _render(context, user.id, old, flow.start(due.number, found[1]))


# --- buttons ------------------------------------------------------------------------------------


async def answer_log_button(update: Update, context: Context) -> None:
    """Apply a /log button of the live question, or say it is no longer valid."""
    query = update.callback_query
    if query is None:
        return
    try:
        await _answer_log_button(query, context)
    except Exception:
        with contextlib.suppress(BadRequest):  # every press is answered, even on a failure
            await query.answer()
        raise


async def _answer_log_button(query: CallbackQuery, context: Context) -> None:
    message = query.message
    user_id = query.from_user.id
    if not is_own_private_message(message, user_id):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    async with context.bot_data.services.database.sessions() as session:
        found = await _facts(session, user_id, context)
        state = _state_of(await ConversationStateRepository(session).get(user_id))
    outcome = None
    if found is not None and state is not None and state.question_message_id == message.message_id:
        outcome = flow.press(state, query.data or "", found[1])
    if outcome is None or found is None or state is None:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    await query.answer()
    await _render(context, user_id, state, outcome, pressed=message)


# --- typed text ---------------------------------------------------------------------------------


async def answer_typed(update: Update, context: Context, conversation: ConversationState) -> None:
    """Apply a date or time typed while a /log step waits."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    state = _state_of(conversation)
    async with context.bot_data.services.database.sessions() as session:
        found = await _facts(session, user.id, context)
    if state is None or found is None:
        # Unreadable or orphaned state (the patient was erased): forget it.
        async with context.bot_data.services.database.sessions.begin() as session:
            await ConversationStateRepository(session).clear(user.id)
        await message.reply_text(texts.TEXT_OUTSIDE_A_STEP)
        return
    if message.text is None:  # a location: not what /log asks for
        await message.reply_text(texts.TAP_A_BUTTON)
        return
    await _render(context, user.id, state, flow.type_text(state, message.text, found[1]))


STEP_ROUTE = StepRoute(flow.STEP_PREFIX, answer_typed)


# --- rendering ----------------------------------------------------------------------------------


async def _render(
    context: Context,
    user_id: int,
    old: flow.LogState | None,
    outcome: flow.Outcome,
    *,
    pressed: Message | None = None,
) -> None:
    """Show the answer, record a finished entry, ask the next question and store the step."""
    bot, chat_id = context.bot, user_id
    moved_on = outcome.question is not None or outcome.state is None
    if moved_on:
        if pressed is not None and outcome.answered is not None and pressed.text:
            await quietly(
                pressed.edit_text(
                    texts.ANSWER_CHOSEN.format(question=pressed.text, answer=outcome.answered)
                )
            )
        elif old is not None and old.question_message_id is not None:
            await quietly(bot.edit_message_reply_markup(chat_id, old.question_message_id))
    if outcome.notice is not None:
        await bot.send_message(chat_id, outcome.notice)
    if outcome.state is None:
        async with context.bot_data.services.database.sessions.begin() as session:
            await ConversationStateRepository(session).clear(user_id)
        if outcome.finished is not None:
            await _record(context, user_id, outcome.finished)
        return
    if outcome.question is None:
        return
    question = outcome.question
    sent = await bot.send_message(
        chat_id, question.text, reply_markup=inline_keyboard(question.buttons)
    )
    step, data = flow.dump(replace(outcome.state, question_message_id=sent.message_id))
    async with context.bot_data.services.database.sessions.begin() as session:
        await ConversationStateRepository(session).set(user_id, step, data)


async def _record(context: Context, user_id: int, entry: flow.LogEntry) -> None:
    """Record the injection (the plan moves from its date) and say what comes next."""
    services = context.bot_data.services
    now = services.clock()
    try:
        async with services.database.sessions.begin() as session:
            patient = await PatientRepository(session).get_by_telegram_id(user_id)
            if patient is None:
                raise DoseNotOpen("the patient was erased meanwhile")
            zone = ZoneInfo(patient.settings.time_zone)
            injected_at = min(local_instant(entry.day, entry.wall, zone), now)
            recorded = await record_dose(
                session,
                patient.id,
                number=entry.number,
                injected_on=entry.day,
                injected_at=injected_at,
                site=entry.site,
                now=now,
                source=DoseSource.LOG,
                patient=patient,  # read above in this transaction
            )
    except DoseNotOpen:
        await context.bot.send_message(user_id, texts.LOG_OUT_OF_ORDER)
        return
    except DoseOutOfOrder:
        await context.bot.send_message(user_id, texts.LOG_OUT_OF_ORDER)
        return
    if not recorded.created:
        await context.bot.send_message(
            user_id, texts.DOSE_ALREADY_RECORDED.format(number=entry.number)
        )
        return
    stale = stale_dose_messages(recorded.reminders, entry.number)
    await remove_buttons(context, user_id, stale)
    await context.bot.send_message(user_id, actions.recorded_text(patient, recorded.doses, now=now))


def _state_of(conversation: ConversationState | None) -> flow.LogState | None:
    if conversation is None:
        return None
    return flow.load(conversation.step, conversation.data)


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("log", start_log, filters=private),
        CallbackQueryHandler(answer_log_button, pattern=f"^{flow.CALLBACK_PREFIX}"),
    ]
