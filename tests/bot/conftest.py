"""Fixtures that run the real bot against the fake Bot API, with a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi, run_fake_bot_api
from bot.devtools.harness import RunningBot, running_bot, settings_for_fake
from bot.devtools.patient import Patient

START = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with run_fake_bot_api() as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def running(
    fake: FakeBotApi, clock: ManualClock, database_url: str
) -> AsyncIterator[RunningBot]:
    settings = settings_for_fake(fake, database_url, admin_ids="4242")
    async with running_bot(fake, settings, clock=clock) as bot:
        yield bot


@pytest.fixture
def patient(fake: FakeBotApi, running: RunningBot) -> Patient:
    return fake.patient(first_name="Ann")
