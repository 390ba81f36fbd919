"""The check-in after a dose in Telegram: its buttons, the reaction follow-up, and /reaction.

Thin on purpose: a press is parsed by `bot.checkin_flow`, checked and recorded (with a replan)
by `storage.check_in_service` in one transaction, and rendered here. "Allergic warning signs"
sends the urgent message before anything else, even before the press is checked.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import checkin_flow as flow
from bot import texts
from bot.handlers.common import (
    button_handler,
    is_own_private_message,
    quietly,
    show_answer,
)
from bot.keyboards import inline_keyboard
from bot.services import Context
from scheduling.model import CheckIn, Patient, PatientStatus, ReminderStatus
from storage.check_in_service import (
    CHECK_IN_KINDS,
    FromCheckIn,
    answer_follow_up,
    finish_details,
    group_of,
    in_progress,
    start_answer,
)
from storage.check_ins import ALL_GOOD, ALLERGIC
from storage.doses import DoseRepository
from storage.patients import PatientRepository
from storage.reminders import ReminderRepository

log = logging.getLogger(__name__)


# --- buttons ------------------------------------------------------------------------------------


@button_handler
async def answer_check_in_button(query: CallbackQuery, context: Context) -> None:
    """Apply a check-in or follow-up button, or say it is no longer valid and change nothing."""
    press = flow.parse(query.data)
    message = query.message
    user_id = query.from_user.id
    # Only buttons in this user's own private chat count; ids are checked in storage.
    if press is None or not is_own_private_message(message, user_id):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    allergic = isinstance(press, flow.Choose) and press.choice == ALLERGIC
    if allergic:
        # Safety first: the urgent advice goes out before anything is checked or stored.
        await context.bot.send_message(user_id, texts.CHECKIN_URGENT)
    patient = await _patient(context, user_id)
    if patient is None:
        await query.answer(None if allergic else texts.BUTTON_NO_LONGER_VALID)
        return
    match press:
        case flow.Choose():
            await _choose(query, message, context, patient, press)
        case flow.Toggle() | flow.Done():
            await _pick(query, message, context, patient, press)
        case flow.Rate():
            await _rate(query, message, context, patient, press)
        case flow.FollowUp():
            await _follow_up(query, message, context, patient, press)


async def _patient(context: Context, user_id: int) -> Patient | None:
    async with context.bot_data.services.database.sessions() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user_id)
    if patient is None or patient.status is PatientStatus.ONBOARDING:
        return None
    return patient


async def _choose(
    query: CallbackQuery, message: Message, context: Context, patient: Patient, press: flow.Choose
) -> None:
    """All good, skin, flu-like, allergic: recorded at once; skin and flu-like ask on."""
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions.begin() as session:
        check_in = await start_answer(session, patient.id, press.source, press.choice, now=now)
        others = (
            []
            if check_in is None
            else await _other_check_in_messages(session, patient.id, check_in, message.message_id)
        )
    allergic = press.choice == ALLERGIC
    if allergic and check_in is not None and services.settings.alert_urgent_reactions:
        # Opt-in (the welcome says so); the internal id only, no health details.
        await services.alerter.alert(texts.ALERT_URGENT_REACTION.format(patient_id=patient.id))
    if check_in is None:
        # An allergic press has had its answer: the urgent message.
        await query.answer(None if allergic else texts.BUTTON_NO_LONGER_VALID)
        return
    await query.answer()
    if allergic and isinstance(press.source, FromCheckIn):
        return  # pressed under a question still being answered: that question stays
    await show_answer(message, flow.CHOICE_LABELS[press.choice])
    for message_id in others:  # the check-in and its nudge: one answer is enough
        await quietly(context.bot.edit_message_reply_markup(message.chat.id, message_id))
    if press.choice == ALL_GOOD:
        await message.reply_text(texts.CHECKIN_ALL_GOOD)
    elif not allergic:
        screen = flow.symptoms_question(press.choice, check_in.id, 0)
        await message.reply_text(screen.text, reply_markup=inline_keyboard(screen.keyboard))


async def _pick(
    query: CallbackQuery,
    message: Message,
    context: Context,
    patient: Patient,
    press: flow.Toggle | flow.Done,
) -> None:
    """Toggle a symptom (the keyboard shows the ticks), or Done: then how bad."""
    async with context.bot_data.services.database.sessions() as session:
        check_in = await in_progress(session, patient.id, press.check_in_id)
    group = _group(check_in, press.mask)
    if check_in is None or group is None:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    if isinstance(press, flow.Toggle):
        await query.answer()
        screen = flow.symptoms_question(group, check_in.id, press.mask)
        await quietly(message.edit_reply_markup(inline_keyboard(screen.keyboard)))
        return
    if press.mask == 0:
        await query.answer(texts.CHECKIN_PICK_ONE)
        return
    await query.answer()
    await show_answer(message, flow.symptoms_label(group, press.mask))
    screen = flow.severity_question(check_in.id, press.mask)
    await message.reply_text(screen.text, reply_markup=inline_keyboard(screen.keyboard))


async def _rate(
    query: CallbackQuery, message: Message, context: Context, patient: Patient, press: flow.Rate
) -> None:
    """How bad: the details are recorded, once, and the label-based note follows."""
    services = context.bot_data.services
    async with services.database.sessions.begin() as session:
        current = await in_progress(session, patient.id, press.check_in_id)
        group = _group(current, press.mask)
        check_in = None
        if group is not None and press.mask != 0:
            check_in = await finish_details(
                session,
                patient.id,
                press.check_in_id,
                symptoms=flow.symptoms_of(group, press.mask),
                severity=press.severity,
                now=services.clock(),
            )
    if check_in is None or group is None:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    await query.answer()
    await show_answer(message, texts.CHECKIN_SEVERITIES[press.severity])
    screen = flow.note(group, press.severity, check_in.id)
    await message.reply_text(screen.text, reply_markup=inline_keyboard(screen.keyboard))


def _group(check_in: CheckIn | None, mask: int) -> str | None:
    """The check-in's reaction group, if the mask fits it."""
    group = None if check_in is None else group_of(check_in)
    return group if group is not None and flow.valid_mask(group, mask) else None


