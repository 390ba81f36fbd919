"""/broadcast end to end: the real bot, the fake Bot API enforcing Telegram's flood limits.

The rate-limited run uses compressed time: the fake's limiter counts 30 sends per simulated
second, one simulated second being 1/SPEEDUP of a real one, and python-telegram-bot's own
limiter is raised by the same factor (a bit more, so the fake does answer 429s). Otherwise
2,000 messages at 30/s would take 67 real seconds.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from telegram.ext import AIORateLimiter

from bot import texts
from bot.broadcast_progress import ShownProgress, show_progress
from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi, Fault, RateLimit, run_fake_bot_api
from bot.devtools.harness import RunningBot, running_bot, settings_for_fake
from bot.devtools.patient import Patient
from scheduling.dispatcher import DispatchReport
from scheduling.model import PatientStatus
from storage.audit import AuditLog
from storage.broadcasts import BroadcastRepository, BroadcastStatus
from storage.models import BroadcastRow
from tests.bot.conftest import START
from tests.storage.test_broadcasts import seed_patients

ADMIN = 4242
SPEEDUP = 3
MESSAGE = "The clinic is closed on Friday; reminders continue as usual."
REACHABLE = range(10_001, 12_001)  # 2,000 consented patients
BLOCKED = 12_500  # consented, then blocked the bot
NEVER_CONSENTED = (13_001, 13_002, 13_003)
UNREACHABLE = 13_500  # already marked unreachable: left out
PASS_TIMEOUT = 60.0


def compressed_time() -> float:
    return time.monotonic() * SPEEDUP


FLOOD_LIMITS = RateLimit(per_second=30, per_chat_per_second=1, clock=compressed_time)


@pytest.fixture
def rate_limit() -> RateLimit | None:
    """No limits by default; the delivery tests parametrize Telegram's."""
    return None


@pytest.fixture
async def fake(rate_limit: RateLimit | None) -> AsyncIterator[FakeBotApi]:
    async with run_fake_bot_api(rate_limit=rate_limit) as server:
        server.add_user("Admin", user_id=ADMIN)
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'broadcast.db'}"


@pytest.fixture
async def running(
    fake: FakeBotApi, clock: ManualClock, database_url: str
) -> AsyncIterator[RunningBot]:
    settings = settings_for_fake(fake, database_url, admin_ids=str(ADMIN))
    async with running_bot(fake, settings, clock=clock) as bot:
        speed_up_client_limiter(bot)
        yield bot


def speed_up_client_limiter(bot: RunningBot) -> None:
    """python-telegram-bot's limiter, paced in compressed time too (slightly over the limit)."""
    limiter = AIORateLimiter(overall_max_rate=45 * SPEEDUP, overall_time_period=1, max_retries=0)
    bot.application.bot._rate_limiter = limiter  # test-only: a private attribute


@pytest.fixture
def admin(fake: FakeBotApi, running: RunningBot) -> Patient:
    return fake.patient(user_id=ADMIN)


async def seed_audience(running: RunningBot, fake: FakeBotApi) -> None:
    sessions = running.services.database.sessions
    for user_id in [*REACHABLE, BLOCKED, *NEVER_CONSENTED, UNREACHABLE]:
        fake.add_user("Patient", user_id=user_id)
    await seed_patients(sessions, [*REACHABLE, BLOCKED])
    await seed_patients(sessions, NEVER_CONSENTED, status=PatientStatus.ONBOARDING, consented=False)
    await seed_patients(sessions, [UNREACHABLE], status=PatientStatus.UNREACHABLE)
    fake.block(BLOCKED)


async def start_broadcast(running: RunningBot, admin: Patient, recipients: int) -> int:
    """/broadcast, Send: returns the progress message's id once the rows are queued."""
    await admin.send(f"/broadcast {MESSAGE}")
    preview = await admin.wait_for_message(f"It will reach {recipients:,} patients.")
    assert preview.text is not None and texts.BROADCAST_HEADER + MESSAGE in preview.text
    await asyncio.sleep(2 / SPEEDUP)  # the admin reads the preview (the per-chat limit)
    await admin.press(texts.BUTTON_BROADCAST_SEND)
    progress = await admin.wait_for_message(texts.BROADCAST_STARTING)
    await wait_until_sending(running)
    return progress.message_id


async def wait_until_sending(running: RunningBot) -> None:
    """The Send press is handled: the rows are queued (no /help round trip, which the
    per-chat limit would refuse)."""
    for _ in range(200):
        async with running.services.database.sessions() as session:
            status = await session.scalar(select(BroadcastRow.status))
        if status == BroadcastStatus.SENDING:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the broadcast was never queued")


async def settle(admin: Patient) -> None:
    """Updates are handled in order: once /help is answered, everything before it was."""
    await admin.send("/help")
    await admin.wait_for_message(texts.HELP)


def received(fake: FakeBotApi, user_ids: object) -> Counter[int]:
    """How many times each chat got the broadcast."""
    assert isinstance(user_ids, range | list | tuple)
    return Counter(
        {
            user_id: sum(MESSAGE in (m.text or "") for m in fake.chat(user_id).bot_messages)
            for user_id in user_ids
        }
    )


