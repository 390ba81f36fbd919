"""/pause, /resume, /delete, /help and /about: the patient's account, and what the bot is.

Confirmations carry the patient's id (`acct:del:yes:42`) and count only while the message
still shows the question and the id is the presser's own. /resume asks whether the dose due
was injected while paused (a day typed or tapped), so its step waits in the conversation store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import texts
from bot.handlers.common import (
    button_handler,
    is_own_private_message,
    quietly,
    show_answer,
)
from bot.handlers.settings import describe_next_dose, not_set_up_reply
from bot.handlers.typed_input import StepRoute
from bot.parsing import DateAmbiguous, DateOk, parse_date
from bot.services import Context
from scheduling.model import DoseRecord, DoseSource, Patient, PatientStatus, PlannedDose
from scheduling.wallclock import local_instant
from storage.conversations import ConversationState, ConversationStateRepository
from storage.doses import DoseRepository
from storage.outbox import release_held
from storage.patients import PatientRepository
from storage.planning import DoseNotOpen, DoseOutOfOrder, open_dose, record_dose, set_status

STEP_PREFIX = "account"
RESUME_STEP = f"{STEP_PREFIX}:resume"
CALLBACK_PREFIX = "acct:"
RESUME_MAX_DAYS_BACK = 365
_RESUME_OFFSETS = {"0": 0, "-1": -1}


# --- /help and /about ---------------------------------------------------------------------------


async def show_help(update: Update, context: Context) -> None:
    """List the commands."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.HELP)


async def show_about(update: Update, context: Context) -> None:
    """Say what the bot is, where its facts come from, and that it gives no medical advice."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.ABOUT)


# --- /pause -------------------------------------------------------------------------------------


async def pause(update: Update, context: Context) -> None:
    """Ask before pausing every reminder."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    patient = await _patient(context, user.id)
    pointer = not_set_up_reply(patient)
    if patient is None or pointer is not None:
        await message.reply_text(pointer or texts.NOT_SET_UP)
        return
    if patient.status is PatientStatus.PAUSED:
        await message.reply_text(texts.ALREADY_PAUSED)
        return
    await message.reply_text(
        texts.PAUSE_CONFIRM,
        reply_markup=_confirm_keyboard(
            "pause", patient.id, texts.BUTTON_PAUSE_CONFIRM, texts.BUTTON_PAUSE_CANCEL
        ),
    )


async def _confirm_pause(
    query: CallbackQuery, message: Message, context: Context, patient: Patient, yes: bool
) -> None:
    if patient.status in (PatientStatus.PAUSED, PatientStatus.ONBOARDING):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    await query.answer()
    if yes:
        now = context.bot_data.services.clock()
        async with context.bot_data.services.database.sessions.begin() as session:
            if patient.status is PatientStatus.UNREACHABLE:
                await release_held(session, patient.id)  # then removed by the replan
            await set_status(session, patient.id, PatientStatus.PAUSED, now=now)
    label = texts.BUTTON_PAUSE_CONFIRM if yes else texts.BUTTON_PAUSE_CANCEL
    await show_answer(message, label)
    await message.reply_text(texts.PAUSED if yes else texts.PAUSE_CANCELLED)


# --- /resume ------------------------------------------------------------------------------------


