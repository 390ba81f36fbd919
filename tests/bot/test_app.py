"""The real Application built by the project's factory, played through the fake Bot API."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import texts, wal_job
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.harness import RunningBot
from bot.devtools.patient import Patient
from tests.storage.test_wal import rows_in_database_file


async def test_start_is_answered_through_the_real_application(patient: Patient) -> None:
    """/start reaches the bot over HTTP long polling and the reply reaches the chat."""
    await patient.send("/start")
    reply = await patient.wait_for_message()
    assert reply.text == texts.WELCOME


async def test_commands_are_registered_at_start_up(fake: FakeBotApi, running: RunningBot) -> None:
    """Post-init registers the patient commands for the command menu."""
    commands = dict(fake.commands())
    assert {"start", "help"} <= commands.keys()


async def test_unknown_commands_get_a_hint(patient: Patient) -> None:
    """An unknown command is answered with a pointer to /help."""
    await patient.send("/frobnicate")
    assert (await patient.wait_for_message()).text == texts.UNKNOWN_COMMAND


async def test_in_a_group_the_bot_says_once_that_it_is_private_only(
    fake: FakeBotApi, running: RunningBot
) -> None:
    """In a group: one message that the bot works only in private chats, then silence."""
    group = fake.add_group("MS support group")
    member = fake.add_user("Bea")
    fake.send_text_in_group(group.id, member.id, "/start")
    await fake.wait_for(lambda: group.bot_messages)
    fake.send_text_in_group(group.id, member.id, "/help")
    fake.send_text(member.id, "/help")  # a private message after it proves the group one was read
    await fake.wait_for(lambda: fake.chat(member.id).bot_messages)
    assert [m.text for m in group.bot_messages] == [texts.PRIVATE_CHAT_ONLY]


async def test_services_are_typed_and_ready(running: RunningBot) -> None:
    """Post-init puts the typed services (settings, database, clock) into bot_data."""
    services = running.services
    assert services.settings.admin_ids == frozenset({4242})
    assert services.started_at == services.clock()


async def test_the_sqlite_log_is_checkpointed_in_the_background(
    running: RunningBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On SQLite a job copies what the bot commits into the database file within a second or
    two; when a checkpoint fails, it says so in the log and the bot carries on."""
    job_queue = running.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name(wal_job.JOB_NAME)
    database = running.services.database
    async with database.sessions.begin() as session:
        await session.execute(sa.text("CREATE TABLE filler (id INTEGER PRIMARY KEY)"))
        await session.execute(sa.text("INSERT INTO filler DEFAULT VALUES"))
    for _ in range(50):
        if rows_in_database_file(tmp_path / "bot.db", tmp_path) == 1:
            break
        await asyncio.sleep(0.1)
    assert rows_in_database_file(tmp_path / "bot.db", tmp_path) == 1

    assert database.wal is not None
    database.wal.close()
    with caplog.at_level(logging.WARNING, logger="bot.wal_job"):
        await job.run(running.application)
    assert "WAL checkpoint failed (ProgrammingError)" in caplog.text