async def deliver_with_progress(
    running: RunningBot, clock: ManualClock, shown: ShownProgress
) -> list[DispatchReport]:
    """Dispatcher passes until the broadcast is done, with the progress job running alongside
    (as the JobQueue runs it); after each pass the clock moves past the 429s' retry_after."""
    sessions = running.services.database.sessions
    reports = []
    for _ in range(200):
        task = asyncio.create_task(running.dispatch())
        while not task.done():
            await show_progress(running.application.bot, sessions, shown)
            await asyncio.wait({task}, timeout=0.3)
        reports.append(task.result())
        await show_progress(running.application.bot, sessions, shown)
        async with sessions() as session:
            status = await session.scalar(select(BroadcastRow.status))
        if status == BroadcastStatus.DONE:
            return reports
        clock.advance(timedelta(seconds=1))
    raise AssertionError("the broadcast never finished")


async def test_non_admin_gets_the_unknown_command_reply(
    running: RunningBot, fake: FakeBotApi
) -> None:
    """/broadcast from a patient: exactly the unknown-command reply, no draft stored."""
    patient = fake.patient(first_name="Ann")
    await patient.send("/broadcast hi")
    await patient.wait_for_message(texts.UNKNOWN_COMMAND)
    await settle(patient)
    assert [m.text for m in patient.bot_messages] == [texts.UNKNOWN_COMMAND, texts.HELP]
    async with running.services.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(BroadcastRow)) == 0


async def test_empty_broadcast_gets_a_usage_hint(running: RunningBot, admin: Patient) -> None:
    await admin.send("/broadcast   ")
    await admin.wait_for_message(texts.BROADCAST_USAGE)


async def test_cancel_sends_nothing(running: RunningBot, fake: FakeBotApi, admin: Patient) -> None:
    """Cancel keeps the preview, without buttons, and queues nothing."""
    await seed_audience(running, fake)
    await admin.send(f"/broadcast {MESSAGE}")
    await admin.wait_for_message("It will reach 2,001 patients.")
    await admin.press(texts.BUTTON_BROADCAST_CANCEL)
    await admin.wait_for_message(texts.BROADCAST_CANCELLED)
    preview = admin.bot_messages[-2]
    assert preview.text is not None and preview.text.endswith(f"✓ {texts.BUTTON_BROADCAST_CANCEL}")
    assert preview.buttons == []
    assert (await running.dispatch()).total == 0
    async with running.services.database.sessions() as session:
        assert await session.scalar(select(BroadcastRow.status)) == BroadcastStatus.CANCELLED


@pytest.mark.parametrize("rate_limit", [FLOOD_LIMITS])
async def test_broadcast_to_2000_patients_under_the_flood_limits(
    running: RunningBot, fake: FakeBotApi, admin: Patient, clock: ManualClock
) -> None:
    """Every consented, reachable patient gets it exactly once despite 429s; nobody else does;
    the progress message is edited along the way and ends with the right counts."""
    await seed_audience(running, fake)
    progress_id = await start_broadcast(running, admin, recipients=2_001)
    reports = await deliver_with_progress(running, clock, ShownProgress())

    assert set(received(fake, REACHABLE).values()) == {1}
    assert sum(received(fake, [BLOCKED, *NEVER_CONSENTED, UNREACHABLE]).values()) == 0
    assert fake.rate_limiter is not None and fake.rate_limiter.refused > 0  # 429s happened
    assert sum(report.rescheduled_429 for report in reports) > 0
    assert sum(report.sent for report in reports) == 2_000

    progress = admin.chat.message(progress_id)
    assert progress is not None
    assert progress.text == "Done: sent 2,000, unreachable 1, failed 0"
    edits = [
        output.message.text
        for output in admin.chat.outputs
        if output.kind == "edited" and output.message.message_id == progress_id
    ]
    assert any(re.fullmatch(r"[\d,]+ of 2,001 sent", text or "") for text in edits), edits
    assert len(edits) == len(set(edits))  # never the same text twice
    async with running.services.database.sessions() as session:
        entries = await AuditLog(session).latest()
        counts = await BroadcastRepository(session).counts(1)
    assert [(entry.action, entry.details["recipients"]) for entry in entries] == [
        ("broadcast", 2_001)
    ]
    assert (counts.sent, counts.unreachable, counts.failed, counts.pending) == (2_000, 1, 0, 0)


async def test_a_429_on_the_progress_edit_waits_for_the_next_tick(
    running: RunningBot, fake: FakeBotApi, admin: Patient
) -> None:
    """Telegram asking to wait is no error: the progress job skips this tick, and the next one
    shows the final counts and closes the broadcast."""
    sessions = running.services.database.sessions
    for user_id in (10_001, 10_002):
        fake.add_user("Patient", user_id=user_id)
    await seed_patients(sessions, [10_001, 10_002])
    progress_id = await start_broadcast(running, admin, recipients=2)
    assert (await running.dispatch()).sent == 2
    shown = ShownProgress()

    fake.fail_next("editMessageText", Fault.too_many_requests(retry_after=1))
    await show_progress(running.application.bot, sessions, shown)  # does not raise
    async with sessions() as session:
        assert await session.scalar(select(BroadcastRow.status)) == BroadcastStatus.SENDING

    await show_progress(running.application.bot, sessions, shown)
    async with sessions() as session:
        assert await session.scalar(select(BroadcastRow.status)) == BroadcastStatus.DONE
    progress = admin.chat.message(progress_id)
    assert progress is not None and progress.text == "Done: sent 2, unreachable 0, failed 0"
