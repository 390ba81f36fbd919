"""A dispatcher process for tests/storage/test_dispatch_processes.py: the real store and
dispatcher on its own engine, with a notifier that appends each reminder id to a file.

    python -m tests.storage.dispatch_worker URL OUT --now ISO [--delay S] [--ready P --go P]

Each id is written and flushed before `deliver` returns, so the file holds every message the
process "sent", even if it is killed the next instant. Prints the report as JSON at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import TextIO

from scheduling.dispatcher import Dispatcher, DispatchPolicy
from scheduling.model import Reminder
from storage.db import Database
from storage.outbox import SqlReminderStore


class FileNotifier:
    """Delivers a reminder by appending its id to a file."""

    def __init__(self, out: TextIO, delay: float) -> None:
        self._out = out
        self._delay = delay

    async def deliver(self, reminder: Reminder) -> int:
        await asyncio.sleep(self._delay)  # the time a sendMessage takes
        self._out.write(f"{reminder.id}\n")
        self._out.flush()  # in the kernel's hands now: survives SIGKILL
        return reminder.id


def wait_for(path: Path) -> None:
    """The starting signal comes from another process: a file appearing."""
    while not path.exists():
        time.sleep(0.002)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--worker", default=f"worker-{os.getpid()}")
    parser.add_argument("--ready", type=Path, help="touch this once connected")
    parser.add_argument("--go", type=Path, help="start dispatching once this exists")
    args = parser.parse_args()

    database = Database.connect(args.url)
    try:
        store = SqlReminderStore(database.sessions)
        await store.next_due_at()  # connect now, so both processes start on an equal footing
        if args.ready:
            args.ready.touch()
        if args.go:
            await asyncio.to_thread(wait_for, args.go)
        with args.out.open("a", encoding="utf-8") as out:
            dispatcher = Dispatcher(
                store,
                FileNotifier(out, args.delay),
                lambda: args.now,
                policy=DispatchPolicy(),
                worker=args.worker,
            )
            report = await dispatcher.run_once()
        print(json.dumps(dataclasses.asdict(report)))
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