async def resume(update: Update, context: Context) -> None:
    """Ask whether the dose due was injected while paused; reminders on again after the answer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user.id)
        due = None if patient is None else await open_dose(session, patient.id)
        doses = (
            [] if patient is None else await DoseRepository(session).list_for_patient(patient.id)
        )
    pointer = not_set_up_reply(patient)
    if patient is None or pointer is not None:
        await message.reply_text(pointer or texts.NOT_SET_UP)
        return
    if patient.status is PatientStatus.ACTIVE:
        await message.reply_text(
            texts.NOT_PAUSED.format(next_dose=describe_next_dose(patient, doses, now=now))
        )
        return
    if patient.status is PatientStatus.UNREACHABLE or due is None:
        await message.reply_text(await _resume(context, patient, None, due, now=now))
        return
    today = _today(patient, now)
    last = _last_day(doses)
    buttons = [
        [InlineKeyboardButton(label, callback_data=f"{CALLBACK_PREFIX}res:day:{offset}")]
        for offset, label in (
            ("0", texts.BUTTON_RESUME_TODAY),
            ("-1", texts.BUTTON_RESUME_YESTERDAY),
        )
        if _day_problem(today + timedelta(days=_RESUME_OFFSETS[offset]), today, last) is None
    ]
    buttons.append([InlineKeyboardButton(texts.BUTTON_KEEP_PLAN, callback_data="acct:res:keep")])
    asked = await message.reply_text(
        texts.RESUME_ASK.format(number=due.number, day=texts.day_label(due.due_on, today=today)),
        reply_markup=InlineKeyboardMarkup(buttons),
    )
    async with services.database.sessions.begin() as session:
        await ConversationStateRepository(session).set(
            user.id, RESUME_STEP, {"message_id": asked.message_id, "dose": due.number}
        )


async def _press_resume(
    query: CallbackQuery, message: Message, context: Context, patient: Patient, value: str
) -> None:
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions() as session:
        conversation = await ConversationStateRepository(session).get(patient.telegram_user_id)
        due = await open_dose(session, patient.id)
        doses = await DoseRepository(session).list_for_patient(patient.id)
    live = _live_resume(conversation, patient, due)
    day: date | None = None
    if value.startswith("day:") and value[4:] in _RESUME_OFFSETS:
        day = _today(patient, now) + timedelta(days=_RESUME_OFFSETS[value[4:]])
    elif value != "keep":
        live = None
    if live is None or live != message.message_id:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    today = _today(patient, now)
    problem = None if day is None else _day_problem(day, today, _last_day(doses))
    if problem is not None:
        await query.answer(problem[:200])
        return
    await query.answer()
    reply = await _resume(context, patient, day, due, now=now)
    label = texts.BUTTON_KEEP_PLAN if day is None else texts.day_label(day, today=today)
    await show_answer(message, label)
    await message.reply_text(reply)


async def answer_typed(update: Update, context: Context, conversation: ConversationState) -> None:
    """A date (or "keep") typed while /resume waits for one."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions() as session:
        patient = await PatientRepository(session).get_by_telegram_id(user.id)
        due = None if patient is None else await open_dose(session, patient.id)
        doses = (
            [] if patient is None else await DoseRepository(session).list_for_patient(patient.id)
        )
    live = None if patient is None else _live_resume(conversation, patient, due)
    if patient is None or live is None:
        async with services.database.sessions.begin() as session:
            await ConversationStateRepository(session).clear(user.id)
        await message.reply_text(texts.NOT_SET_UP if patient is None else texts.TEXT_OUTSIDE_A_STEP)
        return
    if message.location is not None:
        await message.reply_text(texts.LOCATION_NOT_NEEDED)
        return
    text = message.text or ""
    today = _today(patient, now)
    day: date | None = None
    if _words(text) not in _KEEP_WORDS:
        parsed = parse_date(text, today=today, prefer="past")
        if isinstance(parsed, DateAmbiguous):
            first, second = (texts.day_label(d, today=today) for d in parsed.candidates)
            await message.reply_text(texts.RESUME_DATE_AMBIGUOUS.format(first=first, second=second))
            return
        if not isinstance(parsed, DateOk):
            impossible = parsed.reason == "impossible date"
            await message.reply_text(
                texts.DATE_IMPOSSIBLE if impossible else texts.DATE_NOT_UNDERSTOOD
            )
            return
        day = parsed.value
        problem = _day_problem(day, today, _last_day(doses))
        if problem is not None:
            await message.reply_text(problem)
            return
    reply = await _resume(context, patient, day, due, now=now)
    await quietly(context.bot.edit_message_reply_markup(patient.chat_id, live))
    await message.reply_text(reply)


STEP_ROUTE = StepRoute(STEP_PREFIX, answer_typed)

_KEEP_WORDS = frozenset({"keep", "keep the plan", "keep plan", "no", "not yet"})


async def _resume(
    context: Context, patient: Patient, day: date | None, due: PlannedDose | None, *, now: datetime
) -> str:
    """Reminders on again; with `day`, the dose due is first recorded as injected that day."""
    try:
        async with context.bot_data.services.database.sessions.begin() as session:
            if patient.status is PatientStatus.UNREACHABLE:
                await release_held(session, patient.id)
            if day is not None and due is not None:
                await record_dose(
                    session,
                    patient.id,
                    number=due.number,
                    injected_on=day,
                    injected_at=_injected_at(patient, day, now),
                    now=now,
                    source=DoseSource.LOG,
                )
            resumed = await set_status(session, patient.id, PatientStatus.ACTIVE, now=now)
            doses = await DoseRepository(session).list_for_patient(patient.id)
            await _clear_resume_step(session, patient.telegram_user_id)
    except (DoseNotOpen, DoseOutOfOrder):
        return texts.BUTTON_NO_LONGER_VALID  # recorded meanwhile (/log): nothing changed
    next_dose = describe_next_dose(resumed, doses, now=now)
    if day is None or due is None:
        return texts.RESUMED.format(next_dose=next_dose)
    return texts.RESUMED_WITH_DOSE.format(
        number=due.number, day=texts.day_label(day, today=_today(patient, now)), next_dose=next_dose
    )


async def _clear_resume_step(session: AsyncSession, telegram_user_id: int) -> None:
    conversations = ConversationStateRepository(session)
    state = await conversations.get(telegram_user_id)
    if state is not None and state.step == RESUME_STEP:
        await conversations.clear(telegram_user_id)


