"""Building the python-telegram-bot `Application`: the only place handlers are added."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, TypeAlias

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
)

from bot.aiohttp_request import AiohttpRequest
from bot.alerts import AdminAlerter
from bot.broadcast_progress import schedule_progress
from bot.config import Settings
from bot.dispatch_job import schedule_dispatching
from bot.handlers import (
    account,
    admin,
    broadcast,
    checkin,
    dose,
    errors,
    onboarding,
    privacy,
    start,
    typed_input,
)
from bot.handlers import log as dose_log  # `log` is this module's logger
from bot.handlers import settings as settings_menu  # `settings` is the configuration
from bot.notifier import TelegramNotifier
from bot.ops import touch_heartbeat
from bot.rate_limit import TelegramRateLimiter
from bot.services import BotData, Context, Services
from bot.update_order import PerChatUpdateProcessor
from bot.wal_job import schedule_wal_checkpoints
from scheduling.dispatcher import Dispatcher
from scheduling.ports import Clock
from storage.db import Database, upgrade_database
from storage.outbox import SqlReminderStore

log = logging.getLogger(__name__)

PATIENT_COMMANDS = [
    BotCommand("start", "set up, or see your next dose"),
    BotCommand("help", "what I can do"),
    BotCommand("next", "your next dose and its site"),
    BotCommand("log", "record an injection given without my reminder"),
    BotCommand("history", "your recent doses"),
    BotCommand("reaction", "report a reaction after an injection"),
    BotCommand("settings", "reminder time, time zone and other choices"),
    BotCommand("pause", "pause all reminders"),
    BotCommand("resume", "turn reminders back on"),
    BotCommand("delete", "erase everything I store about you"),
    BotCommand("about", "what I am, my sources"),
]

# The builder's inferred generics are looser than ours; what handlers rely on is Context.
BotApplication: TypeAlias = Application[Any, Context, Any, Any, BotData, Any]


def build_application(
    settings: Settings, *, clock: Clock, dispatch_ticks: bool = True
) -> BotApplication:
    """The bot, wired: settings in, handlers and services on; nothing runs until started.

    `dispatch_ticks=False` leaves the dispatcher to the caller (tests and the console run
    passes themselves after moving their clock).
    """

    async def post_init(application: BotApplication) -> None:
        url = settings.effective_database_url
        await upgrade_database(url)
        database = Database.connect(url)
        alerter = AdminAlerter(application.bot, settings.admin_ids, clock)
        dispatcher = Dispatcher(
            SqlReminderStore(database.sessions),
            TelegramNotifier(application.bot, database.sessions, clock),
            clock,
            alerter=alerter,
            # `kesimpta-bot health` (Docker's HEALTHCHECK) reads the heartbeat file's age; only
            # a bot that runs its own dispatch ticks has one.
            on_progress=(lambda: touch_heartbeat(settings.data_dir)) if dispatch_ticks else None,
        )
        application.bot_data.services = Services(
            settings=settings,
            database=database,
            clock=clock,
            started_at=clock(),
            dispatcher=dispatcher,
            alerter=alerter,
        )
        await set_command_menus(application, settings.admin_ids)
        if database.wal is not None:
            schedule_wal_checkpoints(application.job_queue)
        if dispatch_ticks:
            schedule_dispatching(application.job_queue, settings.dispatch_interval_seconds)
            schedule_progress(application.job_queue)
        log.info("bot ready as @%s", application.bot.username)

    async def post_shutdown(application: BotApplication) -> None:
        services = application.bot_data._services
        if services is not None:
            await services.database.dispose()

    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.effective_file_url)
        # aiohttp instead of PTB's default httpx: a third of the CPU per Bot API call, which is
        # what decides how many button presses a second one core can answer (bench/load.py).
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .context_types(ContextTypes(bot_data=BotData))
        # Outbound messages stay inside Telegram's limits (a 429 that still comes back reaches
        # the dispatcher as RetryAfter, which reschedules); replies go out at once.
        .rate_limiter(TelegramRateLimiter(clock=clock))
        # Many patients at once, each patient's updates one at a time and in order.
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    # Order matters: the group guard (group -1) stops every update from a group first.
    for handler in privacy.build_handlers():
        application.add_handler(handler, group=-1)
    # In group 0 the first handler that matches wins, so: every feature's commands and button
    # patterns first (/start and `onb:` buttons), then start's catch-alls for unknown commands
    # and unclaimed buttons, then typed text and locations, routed by the waiting step's prefix.
    for handler in [
        *onboarding.build_handlers(),
        *dose.build_handlers(),
        *dose_log.build_handlers(),
        *settings_menu.build_handlers(),
        *account.build_handlers(),
        *checkin.build_handlers(),
        *broadcast.build_handlers(),
        *admin.build_handlers(),
        *start.build_handlers(),
        *typed_input.build_handlers(
            [
                onboarding.STEP_ROUTE,
                dose_log.STEP_ROUTE,
                settings_menu.STEP_ROUTE,
                account.STEP_ROUTE,
            ]
        ),
    ]:
        application.add_handler(handler)
    application.add_error_handler(errors.report_error)
    return application


async def set_command_menus(application: BotApplication, admin_ids: Collection[int]) -> None:
    """Patient commands for everyone; admin commands too, but only in each admin's chat."""
    # Admins first: Telegram answers "chat not found" for an admin who never started the
    # bot, which must not stop start-up; the default menu comes last and must succeed.
    for admin_id in sorted(admin_ids):
        try:
            await application.bot.set_my_commands(
                PATIENT_COMMANDS + admin.ADMIN_COMMANDS, scope=BotCommandScopeChat(admin_id)
            )
        except TelegramError as error:
            log.warning("no admin command menu for one admin: %s", type(error).__name__)
    await application.bot.set_my_commands(PATIENT_COMMANDS)


def allowed_updates() -> list[str]:
    return [Update.MESSAGE, Update.CALLBACK_QUERY, Update.EDITED_MESSAGE]
