"""The services every handler and job uses, typed, kept in python-telegram-bot's `bot_data`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from telegram.ext import CallbackContext, ExtBot

from bot.alerts import AdminAlerter
from bot.config import Settings
from scheduling.dispatcher import Dispatcher
from scheduling.ports import Clock
from storage.db import Database


@dataclass(slots=True)
class Services:
    settings: Settings
    database: Database
    clock: Clock
    started_at: datetime
    dispatcher: Dispatcher
    alerter: AdminAlerter


class BotData:
    """python-telegram-bot's `bot_data`, typed: set once in post-init, read by every handler."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are set in post_init, before any update is handled")
        return self._services

    @services.setter
    def services(self, services: Services) -> None:
        self._services = services


Context: TypeAlias = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