def _live_resume(
    conversation: ConversationState | None, patient: Patient, due: PlannedDose | None
) -> int | None:
    """The id of the live /resume question, if the patient is still paused at the same dose."""
    if (
        conversation is None
        or conversation.step != RESUME_STEP
        or patient.status is not PatientStatus.PAUSED
        or due is None
        or conversation.data.get("dose") != due.number
    ):
        return None
    message_id = conversation.data.get("message_id")
    return message_id if isinstance(message_id, int) else None


def _day_problem(day: date, today: date, last: date | None) -> str | None:
    """Why `day` cannot be the day the dose due was injected; None if it can."""
    if day > today:
        return texts.DATE_IN_FUTURE
    if day < today - timedelta(days=RESUME_MAX_DAYS_BACK):
        return texts.DATE_TOO_FAR_BACK.format(days=RESUME_MAX_DAYS_BACK)
    if last is not None and day <= last:
        return texts.RESUME_ALREADY_RECORDED.format(day=texts.day_label(last, today=today))
    return None


def _injected_at(patient: Patient, day: date, now: datetime) -> datetime:
    """Today: now. An earlier day: the reminder time that day (the hour is not asked)."""
    if day == _today(patient, now):
        return now
    zone = ZoneInfo(patient.settings.time_zone)
    return min(local_instant(day, patient.settings.reminder_time, zone), now)


def _today(patient: Patient, now: datetime) -> date:
    return now.astimezone(ZoneInfo(patient.settings.time_zone)).date()


def _last_day(doses: Sequence[DoseRecord]) -> date | None:
    return max((dose.injected_on for dose in doses), default=None)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text[:200].casefold()).split())


# --- /delete ------------------------------------------------------------------------------------


async def delete(update: Update, context: Context) -> None:
    """Say what will be erased and ask to confirm."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    patient = await _patient(context, user.id)
    if patient is None:
        await message.reply_text(texts.NOTHING_STORED)
        return
    await message.reply_text(
        texts.DELETE_CONFIRM,
        reply_markup=_confirm_keyboard(
            "del", patient.id, texts.BUTTON_DELETE_CONFIRM, texts.BUTTON_DELETE_CANCEL
        ),
    )


async def _confirm_delete(
    query: CallbackQuery, message: Message, context: Context, patient: Patient, yes: bool
) -> None:
    await query.answer()
    if yes:
        async with context.bot_data.services.database.sessions.begin() as session:
            await PatientRepository(session).erase(patient.id)
        if context.user_data is not None:
            context.user_data.clear()
    label = texts.BUTTON_DELETE_CONFIRM if yes else texts.BUTTON_DELETE_CANCEL
    await show_answer(message, label)
    await message.reply_text(texts.DELETED if yes else texts.DELETE_CANCELLED)


# --- buttons ------------------------------------------------------------------------------------

_QUESTIONS = {"pause": texts.PAUSE_CONFIRM, "del": texts.DELETE_CONFIRM}


@button_handler
async def answer_button(query: CallbackQuery, context: Context) -> None:
    """Apply a confirmation or /resume button that is still live; anything else changes nothing."""
    message = query.message
    user_id = query.from_user.id
    data = query.data or ""
    patient = await _patient(context, user_id)
    if not is_own_private_message(message, user_id) or patient is None:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    assert isinstance(message, Message)
    confirmation = re.fullmatch(r"acct:(pause|del):(yes|no):([0-9]{1,18})", data)
    if confirmation is not None:
        kind, answer, patient_id = confirmation.groups()
        if int(patient_id) != patient.id or message.text != _QUESTIONS[kind]:
            await query.answer(texts.BUTTON_NO_LONGER_VALID)
        elif kind == "pause":
            await _confirm_pause(query, message, context, patient, answer == "yes")
        else:
            await _confirm_delete(query, message, context, patient, answer == "yes")
        return
    if data.startswith(f"{CALLBACK_PREFIX}res:"):
        await _press_resume(query, message, context, patient, data[len(CALLBACK_PREFIX) + 4 :])
        return
    await query.answer(texts.BUTTON_NO_LONGER_VALID)


def _confirm_keyboard(kind: str, patient_id: int, yes: str, no: str) -> InlineKeyboardMarkup:
    prefix = f"{CALLBACK_PREFIX}{kind}"
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(yes, callback_data=f"{prefix}:yes:{patient_id}")],
            [InlineKeyboardButton(no, callback_data=f"{prefix}:no:{patient_id}")],
        ]
    )


async def _patient(context: Context, telegram_user_id: int) -> Patient | None:
    async with context.bot_data.services.database.sessions() as session:
        return await PatientRepository(session).get_by_telegram_id(telegram_user_id)


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("help", show_help, filters=private),
        CommandHandler("about", show_about, filters=private),
        CommandHandler("pause", pause, filters=private),
        CommandHandler("resume", resume, filters=private),
        CommandHandler("delete", delete, filters=private),
        CallbackQueryHandler(answer_button, pattern=f"^{CALLBACK_PREFIX}"),
    ]
