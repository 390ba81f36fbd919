"""Handling many patients at once while each patient's own updates stay one at a time, in order.

python-telegram-bot handles one update at a time by default: a hundred patients pressing
"Injected" in the same second queue behind each other. With `concurrent_updates` it handles
several at once, but then two quick taps of one patient could race. This processor runs updates
from different chats concurrently and one chat's updates strictly in arrival order, so every
handler can go on assuming it is the only one working for that patient.

It also marks, for the rate limiter, which chat the running handler is answering
(`bot.rate_limit.replying_to`): what a handler sends into that chat is a reply, not outbound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.rate_limit import replying_to

# Updates handled at the same time. Each handler mostly waits for the database or Telegram.
CONCURRENT_UPDATES = 32
# Updates accepted from the queue at once (waiting for their chat or a free place). A bound
# keeps memory flat if Telegram delivers a large backlog after downtime.
ACCEPTED_UPDATES = 4096


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Different chats concurrently (up to `concurrency`), one chat's updates in order."""

    __slots__ = ("_chats", "_running")

    def __init__(self, concurrency: int = CONCURRENT_UPDATES) -> None:
        # The base class's bound counts updates accepted; ours counts those actually running,
        # so one chat's backlog waiting for its turn never holds up the other chats.
        super().__init__(max(ACCEPTED_UPDATES, concurrency))
        self._running = asyncio.BoundedSemaphore(concurrency)
        self._chats: dict[int, _ChatTurn] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's earlier updates and a free place, then handle this one."""
        chat_id = _chat_of(update)
        if chat_id is None:
            async with self._running:
                await coroutine
            return
        turn = self._chats.get(chat_id)
        if turn is None:
            turn = self._chats[chat_id] = _ChatTurn()
        turn.waiting += 1
        try:
            async with turn.lock, self._running:
                token = replying_to.set(chat_id)
                try:
                    await coroutine
                finally:
                    replying_to.reset(token)
        finally:
            turn.waiting -= 1
            if not turn.waiting:
                del self._chats[chat_id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: the application waits for running updates itself."""


class _ChatTurn:
    """One chat's queue: asyncio.Lock hands itself over in the order tasks asked for it."""

    __slots__ = ("lock", "waiting")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


def _chat_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None
