"""The buttons under a dose reminder (injected, elsewhere, snooze, not today), /next, /history.

Thin on purpose: a press is checked (the reminder must be the presser's, its dose still the one
due), applied through `storage.planning` in one transaction, and rendered with
`bot.dose_actions`. Anything else is answered "no longer valid" and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import CallbackQuery, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import dose_actions as actions
from bot import texts
from bot.checkin_flow import with_check_ins
from bot.handlers.common import button_handler, is_own_private_message, quietly
from bot.keyboards import inline_keyboard
from bot.next_dose import next_dose_text
from bot.reminder_messages import dose_keyboard
from bot.services import Context
from scheduling.model import (
    DoseRecord,
    DoseSource,
    InjectionSite,
    Patient,
    PatientStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from storage.check_ins import CheckInRepository
from storage.doses import DoseRepository
from storage.greenlets import in_one_greenlet
from storage.patients import PatientRepository
from storage.planning import (
    DoseNotOpen,
    DoseOutOfOrder,
    DoseRecorded,
    open_dose_of,
    record_dose,
    snooze,
)

log = logging.getLogger(__name__)

# Reminders whose messages carry the dose buttons (bot/reminder_messages.py).
_BUTTON_KINDS = frozenset({ReminderKind.DOSE, ReminderKind.FOLLOW_UP})


@dataclass(frozen=True, slots=True)
class _Press:
    """A press that passed the checks: the presser's own reminder, for the dose still due."""

    patient: Patient
    reminder: Reminder
    dose_number: int
    doses: list[DoseRecord]


# --- buttons ------------------------------------------------------------------------------------


@button_handler
async def answer_dose_button(query: CallbackQuery, context: Context) -> None:
    """Apply a button under a dose reminder, or say it is no longer valid and change nothing."""
    button = actions.parse_button(query.data)
    message = query.message
    user_id = query.from_user.id
    # Only buttons in this user's own private chat count; the reminder id is checked below.
    if button is None or not is_own_private_message(message, user_id):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    if button.action in (actions.DONE, actions.SITE):
        await _record(query, message, context, button)
        return
    async with context.bot_data.services.database.sessions() as session:
        press = await _check(session, user_id, button.reminder_id, require_open=True)
    if press is None:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    if button.action == actions.ELSEWHERE:
        await query.answer(texts.ASK_WHERE_INJECTED)
        keyboard = actions.elsewhere_keyboard(press.reminder.id, press.patient)
        await quietly(message.edit_reply_markup(inline_keyboard(keyboard)))
    elif button.action == actions.SNOOZE:
        await query.answer(texts.ASK_SNOOZE_FOR)
        keyboard = actions.snooze_keyboard(press.reminder.id)
        await quietly(message.edit_reply_markup(inline_keyboard(keyboard)))
    elif button.action == actions.BACK:
        await query.answer()
        suggested = actions.suggested_site(press.patient, press.doses)
        keyboard = dose_keyboard(press.reminder.id, suggested)
        await quietly(message.edit_reply_markup(inline_keyboard(keyboard)))
    else:
        await _snooze(query, message, context, press, button)


async def _check(
    session: AsyncSession, user_id: int, reminder_id: int, *, require_open: bool
) -> _Press | None:
    """The press if the reminder is the presser's dose reminder (and its dose still due)."""
    # Never trust an id from the client: the reminder is read only if it is the presser's.
    found = await PatientRepository(session).get_by_telegram_id_with_reminder(user_id, reminder_id)
    if found is None:
        return None
    patient, reminder = found
    if (
        reminder is None
        or reminder.patient_id != patient.id
        or reminder.kind not in _BUTTON_KINDS
        or reminder.dose_number is None
        or patient.status is PatientStatus.ONBOARDING
    ):
        return None
    doses = await DoseRepository(session).list_for_patient(patient.id)
    if require_open:
        due = open_dose_of(patient, doses)
        if due is None or due.number != reminder.dose_number:
            return None
    return _Press(patient, reminder, reminder.dose_number, doses)


async def _record(
    query: CallbackQuery, message: Message, context: Context, button: actions.DoseButton
) -> None:
    """Injected in the suggested site, or in the zone picked: record it, once."""
    services = context.bot_data.services
    now = services.clock()
    try:
        # The busiest transaction of the bot: one greenlet for all its statements.
        press, recorded = await in_one_greenlet(
            _store_press(services.database.sessions, query.from_user.id, button, message, now)
        )
    except (DoseNotOpen, DoseOutOfOrder):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    settings = press.patient.settings
    done = actions.injected_text(recorded.dose, now=now, settings=settings)
    if not recorded.created:
        await query.answer(texts.ALREADY_RECORDED)
        await _show_decision(message, done)
        return
    await query.answer()
    # One message tells it all, where the patient just tapped: the reminder shows what was
    # recorded and what comes next (a late dose: how the plan moved).
    what_next = actions.what_next_text(press.patient, recorded.doses, now=now)
    shown = await _show_decision(message, f"{done}\n{what_next}")
    stale = stale_dose_messages(
        recorded.reminders, press.dose_number, pressed_message_id=message.message_id
    )
    await remove_buttons(context, message.chat.id, stale)
    if not shown:
        # The reminder could not show it (no text, or the edit failed): never leave the
        # patient without the confirmation and the next date.
        await message.reply_text(texts.RECORDED.format(what_next=what_next))


