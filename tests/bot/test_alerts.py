"""Admin alerts reach every admin once, and never flood them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot

from bot.alerts import ALERT_PREFIX, AdminAlerter
from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi, Fault, run_fake_bot_api

ADMINS = (9001, 9002)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with run_fake_bot_api() as server:
        for admin in ADMINS:
            server.add_user("Admin", user_id=admin)
        yield server


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        yield bot


def texts_in(fake: FakeBotApi, chat_id: int) -> list[str]:
    return [message.text for message in fake.chat(chat_id).bot_messages]


async def test_every_admin_gets_the_alert_once_within_the_window(
    fake: FakeBotApi, bot: Bot
) -> None:
    """The same alert twice within the dedupe window reaches each admin once."""
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    alerter = AdminAlerter(bot, ADMINS, clock)
    await alerter.alert("delivery failed (reminder #1)")
    clock.advance(timedelta(minutes=5))
    await alerter.alert("delivery failed (reminder #1)")
    for admin in ADMINS:
        assert texts_in(fake, admin) == [ALERT_PREFIX + "delivery failed (reminder #1)"]
    clock.advance(timedelta(minutes=30))
    await alerter.alert("delivery failed (reminder #1)")
    assert len(texts_in(fake, ADMINS[0])) == 2


async def test_alerts_are_rate_limited(fake: FakeBotApi, bot: Bot) -> None:
    """No more than `max_per_hour` alerts an hour; the rest are only logged."""
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    alerter = AdminAlerter(bot, ADMINS[:1], clock, max_per_hour=3)
    for number in range(5):
        await alerter.alert(f"problem {number}")
    assert len(texts_in(fake, ADMINS[0])) == 3
    clock.advance(timedelta(hours=1))
    await alerter.alert("problem 5")
    assert len(texts_in(fake, ADMINS[0])) == 4


async def test_an_unreachable_admin_does_not_stop_the_others(fake: FakeBotApi, bot: Bot) -> None:
    """An admin who blocked the bot is skipped; the other admins still get the alert."""
    fake.fail_next("sendMessage", Fault.blocked(), chat_id=ADMINS[0])
    alerter = AdminAlerter(bot, ADMINS, ManualClock(datetime(2026, 1, 1, tzinfo=UTC)))
    await alerter.alert("something broke")
    assert texts_in(fake, ADMINS[0]) == []
    assert texts_in(fake, ADMINS[1]) == [ALERT_PREFIX + "something broke"]
