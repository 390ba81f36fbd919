"""Running the real bot in-process against the fake Bot API (tests and the console use this).

python-telegram-bot runs `post_init` only inside `run_polling`, so this does the same steps
itself: initialize, post-init, start polling, start; and stops in reverse order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import BotApplication, allowed_updates, build_application
from bot.config import Settings, load_settings
from bot.devtools.fake_bot_api import FakeBotApi
from bot.services import Services
from scheduling.dispatcher import DispatchReport
from scheduling.ports import Clock

POLL_TIMEOUT_SECONDS = 1  # short long-polls so stopping is quick


@dataclass(slots=True)
class RunningBot:
    application: BotApplication
    fake: FakeBotApi
    settings: Settings

    @property
    def services(self) -> Services:
        return self.application.bot_data.services

    async def dispatch(self) -> DispatchReport:
        """One dispatcher pass at the clock's current time."""
        return await self.services.dispatcher.run_once()


def settings_for_fake(fake: FakeBotApi, database_url: str, **overrides: object) -> Settings:
    """Settings that point the real bot at `fake` and at a database of the caller's choice."""
    return load_settings(
        bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        telegram_api_file_url=fake.base_file_url,
        database_url=database_url,
        **overrides,
    )


@asynccontextmanager
async def running_bot(
    fake: FakeBotApi, settings: Settings, *, clock: Clock, dispatch_ticks: bool = False
) -> AsyncIterator[RunningBot]:
    """The real application, polling `fake`, until the block ends.

    By default no dispatch job runs: the caller moves its clock and calls `dispatch()`.
    """
    application = build_application(settings, clock=clock, dispatch_ticks=dispatch_ticks)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        updater = application.updater
        assert updater is not None
        await updater.start_polling(
            poll_interval=0, timeout=POLL_TIMEOUT_SECONDS, allowed_updates=allowed_updates()
        )
        await application.start()
        try:
            yield RunningBot(application, fake, settings)
        finally:
            await updater.stop()
            await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
