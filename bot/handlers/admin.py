"""Admin commands: /stats, /patient (with pause/resume buttons), /overdue and /audit.

Admins are the ids in `ADMIN_IDS`. For anyone else every admin command answers exactly like
an unknown command, and every admin button like an unknown button: nothing reveals them.
Lookups and pause/resume are written to the audit log, naming internal ids only.
"""

from __future__ import annotations

import logging
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import admin_views, texts
from bot.handlers.start import answer_unknown_button, answer_unknown_command
from bot.services import Context
from scheduling.model import Patient, PatientStatus
from storage.admin_queries import gather_stats, overdue_patients, patient_details
from storage.audit import AuditLog
from storage.outbox import release_held
from storage.patients import PatientRepository
from storage.planning import set_status

log = logging.getLogger(__name__)

ADMIN_COMMANDS = [
    BotCommand("stats", "admin: figures at a glance"),
    BotCommand("patient", "admin: look up a patient by Telegram id"),
    BotCommand("overdue", "admin: patients whose dose is overdue"),
    BotCommand("audit", "admin: latest admin actions"),
    BotCommand("broadcast", "admin: a message to every patient"),
]
OVERDUE_LIMIT = 20
AUDIT_LIMIT = 15
CALLBACK_PREFIX = "admin:"
PAUSE, RESUME = "pause", "resume"


def is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data.services.settings.admin_ids


def bot_version() -> str:
    try:
        return version("kesimpta-bot")
    except PackageNotFoundError:
        return "unknown"


# --- commands -----------------------------------------------------------------------------------


async def show_stats(update: Update, context: Context) -> None:
    """Show the figures an admin checks on their phone."""
    if not is_admin(update, context) or update.effective_message is None:
        await answer_unknown_command(update, context)
        return
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions() as session:
        stats = await gather_stats(session, now=now)
    await update.effective_message.reply_text(
        admin_views.render_stats(stats, uptime=now - services.started_at, version=bot_version())
    )


async def show_patient(update: Update, context: Context) -> None:
    """Show one patient by Telegram id, with a pause or resume button; audit-logged."""
    message, user = update.effective_message, update.effective_user
    if not is_admin(update, context) or message is None or user is None:
        await answer_unknown_command(update, context)
        return
    args = context.args or []
    telegram_id = _telegram_id(args[0]) if len(args) == 1 else None
    if telegram_id is None:
        await message.reply_text(texts.ADMIN_PATIENT_USAGE)
        return
    services = context.bot_data.services
    async with services.database.sessions.begin() as session:
        details = await patient_details(session, telegram_id)
        await AuditLog(session).append(
            user.id,
            "patient_lookup",
            target=None if details is None else f"patient:{details.patient.id}",
            details={"found": details is not None},
            at=services.clock(),
        )
    if details is None:
        await message.reply_text(texts.ADMIN_PATIENT_UNKNOWN.format(telegram_id=telegram_id))
        return
    await message.reply_text(
        admin_views.render_patient(details), reply_markup=_status_keyboard(details.patient)
    )


async def show_overdue(update: Update, context: Context) -> None:
    """List the patients whose dose is overdue, most overdue first."""
    if not is_admin(update, context) or update.effective_message is None:
        await answer_unknown_command(update, context)
        return
    services = context.bot_data.services
    now = services.clock()
    async with services.database.sessions() as session:
        overdue, total = await overdue_patients(session, now=now, limit=OVERDUE_LIMIT)
    await update.effective_message.reply_text(admin_views.render_overdue(overdue, total, now=now))


async def show_audit(update: Update, context: Context) -> None:
    """Show the latest admin actions."""
    if not is_admin(update, context) or update.effective_message is None:
        await answer_unknown_command(update, context)
        return
    async with context.bot_data.services.database.sessions() as session:
        entries = await AuditLog(session).latest(AUDIT_LIMIT)
    await update.effective_message.reply_text(admin_views.render_audit(entries))


def _telegram_id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 20 else None


def _status_keyboard(patient: Patient) -> InlineKeyboardMarkup | None:
    if patient.status is PatientStatus.PAUSED:
        action, label = RESUME, texts.ADMIN_BUTTON_RESUME
    elif patient.status in (PatientStatus.ACTIVE, PatientStatus.UNREACHABLE):
        action, label = PAUSE, texts.ADMIN_BUTTON_PAUSE
    else:
        return None  # still onboarding: nothing to pause
    button = InlineKeyboardButton(label, callback_data=f"{CALLBACK_PREFIX}{action}:{patient.id}")
    return InlineKeyboardMarkup([[button]])


# --- buttons ------------------------------------------------------------------------------------


async def change_patient_status(update: Update, context: Context) -> None:
    """Pause or resume a patient's reminders from /patient's button; audit-logged."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not is_admin(update, context):
        await answer_unknown_button(update, context)
        return
    action, patient_id = _parse(query.data)
    if action is None or patient_id is None or not isinstance(query.message, Message):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    services = context.bot_data.services
    async with services.database.sessions.begin() as session:
        changed = await _apply(session, user.id, action, patient_id, now=services.clock())
    if not changed:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    await query.answer()
    try:
        await query.message.edit_reply_markup(None)
    except BadRequest:
        log.debug("could not remove the admin buttons", exc_info=True)
    done = texts.ADMIN_PAUSED if action == PAUSE else texts.ADMIN_RESUMED
    await query.message.reply_text(done.format(patient_id=patient_id))


def _parse(data: str | None) -> tuple[str | None, int | None]:
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[1] not in (PAUSE, RESUME) or not parts[2].isdigit():
        return None, None
    return parts[1], int(parts[2])


async def _apply(
    session: AsyncSession, admin_id: int, action: str, patient_id: int, *, now: datetime
) -> bool:
    """Pause (active or unreachable) or resume (paused) one patient, and audit it."""
    patient = await PatientRepository(session).get(patient_id)
    if patient is None:
        return False
    if action == PAUSE:
        if patient.status not in (PatientStatus.ACTIVE, PatientStatus.UNREACHABLE):
            return False
        if patient.status is PatientStatus.UNREACHABLE:
            await release_held(session, patient.id)  # then removed by the replan
        await set_status(session, patient.id, PatientStatus.PAUSED, now=now)
    else:
        if patient.status is not PatientStatus.PAUSED:
            return False
        await set_status(session, patient.id, PatientStatus.ACTIVE, now=now)
    await AuditLog(session).append(
        admin_id,
        f"patient_{action}",
        target=f"patient:{patient.id}",
        details={"from": patient.status.value},
        at=now,
    )
    return True


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("stats", show_stats, filters=private),
        CommandHandler("patient", show_patient, filters=private),
        CommandHandler("overdue", show_overdue, filters=private),
        CommandHandler("audit", show_audit, filters=private),
        CallbackQueryHandler(change_patient_status, pattern=f"^{CALLBACK_PREFIX}"),
    ]