async def _follow_up(
    query: CallbackQuery, message: Message, context: Context, patient: Patient, press: flow.FollowUp
) -> None:
    """ "Are the symptoms gone?": noted once; still there → contact the MS team."""
    services = context.bot_data.services
    async with services.database.sessions.begin() as session:
        answered = await answer_follow_up(
            session, patient.id, press.reminder_id, gone=press.gone, now=services.clock()
        )
    if answered is None:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    await query.answer()
    label = texts.BUTTON_SYMPTOMS_GONE if press.gone else texts.BUTTON_SYMPTOMS_STILL_THERE
    await show_answer(message, label)
    await message.reply_text(texts.REACTION_GONE if press.gone else texts.REACTION_STILL_THERE)


async def _other_check_in_messages(
    session: AsyncSession, patient_id: int, check_in: CheckIn, pressed_message_id: int
) -> list[int]:
    """Messages of the dose's check-in and nudge other than the one pressed."""
    if check_in.dose_number is None:
        return []
    sent = await ReminderRepository(session).list_about_dose(
        patient_id, check_in.dose_number, ReminderStatus.SENT
    )
    return [
        reminder.telegram_message_id
        for reminder in sent
        if reminder.kind in CHECK_IN_KINDS
        and reminder.telegram_message_id is not None
        and reminder.telegram_message_id != pressed_message_id
    ]


# --- /reaction ----------------------------------------------------------------------------------


async def report_reaction(update: Update, context: Context) -> None:
    """Report a reaction at any time: the same questions, about the latest dose."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.bot_data.services.database.sessions() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user.id)
        set_up = patient is not None and patient.status is not PatientStatus.ONBOARDING
        doses = (
            await DoseRepository(session).list_for_patient(patient.id)
            if patient is not None and set_up
            else []
        )
    if not set_up:
        await message.reply_text(texts.NOT_SET_UP)
        return
    if not doses:
        await message.reply_text(texts.REACTION_NO_DOSE)
        return
    screen = flow.reaction_menu(doses[-1].number)
    await message.reply_text(screen.text, reply_markup=inline_keyboard(screen.keyboard))


# --- rendering ----------------------------------------------------------------------------------


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("reaction", report_reaction, filters=private),
        CallbackQueryHandler(
            answer_check_in_button, pattern=f"^({flow.CHECK_IN_PREFIX}|{flow.FOLLOW_UP_PREFIX})"
        ),
    ]