async def _store_press(
    sessions: async_sessionmaker[AsyncSession],
    user_id: int,
    button: actions.DoseButton,
    message: Message,
    now: datetime,
) -> tuple[_Press, DoseRecorded]:
    """Record the press's dose in one transaction; `DoseNotOpen` if it records nothing."""
    async with sessions.begin() as session:
        press = await _check(session, user_id, button.reminder_id, require_open=False)
        if press is None:
            raise DoseNotOpen("not the presser's dose reminder")
        recorded = await record_dose(
            session,
            press.patient.id,
            number=press.dose_number,
            site=_site_for(press, button, message),
            injected_at=now,
            now=now,
            source=DoseSource.REMINDER,
            # Read by `_check` in this transaction: a press reads each fact once.
            patient=press.patient,
            doses=press.doses,
        )
    return press, recorded


def _site_for(press: _Press, button: actions.DoseButton, message: Message) -> InjectionSite | None:
    """The zone to record; `DoseNotOpen` for a zone this patient is never offered."""
    if button.action == actions.DONE:
        # The site the button showed (settings may have changed since it was sent), if it is
        # one this patient may use at all; else the suggestion from the doses before this one.
        shown = actions.site_from_label(_pressed_label(message, button))
        if shown is not None and shown in actions.zones_for(press.patient):
            return shown
        before = [dose for dose in press.doses if dose.number < press.dose_number]
        return actions.suggested_site(press.patient, before)
    allowed = actions.patient_sites(press.patient)
    site = next((site for site in allowed if site.value == button.argument), None)
    if site is None:
        raise DoseNotOpen("that zone is not offered to this patient")
    return site


def _pressed_label(message: Message, button: actions.DoseButton) -> str | None:
    markup = message.reply_markup
    if markup is None:
        return None
    data = f"{actions.CALLBACK_PREFIX}{button.action}:{button.reminder_id}"
    for row in markup.inline_keyboard:
        for shown in row:
            if shown.callback_data == data:
                return shown.text
    return None


async def _snooze(
    query: CallbackQuery,
    message: Message,
    context: Context,
    press: _Press,
    button: actions.DoseButton,
) -> None:
    """Snooze for a while, or "not today": hold the nags until then, then remind again."""
    services = context.bot_data.services
    now = services.clock()
    settings = press.patient.settings
    if press.patient.status is not PatientStatus.ACTIVE:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)  # paused: no reminders to move
        return
    if button.action == actions.NOT_TODAY:
        until = actions.not_today_until(now=now, settings=settings)
        decision = texts.DONE_NOT_TODAY
    else:
        assert button.argument is not None  # parse_button guarantees it for snooze choices
        until = actions.snooze_until(button.argument, now=now, settings=settings)
        decision = texts.DONE_SNOOZED
    async with services.database.sessions.begin() as session:
        await snooze(session, press.patient.id, until=until, now=now)
    shown = decision.format(when=actions.when_text(until, now=now, settings=settings))
    await query.answer(shown)
    await _show_decision(message, shown)


def stale_dose_messages(
    reminders: Iterable[Reminder], number: int, *, pressed_message_id: int | None = None
) -> list[int]:
    """Messages of the sent reminders for dose `number`, whose buttons are stale once it is
    recorded: all of them (/log), or all but the one pressed."""
    return [
        reminder.telegram_message_id
        for reminder in reminders
        if reminder.status is ReminderStatus.SENT
        and reminder.kind in _BUTTON_KINDS
        and reminder.dose_number == number
        and reminder.telegram_message_id is not None
        and reminder.telegram_message_id != pressed_message_id
    ]


async def remove_buttons(context: Context, chat_id: int, message_ids: list[int]) -> None:
    """Take the buttons off older reminders of a recorded dose (no stale buttons left)."""
    for message_id in message_ids:
        await quietly(context.bot.edit_message_reply_markup(chat_id, message_id))


async def _show_decision(message: Message, decision: str) -> bool:
    """The reminder keeps its text, shows what was decided, and loses its buttons; whether it
    shows the decision."""
    if not message.text:
        await quietly(message.edit_reply_markup(None))
        return False
    return await quietly(
        message.edit_text(texts.ANSWER_CHOSEN.format(question=message.text, answer=decision))
    )


# --- /next and /history -------------------------------------------------------------------------


async def _set_up_patient(session: AsyncSession, user_id: int) -> Patient | None:
    patient = await PatientRepository(session).get_by_telegram_id(user_id)
    if patient is None or patient.status is PatientStatus.ONBOARDING:
        return None
    return patient


async def show_next(update: Update, context: Context) -> None:
    """The next dose: number, weekday, date, time, days to go (or how overdue), site."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    async with services.database.sessions() as session:
        patient = await _set_up_patient(session, user.id)
        doses = (
            [] if patient is None else await DoseRepository(session).list_for_patient(patient.id)
        )
    if patient is None:
        await message.reply_text(texts.NOT_SET_UP)
        return
    await message.reply_text(next_dose_text(patient, doses, now=services.clock()))


async def show_history(update: Update, context: Context) -> None:
    """The recent doses: date, on time or how late or early, site."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    async with services.database.sessions() as session:
        patient = await _set_up_patient(session, user.id)
        doses = (
            [] if patient is None else await DoseRepository(session).list_for_patient(patient.id)
        )
        check_ins = (
            [] if patient is None else await CheckInRepository(session).list_for_patient(patient.id)
        )
    if patient is None:
        await message.reply_text(texts.NOT_SET_UP)
        return
    now: datetime = services.clock()
    history = actions.history_text(doses, now=now, settings=patient.settings)
    await message.reply_text(with_check_ins(history, check_ins))  # reactions beside each dose


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("next", show_next, filters=private),
        CommandHandler("history", show_history, filters=private),
        CallbackQueryHandler(answer_dose_button, pattern=f"^{actions.CALLBACK_PREFIX}"),
    ]
