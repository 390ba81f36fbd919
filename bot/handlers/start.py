"""/start and /help, and the reply to anything the bot does not understand."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.services import Context


async def greet(update: Update, context: Context) -> None:
    """Say what the bot does."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.WELCOME)


async def show_help(update: Update, context: Context) -> None:
    """List the commands."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.HELP)


async def answer_unknown_command(update: Update, context: Context) -> None:
    """Point to /help for a command the bot does not know."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", greet, filters=private),
        CommandHandler("help", show_help, filters=private),
        # Last: any other command (admin commands answer exactly like this for non-admins).
        MessageHandler(private & filters.COMMAND, answer_unknown_command),
    ]
