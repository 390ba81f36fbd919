"""Private chats only: health data never goes to a group (DESIGN.md)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, MessageHandler, filters

from bot import texts
from bot.services import Context

TOLD_KEY = "told_private_only"


async def refuse_group_chat(update: Update, context: Context) -> None:
    """Tell a group once that the bot only works in private chats, and handle nothing else."""
    message = update.effective_message
    chat_data = context.chat_data
    if message is not None and chat_data is not None and not chat_data.get(TOLD_KEY):
        chat_data[TOLD_KEY] = True  # in memory only: nothing about a group is stored
        await message.reply_text(texts.PRIVATE_CHAT_ONLY)
    raise ApplicationHandlerStop


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [MessageHandler(~filters.ChatType.PRIVATE & filters.COMMAND, refuse_group_chat)]
