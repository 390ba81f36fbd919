"""The fake server's webhook side: it POSTs queued updates to the bot, as Telegram does."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable

import aiohttp

from bot.devtools.fake_models import JSONDict, bad_request
from bot.devtools.fake_updates import Changes, UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's rule for setWebhook's secret_token.
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class WebhookPoster:
    """While a webhook is set, delivers pending updates to it in order, one at a time.

    An update is confirmed (never sent again) once the bot answers 2xx; any other answer or a
    connection error is remembered for getWebhookInfo and retried after `retry_delay` seconds.
    """

    def __init__(
        self,
        updates: UpdateQueue,
        changes: Changes,
        clock: Callable[[], float],
        *,
        retry_delay: float = 0.2,
        request_timeout: float = 10.0,
    ) -> None:
        self.url = ""
        self.secret_token: str | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0
        self._updates = updates
        self._changes = changes
        self._clock = clock
        self._retry_delay = retry_delay
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def set(self, url: str, secret_token: str | None) -> None:
        """setWebhook: deliver to `url` from now on, sending `secret_token` with every post."""
        if secret_token is not None and not SECRET_TOKEN_PATTERN.fullmatch(secret_token):
            raise bad_request("secret token contains unallowed characters")
        await self.delete()
        self.url, self.secret_token = url, secret_token
        self.last_error_date = self.last_error_message = None
        if url:
            self._task = asyncio.create_task(self._deliver_forever(), name="fake webhook poster")

    async def delete(self) -> None:
        """deleteWebhook: stop delivering; updates wait for getUpdates again."""
        self.url, self.secret_token = "", None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def close(self) -> None:
        """The server is stopping."""
        await self.delete()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, update: JSONDict, secret_token: str | None) -> int:
        """POST one update to the webhook (no header if `secret_token` is None); the status."""
        if not self.url:
            raise ValueError("no webhook is set")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {SECRET_HEADER: secret_token} if secret_token is not None else {}
        async with self._session.post(self.url, json=update, headers=headers) as response:
            await response.read()
            return response.status

    def info(self) -> JSONDict:
        """getWebhookInfo's answer."""
        data: JSONDict = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates.pending),
        }
        if self.last_error_message is not None:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message
        return data

    async def _deliver_forever(self) -> None:
        while True:
            await self._changes.wait_for(
                lambda: self._changes.closed or self._updates.deliverable(), None
            )
            if self._changes.closed:
                return
            update = self._updates.deliverable()[0]
            try:
                status = await self.post(update, self.secret_token)
            except (aiohttp.ClientError, TimeoutError) as error:
                self._fail(str(error) or type(error).__name__)
            else:
                if 200 <= status < 300:
                    self.delivered += 1
                    self._updates.confirm(int(update["update_id"]))
                    continue
                self._fail(f"Wrong response from the webhook: {status}")
            with contextlib.suppress(TimeoutError):
                await self._changes.wait_for(lambda: self._changes.closed, self._retry_delay)

    def _fail(self, message: str) -> None:
        self.last_error_date = int(self._clock())
        self.last_error_message = message
        self._changes.notify()
