"""Delivering a reminder through Telegram, and turning Telegram's errors into outcomes."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.keyboards import inline_keyboard
from bot.reminder_messages import DOSE_KINDS, ObsoleteReminder, ReminderFacts, render
from scheduling.model import Reminder
from scheduling.ports import (
    Clock,
    PermanentFailure,
    RecipientUnreachable,
    ReminderObsolete,
    RetryLater,
    TransientFailure,
)
from scheduling.regimen import next_dose
from scheduling.sites import suggest_site
from storage.broadcasts import BroadcastRepository
from storage.check_ins import CheckInRepository, reaction_reported
from storage.doses import DoseRepository
from storage.patients import PatientRepository
from storage.planning import course_of

log = logging.getLogger(__name__)


def _retry_after(error: RetryAfter) -> timedelta:
    # PTB 22 gives seconds as an int, or a timedelta with PTB_TIMEDELTA set.
    value = error.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


async def load_facts(
    session: AsyncSession, reminder: Reminder, clock: Clock
) -> tuple[int, ReminderFacts]:
    """The patient's chat and the facts the reminder's message is rendered from."""
    patient = await PatientRepository(session).get(reminder.patient_id)
    if patient is None:
        raise ReminderObsolete("the patient was erased")
    doses = await DoseRepository(session).list_for_patient(patient.id)
    course = course_of(patient, doses)
    broadcast_text = None
    if reminder.broadcast_id is not None:
        broadcast_text = await BroadcastRepository(session).text_of(reminder.broadcast_id)
    reaction_after_last_dose = False
    if doses and reminder.kind in DOSE_KINDS:
        check_ins = await CheckInRepository(session).list_for_patient(patient.id)
        reaction_after_last_dose = reaction_reported(check_ins, doses[-1].number)
    facts = ReminderFacts(
        settings=patient.settings,
        open_dose=next_dose(course) if course is not None else None,
        suggested_site=suggest_site(
            [dose.site for dose in doses],
            caregiver_injects=patient.caregiver_injects,
            excluded=patient.excluded_sites,
        ),
        last_dose=doses[-1] if doses else None,
        broadcast_text=broadcast_text,
        now=clock(),
        reaction_after_last_dose=reaction_after_last_dose,
    )
    return patient.chat_id, facts


class TelegramNotifier:
    """Implements `scheduling.ports.Notifier` with python-telegram-bot."""

    def __init__(self, bot: Bot, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._bot = bot
        self._sessions = sessions
        self._clock = clock

    async def deliver(self, reminder: Reminder) -> int:
        async with self._sessions() as session:
            chat_id, facts = await load_facts(session, reminder, self._clock)
        try:
            message = render(reminder, facts)
        except ObsoleteReminder as obsolete:
            raise ReminderObsolete(str(obsolete)) from None
        try:
            sent = await self._bot.send_message(
                chat_id, message.text, reply_markup=inline_keyboard(message.keyboard)
            )
        except RetryAfter as error:
            raise RetryLater(_retry_after(error)) from None
        except Forbidden:
            raise RecipientUnreachable("blocked by the user") from None
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                raise RecipientUnreachable("chat not found") from None
            raise PermanentFailure(f"Telegram refused the message: {error.message}") from None
        except NetworkError as error:  # TimedOut is a NetworkError; so are 5xx answers
            raise TransientFailure(type(error).__name__) from None
        except TelegramError as error:
            raise PermanentFailure(type(error).__name__) from None
        return sent.message_id
