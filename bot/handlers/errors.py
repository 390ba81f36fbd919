"""The one error handler: log first (no health data, no token), then apologise and alert."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import texts
from bot.services import Context

log = logging.getLogger(__name__)


def _describe(update: object) -> str:
    """Which update failed, by kind and id only: its content may hold health data."""
    if not isinstance(update, Update):
        return "a job"
    kind = "callback query" if update.callback_query is not None else "message"
    return f"{kind} update {update.update_id}"


async def report_error(update: object, context: Context) -> None:
    """Log an unexpected error, tell the patient their message was not lost, alert the admins."""
    where = _describe(update)
    log.error("unhandled error while handling %s", where, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.SOMETHING_WENT_WRONG)
        except TelegramError:
            log.warning("could not tell the user about the error", exc_info=True)
    services = context.bot_data._services  # None if start-up itself failed
    if services is not None:
        # The exception's type only: its message may quote a token, a URL or patient data.
        error = type(context.error).__name__ if context.error is not None else "error"
        await services.alerter.alert(texts.ALERT_UNHANDLED_ERROR.format(error=error, where=where))
