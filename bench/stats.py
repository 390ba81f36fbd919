"""How long /stats holds the bot's event loop on a large SQLite deployment.

/stats runs its queries on the bot's one SQLite connection, on the event loop's thread
(storage/inline_sqlite.py): while they run, no patient gets an answer and no reminder goes
out. Seeds N active patients, each with a month of reminders (`bench/load.py`'s idle seed),
marks every third reminder sent (the history every deployment accumulates), then times
`gather_stats` and each of its parts. Not part of the test suite. Run:

    .venv/bin/python -m bench.stats                 # 100,000 patients
    .venv/bin/python -m bench.stats --patients 10000
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, literal_column, select

from bench._dispatch_worker import database_url
from bench.dispatch import median
from bench.load import seed_idle
from storage import admin_queries
from storage.db import Database, upgrade_database
from storage.models import ReminderRow
from storage.patients import PatientRepository
from storage.reminders import ReminderRepository

REPEAT = 5


async def timed(run: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started


async def measure(url: str) -> dict[str, list[float]]:
    database = Database.connect(url)
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date(), day_time(), tzinfo=UTC)
    try:
        async with database.sessions() as session:
            parts: dict[str, Callable[[], Awaitable[Any]]] = {
                "gather_stats (all of /stats)": lambda: admin_queries.gather_stats(
                    session, now=now
                ),
                "patients by status": lambda: PatientRepository(session).count_by_status(),
                "overdue patients": lambda: session.scalar(
                    select(func.count()).select_from(admin_queries._overdue_doses(now).subquery())
                ),
                "reminders pending/failed": lambda: ReminderRepository(session).count_in_statuses(
                    admin_queries.SHOWN_REMINDER_STATUSES
                ),
                "reminders sent today": lambda: session.scalar(
                    select(func.count()).where(
                        and_(
                            ReminderRow.status == literal_column("'sent'"),
                            ReminderRow.sent_at >= midnight,
                        )
                    )
                ),
            }
            times: dict[str, list[float]] = {name: [] for name in parts}
            for _ in range(REPEAT):
                for name, run in parts.items():
                    times[name].append(await timed(run))
            return times
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    try:
        db = work / "stats.db"
        url = database_url(db)
        asyncio.run(upgrade_database(url))
        seed_idle(db, args.patients, True)
        with sqlite3.connect(db) as connection:
            connection.execute(
                "UPDATE reminders SET status = 'sent', sent_at = due_at WHERE id % 3 = 0"
            )
            counts = dict(
                connection.execute("SELECT status, count(*) FROM reminders GROUP BY status")
            )
        times = asyncio.run(measure(url))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"/stats on SQLite: {args.patients:,} patients, reminders {counts}"
        f" (median of {REPEAT}, seconds the event loop is held)"
    )
    for name, values in times.items():
        print(f"  {name:<30} {median(values):.3f} s  [{min(values):.3f}–{max(values):.3f}]")
    print(f"Reproduce: .venv/bin/python -m bench.stats --patients {args.patients}")


if __name__ == "__main__":
    main()
