"""The replies to commands and buttons no feature claims (/help: account, /start: onboarding)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot import texts
from bot.services import Context


async def answer_unknown_command(update: Update, context: Context) -> None:
    """Point to /help for a command the bot does not know."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


async def answer_unknown_button(update: Update, context: Context) -> None:
    """Answer a button no feature claims (old, or forged): every button press is answered."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.BUTTON_NO_LONGER_VALID)


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        # Last: any other command (admin commands answer exactly like this for non-admins).
        MessageHandler(private & filters.COMMAND, answer_unknown_command),
        # Last: any button no feature's pattern matched.
        CallbackQueryHandler(answer_unknown_button),
    ]
