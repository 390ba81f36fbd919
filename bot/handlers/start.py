"""/help, and the replies to commands and buttons the bot does not know (/start: onboarding)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.services import Context


async def show_help(update: Update, context: Context) -> None:
    """List the commands."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.HELP)


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
        CommandHandler("help", show_help, filters=private),
        # Last: any other command (admin commands answer exactly like this for non-admins).
        MessageHandler(private & filters.COMMAND, answer_unknown_command),
        # Last: any button no feature's pattern matched.
        CallbackQueryHandler(answer_unknown_button),
    ]
