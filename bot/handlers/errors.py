"""The one error handler: log first (no health data, no token), then apologise to the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import texts
from bot.services import Context

log = logging.getLogger(__name__)


async def report_error(update: object, context: Context) -> None:
    """Log an unexpected error and tell the patient their message was not lost."""
    # The update itself may hold health data, so only its kind and id are logged.
    where = f"update {update.update_id}" if isinstance(update, Update) else "a job"
    log.error("unhandled error while handling %s", where, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.SOMETHING_WENT_WRONG)
        except TelegramError:
            log.warning("could not tell the user about the error", exc_info=True)
