"""Driving the dispatcher from python-telegram-bot's JobQueue: one short repeating tick.

APScheduler holds this single job, never one per patient: every reminder lives in the
database, so a skipped or late tick delays nothing by more than one interval and loses nothing.
"""

from __future__ import annotations

import logging

from bot.services import Context

log = logging.getLogger(__name__)
JOB_NAME = "dispatch"


async def dispatch_due(context: Context) -> None:
    """Send every reminder that is due now (passes never overlap)."""
    services = context.bot_data.services
    # The dispatcher touches the health heartbeat as it goes (bot/app.py: `on_progress`).
    report = await services.dispatcher.run_once()
    if report.total:
        log.info("dispatched: %s", report)


def schedule_dispatching(job_queue: object, interval_seconds: float) -> None:
    """Run `dispatch_due` now and then every `interval_seconds`."""
    from telegram.ext import JobQueue

    assert isinstance(job_queue, JobQueue)
    job_queue.run_repeating(
        dispatch_due,
        interval=interval_seconds,
        first=0,
        name=JOB_NAME,
        # One pass at a time; a late tick still runs (a pass is never worth skipping).
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
