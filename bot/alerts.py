"""Alerts to the admins: one short message each, deduplicated and rate-limited."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Collection
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

from scheduling.ports import Clock

log = logging.getLogger(__name__)

ALERT_PREFIX = "⚠️ Admin alert: "


class AdminAlerter:
    """Implements `scheduling.ports.Alerter`: tells every admin, without flooding them.

    The same text is sent at most once per `dedupe_window`; at most `max_per_hour` alerts go
    out an hour, and the rest are only logged. Alert texts never carry health data.
    """

    def __init__(
        self,
        bot: Bot,
        admin_ids: Collection[int],
        clock: Clock,
        *,
        dedupe_window: timedelta = timedelta(minutes=30),
        max_per_hour: int = 20,
    ) -> None:
        self._bot = bot
        self._admin_ids = sorted(admin_ids)
        self._clock = clock
        self._dedupe_window = dedupe_window
        self._max_per_hour = max_per_hour
        self._last_sent: dict[str, datetime] = {}
        self._recent: deque[datetime] = deque()

    async def alert(self, text: str) -> None:
        now = self._clock()
        last = self._last_sent.get(text)
        if last is not None and now - last < self._dedupe_window:
            return
        while self._recent and now - self._recent[0] >= timedelta(hours=1):
            self._recent.popleft()
        if len(self._recent) >= self._max_per_hour:
            log.warning("admin alert suppressed (rate limit): %s", text)
            return
        self._last_sent[text] = now
        self._recent.append(now)
        log.warning("admin alert: %s", text)
        for admin_id in self._admin_ids:
            try:
                await self._bot.send_message(admin_id, ALERT_PREFIX + text)
            except TelegramError as error:
                log.warning("could not alert admin: %s", type(error).__name__)
