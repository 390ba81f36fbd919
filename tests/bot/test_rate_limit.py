"""The rate limiter against the fake Bot API enforcing Telegram's flood limits.

Time is compressed five-fold on both sides: the fake's second lasts 0.2 s of real time, and the
limiter is told so (`second=0.2`, `chat_interval=0.2`). The fake answers 429 like Telegram past
30 sends in any of its seconds, or past 1 per chat.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot import rate_limit
from bot.devtools.fake_bot_api import FakeBotApi, RateLimit, run_fake_bot_api
from bot.devtools.fake_faults import Fault
from bot.rate_limit import TelegramRateLimiter, replying_to, retry_after_of
from tests.fakes import ManualClock

SPEEDUP = 5
SECOND = 1 / SPEEDUP
FIRST_CHAT = 70_001


def compressed_time() -> float:
    return time.monotonic() * SPEEDUP


@pytest.fixture
def flood_limits() -> RateLimit | None:
    return RateLimit(per_second=30, per_chat_per_second=1, clock=compressed_time)


@pytest.fixture
async def fake(flood_limits: RateLimit | None) -> AsyncIterator[FakeBotApi]:
    async with run_fake_bot_api(rate_limit=flood_limits) as server:
        for offset in range(200):
            server.add_user("Patient", user_id=FIRST_CHAT + offset)
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def limiter(clock: ManualClock) -> TelegramRateLimiter:
    return TelegramRateLimiter(second=SECOND, chat_interval=SECOND, clock=clock)


@pytest.fixture
async def bot(fake: FakeBotApi, limiter: TelegramRateLimiter) -> AsyncIterator[ExtBot[None]]:
    request = HTTPXRequest(connection_pool_size=64)
    async with ExtBot(
        fake.token, base_url=fake.base_url, request=request, rate_limiter=limiter
    ) as bot:
        yield bot


async def send_all(bot: Bot, chats: Iterable[int], *, in_flight: int = 32) -> float:
    """Send one message to each chat, `in_flight` at a time, as the dispatcher does; seconds."""
    gate = asyncio.Semaphore(in_flight)

    async def one(chat_id: int) -> None:
        async with gate:
            await bot.send_message(chat_id, "Time for your dose")

    started = time.monotonic()
    await asyncio.gather(*(one(chat_id) for chat_id in chats))
    return time.monotonic() - started


def sends(fake: FakeBotApi, status: int | None = None) -> int:
    calls = fake.calls_to("sendMessage")
    return sum(1 for call in calls if status is None or call.status == status)


async def test_a_burst_to_many_chats_is_never_refused(
    bot: Bot, fake: FakeBotApi, limiter: TelegramRateLimiter
) -> None:
    """150 reminders due at once go out at Telegram's pace and none is answered 429."""
    elapsed = await send_all(bot, range(FIRST_CHAT, FIRST_CHAT + 150))

    assert sends(fake, 200) == 150
    assert sends(fake, 429) == 0 and limiter.refused == 0
    # 150 at 30 per second take over four of Telegram's seconds: the limiter did hold them.
    assert elapsed >= 4 * SECOND


async def test_the_pace_stays_close_to_30_per_second(bot: Bot, fake: FakeBotApi) -> None:
    """Holding a slot for the answer plus a second costs little: well over half of 30/s even
    in compressed time on a busy machine (bench/load.py measures it in real time)."""
    elapsed = await send_all(bot, range(FIRST_CHAT, FIRST_CHAT + 200))

    assert sends(fake, 429) == 0
    rate_per_telegram_second = 200 / (elapsed / SECOND)
    assert rate_per_telegram_second >= 0.6 * 30, rate_per_telegram_second


async def test_one_chat_gets_at_most_one_message_per_second(bot: Bot, fake: FakeBotApi) -> None:
    """Four reminders for one patient at once go out a second apart, none refused."""
    await send_all(bot, [FIRST_CHAT] * 4)

    times = sorted(call.at for call in fake.calls_to("sendMessage"))
    assert sends(fake, 200) == 4 and sends(fake, 429) == 0
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= SECOND * 0.95, gaps


@pytest.mark.parametrize("flood_limits", [None])
async def test_a_reply_goes_out_at_once_while_outbound_waits(bot: Bot, fake: FakeBotApi) -> None:
    """Answering the patient being handled never waits behind reminders; a message to another
    chat does."""
    outbound = asyncio.create_task(send_all(bot, range(FIRST_CHAT, FIRST_CHAT + 150)))
    await asyncio.sleep(SECOND / 4)  # the first second's 30 slots are taken

    token = replying_to.set(FIRST_CHAT + 150)
    try:
        await bot.send_message(FIRST_CHAT + 150, "Recorded.")
    finally:
        replying_to.reset(token)
    reply_beat_the_queue = not outbound.done()
    started = time.monotonic()
    await bot.send_message(FIRST_CHAT + 151, "An outbound message")  # not a reply: queues
    outbound_took = time.monotonic() - started
    await outbound

    assert reply_beat_the_queue
    assert outbound_took > SECOND


async def test_after_a_429_outbound_fails_fast_until_retry_after(
    bot: Bot, fake: FakeBotApi, limiter: TelegramRateLimiter, clock: ManualClock
) -> None:
    """A 429 reaches the caller (the dispatcher reschedules), and for the rest of the wait every
    outbound message is handed back at once, without reaching Telegram."""
    fake.fail_next("sendMessage", Fault.too_many_requests(retry_after=30), chat_id=FIRST_CHAT)
    with pytest.raises(RetryAfter):
        await bot.send_message(FIRST_CHAT, "Time for your dose")

    clock.advance(timedelta(seconds=20))
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(FIRST_CHAT + 1, "Time for your dose")
    assert retry_after_of(refused.value) == timedelta(seconds=10)
    assert sends(fake) == 1  # the second never left the bot

    clock.advance(timedelta(seconds=10))
    await bot.send_message(FIRST_CHAT + 1, "Time for your dose")
    assert [call.status for call in fake.calls_to("sendMessage")] == [429, 200]
    assert limiter.refused == 1


async def test_a_refused_reply_is_sent_again_after_retry_after(bot: Bot, fake: FakeBotApi) -> None:
    """A reply answered 429 waits as told and goes out; the handler never sees the 429."""
    fake.fail_next("sendMessage", Fault.too_many_requests(retry_after=1), chat_id=FIRST_CHAT)
    token = replying_to.set(FIRST_CHAT)
    try:
        started = time.monotonic()
        message = await bot.send_message(FIRST_CHAT, "Recorded.")
    finally:
        replying_to.reset(token)

    assert message.text == "Recorded."
    assert time.monotonic() - started >= 0.9
    assert [call.status for call in fake.calls_to("sendMessage")] == [429, 200]


async def test_requests_without_a_chat_are_not_held(bot: Bot, fake: FakeBotApi) -> None:
    """getMe (like answerCallbackQuery) passes while outbound messages wait for a slot."""
    outbound = asyncio.create_task(send_all(bot, range(FIRST_CHAT, FIRST_CHAT + 150)))
    await asyncio.sleep(SECOND / 4)
    await bot.get_me()
    passed_the_queue = not outbound.done()
    await outbound
    assert passed_the_queue


async def test_idle_chats_are_forgotten(
    bot: Bot, limiter: TelegramRateLimiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays flat however many patients get a message: idle chats are dropped."""
    monkeypatch.setattr(rate_limit, "_PRUNE_EVERY", 50)
    await send_all(bot, range(FIRST_CHAT, FIRST_CHAT + 200))
    remembered = len(limiter._chats)
    assert remembered < 50 + 32, remembered  # without forgetting: 200
