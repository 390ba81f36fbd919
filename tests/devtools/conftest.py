"""Fixtures for the fake Bot API tests: a running fake server and a real PTB Bot pointed at it."""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.devtools.fake_bot_api import DEFAULT_TOKEN, FakeBotApi, run_fake_bot_api


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # httpx loads the CA bundle for every client even for plain http (~80 ms per Bot); share one.
    return ssl.create_default_context()


def make_bot(fake: FakeBotApi, token: str = DEFAULT_TOKEN) -> Bot:
    """A real PTB Bot talking to `fake`."""
    return Bot(
        token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(httpx_kwargs={"verify": _tls_context()}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": _tls_context()}),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with run_fake_bot_api() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with make_bot(fake) as bot:
        yield bot
