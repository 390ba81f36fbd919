"""Small pieces every button handler needs: the ownership check and edits that may fail."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeGuard

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot import texts
from bot.services import Context

log = logging.getLogger(__name__)


def is_own_private_message(message: object, user_id: int) -> TypeGuard[Message]:
    """Only buttons the bot showed in the presser's own private chat count."""
    return (
        isinstance(message, Message)
        and message.chat.type == ChatType.PRIVATE
        and message.chat.id == user_id
    )


async def quietly(edit: Awaitable[object]) -> bool:
    """An edit that may fail harmlessly (already edited, or too old to edit); whether it went
    through."""
    try:
        await edit
    except BadRequest as error:
        log.debug("edit skipped: %s", error.message)
        return False
    return True


async def answer_quietly(query: CallbackQuery) -> None:
    """Answer a button press, if it still can be (every press is answered, even on failure)."""
    with contextlib.suppress(BadRequest):  # answered already, or too old
        await query.answer()


async def show_answer(message: Message, answer: str | None) -> None:
    """The answered question keeps its text, shows the answer, and loses its buttons."""
    if answer is None or not message.text:
        await quietly(message.edit_reply_markup(None))
        return
    await quietly(
        message.edit_text(texts.ANSWER_CHOSEN.format(question=message.text, answer=answer))
    )


ButtonAnswer = Callable[[CallbackQuery, Context], Awaitable[None]]


def button_handler(answer: ButtonAnswer) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """A callback-query handler that answers every press, even when `answer` fails."""

    @functools.wraps(answer)
    async def handle(update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await answer(query, context)
        except Exception:
            await answer_quietly(query)  # every button press is answered, even on a failure
            raise

    return handle
