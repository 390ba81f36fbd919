"""A broadcast to 2,000 patients with the bot stopped abruptly halfway and started again.

In-process: the dispatcher's pass is cancelled mid-batch (deliveries in flight, outcomes not
yet recorded), the application is shut down, and a new one starts on the same database. The
outbox guarantees the rest: rows claimed by the dead pass come back when their lease ends, and
the unique (patient, broadcast) row means no second copy is ever queued. The only repeats
possible are rows Telegram accepted but the dead pass had not recorded yet; the test checks
that every repeat is one of those, and that nobody is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.broadcast_progress import ShownProgress, show_progress
from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi, run_fake_bot_api
from bot.devtools.harness import RunningBot, running_bot, settings_for_fake
from storage.broadcasts import BroadcastRepository
from storage.models import PatientRow, ReminderRow
from tests.bot.conftest import START
from tests.bot.test_broadcast import (
    ADMIN,
    BLOCKED,
    FLOOD_LIMITS,
    NEVER_CONSENTED,
    REACHABLE,
    SPEEDUP,
    UNREACHABLE,
    deliver_with_progress,
    received,
    seed_audience,
    speed_up_client_limiter,
    start_broadcast,
)

KILL_AFTER_ACCEPTED = 900  # messages Telegram took before the bot dies


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with run_fake_bot_api(rate_limit=FLOOD_LIMITS) as server:
        server.add_user("Admin", user_id=ADMIN)
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


async def tick(clock: ManualClock) -> None:
    """The bot's clock runs at the fake's compressed pace, so outcomes are recorded each
    simulated second as in production (DispatchPolicy.record_within)."""
    while True:
        await asyncio.sleep(1 / SPEEDUP)
        clock.advance(timedelta(seconds=1))


async def claimed_chats(running: RunningBot) -> set[int]:
    async with running.services.database.sessions() as session:
        rows = await session.scalars(
            select(PatientRow.chat_id)
            .join(ReminderRow, ReminderRow.patient_id == PatientRow.id)
            .where(ReminderRow.status == "claimed")
        )
        return set(rows)


async def test_restart_halfway_loses_nothing_and_repeats_only_in_flight(
    fake: FakeBotApi, clock: ManualClock, tmp_path: Path
) -> None:
    settings = settings_for_fake(
        fake, f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}", admin_ids=str(ADMIN)
    )
    admin = fake.patient(user_id=ADMIN)
    assert fake.rate_limiter is not None
    async with running_bot(fake, settings, clock=clock) as first:
        speed_up_client_limiter(first)
        await seed_audience(first, fake)
        progress_id = await start_broadcast(first, admin, recipients=2_001)
        policy = first.services.dispatcher.policy
        shown = ShownProgress()
        ticker = asyncio.create_task(tick(clock))
        dispatching = asyncio.create_task(first.dispatch())
        while fake.rate_limiter.accepted < KILL_AFTER_ACCEPTED:
            assert not dispatching.done()
            await show_progress(first.application.bot, first.services.database.sessions, shown)
            await asyncio.sleep(0.05)
        for task in (dispatching, ticker):  # the kill: mid-batch, deliveries in flight
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        in_flight = await claimed_chats(first)
        before = received(fake, REACHABLE)
        async with first.services.database.sessions() as session:
            recorded_sent = (await BroadcastRepository(session).counts(1)).sent
    # Accepted by Telegram, not recorded as sent: these are the only possible repeats.
    unrecorded = {chat for chat in in_flight if before[chat]}
    assert 0 < recorded_sent < 2_000 and sum(before.values()) < 2_000  # really halfway
    assert len(unrecorded) <= policy.record_every + policy.concurrency

    clock.advance(policy.lease + timedelta(seconds=1))  # the dead pass's leases run out
    async with running_bot(fake, settings, clock=clock) as second:
        speed_up_client_limiter(second)
        await deliver_with_progress(second, clock, ShownProgress())  # a fresh process's state

    after = received(fake, REACHABLE)
    assert {chat for chat, count in after.items() if count == 0} == set()  # nobody missed
    assert {chat for chat, count in after.items() if count > 1} <= unrecorded
    assert max(after.values()) <= 2
    assert sum(received(fake, [BLOCKED, *NEVER_CONSENTED, UNREACHABLE]).values()) == 0
    progress = admin.chat.message(progress_id)
    assert progress is not None and progress.text == "Done: sent 2,000, unreachable 1, failed 0"
    print(f"repeated after the kill: {sum(after.values()) - 2_000} (bound {len(unrecorded)})")
