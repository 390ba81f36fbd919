"""Typed text and shared locations: to the feature whose step is waiting, else a short hint.

A feature that asks for typed input stores its step as `<prefix>:<step>` in the conversation
store and registers a `StepRoute` for its prefix (onboarding now; /log or /settings later).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot import texts
from bot.services import Context
from storage.conversations import ConversationState, ConversationStateRepository
from storage.patients import PatientRepository

StepAnswer = Callable[[Update, Context, ConversationState], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class StepRoute:
    """Typed input for steps named `<prefix>:...` goes to `answer`."""

    prefix: str
    answer: StepAnswer


def build_handlers(routes: Sequence[StepRoute]) -> list[BaseHandler[Update, Context, None]]:
    answers = {route.prefix: route.answer for route in routes}

    async def route_typed_input(update: Update, context: Context) -> None:
        """Hand typed text or a location to the step waiting for it, or say nothing waits."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        async with context.bot_data.services.database.sessions() as session:
            state = await ConversationStateRepository(session).get(user.id)
            known = state is not None or (
                await PatientRepository(session).get_by_telegram_id(user.id) is not None
            )
        answer = answers.get(state.step.partition(":")[0]) if state is not None else None
        if state is not None and answer is not None:
            await answer(update, context, state)
        else:
            await message.reply_text(texts.TEXT_OUTSIDE_A_STEP if known else texts.NOT_SET_UP)

    # Edited messages are left alone: an answer is given once, by sending it.
    typed = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        MessageHandler(
            typed & ((filters.TEXT & ~filters.COMMAND) | filters.LOCATION), route_typed_input
        )
    ]
