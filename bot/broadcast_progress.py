"""The admin's progress message for a broadcast, edited from the counts in the database.

A repeating JobQueue job reads every broadcast still sending, so the progress survives a
restart: the message id is stored with the broadcast, the counts come from the outbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest, RetryAfter

from bot import texts
from bot.services import Context
from storage.broadcasts import Broadcast, BroadcastCounts, BroadcastRepository

log = logging.getLogger(__name__)
JOB_NAME = "broadcast-progress"
PROGRESS_INTERVAL_SECONDS = 3.0


@dataclass(slots=True)
class ShownProgress:
    """What each progress message shows now, so an unchanged text is not sent again
    (Telegram answers 400 "message is not modified"). Lost on restart, which costs one edit."""

    texts: dict[int, str] = field(default_factory=dict)


def progress_text(counts: BroadcastCounts) -> str:
    if counts.finished:
        return texts.BROADCAST_DONE.format(
            sent=counts.sent, unreachable=counts.unreachable, failed=counts.failed
        )
    return texts.BROADCAST_PROGRESS.format(sent=counts.sent, total=counts.total)


async def show_progress(
    bot: Bot, sessions: async_sessionmaker[AsyncSession], shown: ShownProgress
) -> None:
    """Edit the progress message of every broadcast being sent; close those that finished."""
    async with sessions() as session:
        broadcasts = BroadcastRepository(session)
        live = [
            (broadcast, await broadcasts.counts(broadcast.id),
             await broadcasts.progress_message_id(broadcast.id))
            for broadcast in await broadcasts.sending()
        ]  # fmt: skip
    for broadcast, counts, message_id in live:
        try:
            await _show(bot, broadcast, message_id, progress_text(counts), shown)
        except RetryAfter:
            continue  # Telegram asked to wait: the next tick edits (and finishes) instead
        if counts.finished:
            # After the final edit: if that failed for a network error, the next tick retries.
            async with sessions.begin() as session:
                await BroadcastRepository(session).finish(broadcast.id)
            shown.texts.pop(broadcast.id, None)


async def _show(
    bot: Bot, broadcast: Broadcast, message_id: int | None, text: str, shown: ShownProgress
) -> None:
    if message_id is None or shown.texts.get(broadcast.id) == text:
        return
    try:
        await bot.edit_message_text(
            text, chat_id=broadcast.admin_telegram_id, message_id=message_id
        )
    except BadRequest as error:
        # Not modified (after a restart), or the admin deleted the message: nothing to do.
        log.debug("broadcast #%d progress not edited: %s", broadcast.id, error.message)
    shown.texts[broadcast.id] = text


async def show_progress_now(context: Context) -> None:
    """The repeating job: one round of progress edits."""
    job = context.job
    shown = job.data if job is not None and isinstance(job.data, ShownProgress) else ShownProgress()
    await show_progress(context.bot, context.bot_data.services.database.sessions, shown)


def schedule_progress(
    job_queue: object, interval_seconds: float = PROGRESS_INTERVAL_SECONDS
) -> None:
    """Edit progress messages every `interval_seconds` (and right after start-up)."""
    from telegram.ext import JobQueue

    assert isinstance(job_queue, JobQueue)
    job_queue.run_repeating(
        show_progress_now,
        interval=interval_seconds,
        first=interval_seconds,
        name=JOB_NAME,
        data=ShownProgress(),
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
