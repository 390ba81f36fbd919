"""The fake Bot API's webhook side: it posts queued updates to the bot, as Telegram does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest

from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.fake_webhook import SECRET_HEADER


class RecordingWebhook:
    """A stand-in for the bot's webhook server: records posts, answers the next statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[int, str | None]] = []  # (update_id, secret header)
        self.statuses: list[int] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.received.append((update["update_id"], request.headers.get(SECRET_HEADER)))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def webhook() -> AsyncIterator[RecordingWebhook]:
    recorder = RecordingWebhook()
    app = web.Application()
    app.router.add_post("/hook", recorder.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    recorder.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield recorder
    finally:
        await runner.cleanup()


async def test_updates_are_posted_in_order_with_the_secret_and_retried(
    fake: FakeBotApi, bot: Bot, webhook: RecordingWebhook
) -> None:
    """Each update is posted until the bot answers 2xx; a failure is shown in getWebhookInfo."""
    user = fake.add_user("Ann")
    fake.send_text(user.id, "/start")
    fake.send_text(user.id, "hello")
    webhook.statuses = [500]
    await bot.set_webhook(webhook.url, secret_token="right_secret")
    await fake.wait_for(lambda: not fake.pending_updates)
    ids = [update_id for update_id, _ in webhook.received]
    first_id = ids[0]
    assert ids == [first_id, first_id, first_id + 1]
    assert {secret for _, secret in webhook.received} == {"right_secret"}
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500"


async def test_delete_webhook_stops_delivery(
    fake: FakeBotApi, bot: Bot, webhook: RecordingWebhook
) -> None:
    """After deleteWebhook, updates wait for getUpdates again."""
    await bot.set_webhook(webhook.url, secret_token="right_secret")
    await bot.delete_webhook()
    user = fake.add_user("Ann")
    fake.send_text(user.id, "hi")
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.text == "hi"
    assert webhook.received == []


async def test_post_to_webhook_sends_the_given_secret_only_once(
    fake: FakeBotApi, bot: Bot, webhook: RecordingWebhook
) -> None:
    """A one-off post (for forged requests) is not queued and not shown in the chat."""
    user = fake.add_user("Ann")
    await bot.set_webhook(webhook.url, secret_token="right_secret")
    webhook.statuses = [403]
    assert await fake.post_to_webhook(user.id, "/start", secret_token=None) == 403
    assert webhook.received[0][1] is None
    assert fake.pending_updates == [] and fake.chat(user.id).messages == []


async def test_a_secret_telegram_would_refuse_is_a_bad_request(bot: Bot) -> None:
    """setWebhook's secret_token: 1-256 of A-Z a-z 0-9 _ -."""
    with pytest.raises(BadRequest, match="Secret token contains unallowed characters"):
        await bot.set_webhook("https://example.org/hook", secret_token="no spaces please")
