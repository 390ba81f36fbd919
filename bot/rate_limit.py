"""Keeping every message inside Telegram's flood limits, so that Telegram never answers 429.

Telegram lets a bot send about 30 messages a second overall and 1 a second into one chat; past
that it refuses with 429 and a `retry_after`. python-telegram-bot's `AIORateLimiter` starts with
a full bucket (a burst of refusals in the first second) and spaces requests by the clock on this
side, so network jitter still lets 31 land inside one of Telegram's seconds. This limiter counts
the way the server does: a request occupies its slot from the moment it is sent until one second
after its answer arrived. Telegram counts the request at some instant in between, so at most
`overall_per_second` requests can ever fall inside any one of its seconds, whatever the jitter.

Two kinds of traffic:
- outbound: reminders, broadcasts, alerts (anything not answering the chat being handled). Waits
  for a free slot overall and in its chat, in the order it asked.
- replies: what a handler sends back into the chat whose update it is handling (the update
  processor marks that chat in `replying_to`). Never waits for the budget: a patient who just
  pressed a button is answered at once. It still takes its slots, so outbound traffic yields to
  it, and on a 429 it waits `retry_after` and tries again (a few times).

Requests without a chat (answerCallbackQuery, getUpdates, setMyCommands) pass straight through.
After any 429, outbound requests fail at once with `RetryAfter` for the rest of the wait,
without reaching Telegram: the dispatcher puts each back for that long, and nobody sits in
here for minutes. The wait is kept in the bot's clock, the one the dispatcher schedules by.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from scheduling.ports import Clock

log = logging.getLogger(__name__)

# The chat whose update the current task is handling (set by `bot.update_order`), if any.
replying_to: ContextVar[int | None] = ContextVar("replying_to", default=None)

TELEGRAM_MESSAGES_PER_SECOND = 30
CHAT_INTERVAL_SECONDS = 1.0
# A reply refused with 429 waits and tries again this often, if Telegram's wait is this short.
REPLY_RETRIES = 2
REPLY_MAX_WAIT_SECONDS = 30.0
_PRUNE_EVERY = 1024  # chat entries kept before forgetting the idle ones

Answer = bool | JSONDict | list[JSONDict]
Call = Callable[..., Coroutine[Any, Any, Answer]]  # one Bot API request, ready to send


def retry_after_of(error: RetryAfter) -> timedelta:
    """The wait Telegram asked for (PTB 22 gives seconds as an int, or a timedelta)."""
    value = error._retry_after  # the timedelta behind the deprecated int property
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


@dataclass(slots=True)
class _Chat:
    """What the limiter remembers of one chat."""

    in_flight: int = 0
    last_done: float = -math.inf
    users: int = 0  # outbound requests waiting for or holding `turn`
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)  # one outbound at a time, in order
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Outbound messages within 30/s overall and 1/s per chat; replies at once (see module)."""

    def __init__(
        self,
        *,
        overall_per_second: int = TELEGRAM_MESSAGES_PER_SECOND,
        chat_interval: float = CHAT_INTERVAL_SECONDS,
        second: float = 1.0,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock` is the bot's (a 429's wait is measured in it); `second` is how long
        Telegram's second lasts: shorter only in tests, with `chat_interval` scaled alike."""
        if overall_per_second < 1 or chat_interval < 0 or second <= 0:
            raise ValueError("the limits must be positive")
        self._limit = overall_per_second
        self._second = second
        self._chat_interval = chat_interval
        self._now = clock or _system_clock
        self._clock = monotonic
        self._in_flight = 0
        self._done: deque[float] = deque()  # answers received within the last second, in order
        self._gate = asyncio.Lock()  # outbound requests take overall slots one by one, in order
        self._room = asyncio.Event()  # set when a request finishes
        self._paused_until: datetime | None = None
        self._chats: dict[int | str, _Chat] = {}
        self.refused = 0  # 429s seen (for tests and the benchmark)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Call,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Answer:
        """Send `callback` when the limits allow (see the module docstring)."""
        chat_id = _chat_key(data.get("chat_id"))
        if chat_id is None:
            return await self._passing(callback, args, kwargs)
        if chat_id == replying_to.get():
            return await self._reply(chat_id, callback, args, kwargs)
        return await self._outbound(chat_id, callback, args, kwargs)

    # -- the three paths ------------------------------------------------------------------------

    async def _passing(self, callback: Call, args: Any, kwargs: Any) -> Answer:
        """Any request: a 429 it gets pauses outbound traffic."""
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            self._pause(error)
            raise

    async def _outbound(
        self,
        chat_id: int | str,
        callback: Call,
        args: Any,
        kwargs: Any,
    ) -> Answer:
        with self._chat(chat_id) as chat:
            async with chat.turn:
                while True:
                    self._refuse_while_paused()
                    await self._chat_ready(chat)
                    async with self._gate:
                        await self._overall_room()
                        self._refuse_while_paused()
                        # A reply may have gone into this chat while we waited for room.
                        if chat.in_flight == 0 and self._chat_free_in(chat) <= 0:
                            self._start(chat)
                            break
        return await self._send(chat, callback, args, kwargs)

    async def _reply(
        self,
        chat_id: int | str,
        callback: Call,
        args: Any,
        kwargs: Any,
    ) -> Answer:
        for attempt in range(REPLY_RETRIES + 1):
            try:
                with self._chat(chat_id) as chat:
                    self._start(chat)
                    return await self._send(chat, callback, args, kwargs)
            except RetryAfter as error:
                wait = retry_after_of(error).total_seconds()
                if attempt == REPLY_RETRIES or wait > REPLY_MAX_WAIT_SECONDS:
                    raise
                log.info("a reply was refused (429): trying again in %.0f s", wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send(
        self,
        chat: _Chat,
        callback: Call,
        args: Any,
        kwargs: Any,
    ) -> Answer:
        """Run a started request; its slots stay taken until a second after its answer."""
        try:
            return await self._passing(callback, args, kwargs)
        finally:
            done = self._clock()
            self._in_flight -= 1
            self._done.append(done)
            self._room.set()
            chat.in_flight -= 1
            chat.last_done = max(chat.last_done, done)
            chat.changed.set()

    # -- bookkeeping ----------------------------------------------------------------------------

    def _start(self, chat: _Chat) -> None:
        self._in_flight += 1
        chat.in_flight += 1

    def _pause(self, error: RetryAfter) -> None:
        self.refused += 1
        until = self._now() + retry_after_of(error)
        if self._paused_until is None or until > self._paused_until:
            self._paused_until = until
        log.warning("Telegram asked to slow down: outbound messages paused: %s", error)

    def _refuse_while_paused(self) -> None:
        if self._paused_until is None:
            return
        left = self._paused_until - self._now()
        if left <= timedelta(0):
            self._paused_until = None
            return
        raise RetryAfter(timedelta(seconds=math.ceil(left.total_seconds())))

    def _overall_wait(self, now: float) -> float | None:
        """Seconds until an overall slot is free; None: when a request in flight finishes."""
        while self._done and self._done[0] + self._second <= now:
            self._done.popleft()
        if self._in_flight + len(self._done) < self._limit:
            return 0.0
        if self._done:
            return self._done[0] + self._second - now
        return None

    async def _overall_room(self) -> None:
        while (wait := self._overall_wait(self._clock())) != 0.0:
            self._room.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), wait)

    def _chat_free_in(self, chat: _Chat) -> float:
        return chat.last_done + self._chat_interval - self._clock()

    async def _chat_ready(self, chat: _Chat) -> None:
        """Until nothing is in flight to the chat and its last answer is a second old."""
        while chat.in_flight or (wait := self._chat_free_in(chat)) > 0:
            chat.changed.clear()
            timeout = None if chat.in_flight else wait
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(chat.changed.wait(), timeout)

    @contextlib.contextmanager
    def _chat(self, chat_id: int | str) -> Iterator[_Chat]:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        chat.users += 1
        try:
            yield chat
        finally:
            chat.users -= 1
            if len(self._chats) >= _PRUNE_EVERY:
                self._forget_idle_chats()

    def _forget_idle_chats(self) -> None:
        """Drop chats nobody waits for once their last answer is older than the interval."""
        now = self._clock()
        idle = [
            key
            for key, entry in self._chats.items()
            if not entry.users
            and not entry.in_flight
            and entry.last_done + self._chat_interval <= now
        ]
        for key in idle:
            del self._chats[key]


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _chat_key(chat_id: object) -> int | str | None:
    """The chat a request posts into, as the update processor names it (an int if it can be)."""
    if chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    try:
        return int(str(chat_id))
    except ValueError:
        return str(chat_id)  # @channelusername
