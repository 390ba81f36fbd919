"""Checkpointing the SQLite write-ahead log from python-telegram-bot's JobQueue, every second.

The work runs in a worker thread (`storage/wal.py`); the bot's own connection checkpoints only
past a fallback size, so a failure here is logged (by type, never by text: it could name the
file) and retried at the next tick, and delays nothing.
"""

from __future__ import annotations

import logging
import sqlite3

from bot.services import Context

log = logging.getLogger(__name__)
JOB_NAME = "wal-checkpoint"
INTERVAL_SECONDS = 1.0


async def checkpoint_wal(context: Context) -> None:
    """Copy the log's pages into the database file, as far as no reader still needs them."""
    wal = context.bot_data.services.database.wal
    if wal is None:
        return
    try:
        await wal.checkpoint()
    except sqlite3.Error as error:
        log.warning("WAL checkpoint failed (%s); retrying next second", type(error).__name__)


def schedule_wal_checkpoints(job_queue: object, interval_seconds: float = INTERVAL_SECONDS) -> None:
    """Run `checkpoint_wal` every `interval_seconds`, one at a time."""
    from telegram.ext import JobQueue

    assert isinstance(job_queue, JobQueue)
    job_queue.run_repeating(
        checkpoint_wal,
        interval=interval_seconds,
        first=interval_seconds,
        name=JOB_NAME,
        # A late tick is simply the next one: nothing is lost by skipping.
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
