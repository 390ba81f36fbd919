"""/broadcast <text> (admins only): a preview with Send / Cancel, then delivery via the outbox.

Callback data carries the draft's id (`bcast:send:42`); a press counts only from the admin who
wrote the draft, in their own chat, while it is still a draft. Anyone else typing /broadcast
gets exactly the unknown-command reply: nothing reveals that admin commands exist.
"""

from __future__ import annotations

import re

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import texts
from bot.handlers.common import button_handler, is_own_private_message, quietly
from bot.handlers.start import answer_unknown_command
from bot.services import Context
from storage.broadcasts import BroadcastNotDraft, BroadcastRepository, BroadcastStatus

CALLBACK_PREFIX = "bcast:"
# Telegram's 4,096 characters, less the header patients see and the preview's own lines.
MAX_LENGTH = 3_900
_COMMAND = re.compile(r"/\S*\s*(.*)", re.DOTALL)


def _is_admin(context: Context, user_id: int) -> bool:
    return user_id in context.bot_data.services.settings.admin_ids


async def draft_broadcast(update: Update, context: Context) -> None:
    """Show an admin how the broadcast will look and whom it reaches, with Send / Cancel."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if not _is_admin(context, user.id):
        await answer_unknown_command(update, context)
        return
    matched = _COMMAND.fullmatch(message.text or "")
    text = matched.group(1).strip() if matched is not None else ""
    if not text:
        await message.reply_text(texts.BROADCAST_USAGE)
        return
    if len(text) > MAX_LENGTH:
        await message.reply_text(texts.BROADCAST_TOO_LONG.format(limit=MAX_LENGTH))
        return
    services = context.bot_data.services
    async with services.database.sessions.begin() as session:
        broadcasts = BroadcastRepository(session)
        draft = await broadcasts.create_draft(user.id, text, now=services.clock())
        count = await broadcasts.count_recipients()
    await message.reply_text(
        texts.BROADCAST_PREVIEW.format(message=texts.BROADCAST_HEADER + text, count=count),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        texts.BUTTON_BROADCAST_SEND,
                        callback_data=f"{CALLBACK_PREFIX}send:{draft.id}",
                    ),
                    InlineKeyboardButton(
                        texts.BUTTON_BROADCAST_CANCEL,
                        callback_data=f"{CALLBACK_PREFIX}cancel:{draft.id}",
                    ),
                ]
            ]
        ),
    )


@button_handler
async def answer_broadcast_button(query: CallbackQuery, context: Context) -> None:
    """Send or drop a draft that is still the presser's own; anything else changes nothing."""
    user_id = query.from_user.id
    pressed = re.fullmatch(rf"{CALLBACK_PREFIX}(send|cancel):([0-9]{{1,18}})", query.data or "")
    message = query.message
    if (
        pressed is None
        or not _is_admin(context, user_id)
        or not is_own_private_message(message, user_id)
    ):
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    assert isinstance(message, Message)
    action, broadcast_id = pressed.group(1), int(pressed.group(2))
    services = context.bot_data.services
    async with services.database.sessions() as session:
        draft = await BroadcastRepository(session).get(broadcast_id)
    if draft is None or draft.admin_telegram_id != user_id or draft.status != BroadcastStatus.DRAFT:
        await query.answer(texts.BUTTON_NO_LONGER_VALID)
        return
    if action == "cancel":
        try:
            async with services.database.sessions.begin() as session:
                await BroadcastRepository(session).cancel(broadcast_id)
        except BroadcastNotDraft:
            await query.answer(texts.BUTTON_NO_LONGER_VALID)
            return
        await query.answer()
        await _show_choice(message, texts.BUTTON_BROADCAST_CANCEL)
        await message.reply_text(texts.BROADCAST_CANCELLED)
        return
    await query.answer()
    await _show_choice(message, texts.BUTTON_BROADCAST_SEND)
    # The progress message first, so its id goes into the same transaction as the rows.
    progress = await message.reply_text(texts.BROADCAST_STARTING)
    try:
        async with services.database.sessions.begin() as session:
            await BroadcastRepository(session).send(
                broadcast_id, now=services.clock(), progress_message_id=progress.message_id
            )
    except BroadcastNotDraft:  # a second press got there first
        await quietly(progress.edit_text(texts.BUTTON_NO_LONGER_VALID))


async def _show_choice(message: Message, choice: str) -> None:
    """The preview keeps its text, shows the choice, and loses its buttons."""
    await quietly(
        message.edit_text(texts.ANSWER_CHOSEN.format(question=message.text or "", answer=choice))
    )


def build_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("broadcast", draft_broadcast, filters=private),
        CallbackQueryHandler(answer_broadcast_button, pattern=f"^{CALLBACK_PREFIX}"),
    ]
