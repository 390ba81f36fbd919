"""Checkpointing SQLite's write-ahead log in a worker thread, so the event loop never does.

In WAL mode a commit appends its pages to the `-wal` file. Once that holds
`wal_autocheckpoint` pages (1,000 by default), the commit that crossed the line also copies
them back into the database file and syncs both to disk: a checkpoint. The bot's connection
runs on the event loop (`storage/inline_sqlite.py`), so that commit held every patient's
update for the whole copy and its fsyncs, however slow the server's disk.

So the bot's connection checkpoints itself only past `FALLBACK_PAGES`, and `WalCheckpointer`
does the work from a worker thread with a connection of its own, every second when the bot
schedules it (`bot/app.py`). A PASSIVE checkpoint waits for no one and no one waits for it: it
copies what no open read still needs and leaves the rest for the next run. Should the worker
fall behind or stop, the fallback still bounds the log (40 MB at 4 KiB pages). Measured with
`bench/load.py`'s presses, alternated with the build before: 6% less of the bot's CPU per
press (3.68 -> 3.46 ms), 7% more presses a second.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

FALLBACK_PAGES = 10_000
WAL_AUTOCHECKPOINT_PRAGMA = f"PRAGMA wal_autocheckpoint={FALLBACK_PAGES}"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What one checkpoint found: pages in the log, and how many of them are in the database
    file now (all of them unless a reader still needs the older ones, or a write came in)."""

    wal_pages: int
    copied_pages: int

    @property
    def complete(self) -> bool:
        return self.copied_pages == self.wal_pages


class WalCheckpointer:
    """PASSIVE checkpoints of one SQLite file, each in a worker thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one checkpoint at a time; close waits for it
        self._closed = False

    async def checkpoint(self) -> Checkpoint:
        """Copy what can be copied now; sqlite3.Error if the file cannot be read."""
        return await asyncio.to_thread(self._checkpoint)

    def close(self) -> None:
        """Close the worker's connection (waits for a checkpoint under way); later calls to
        `checkpoint` fail."""
        with self._lock:
            self._closed = True
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _checkpoint(self) -> Checkpoint:
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("the checkpointer is closed")
            if self._connection is None:
                # Never the event loop's thread, but not always the same worker thread either;
                # mode=rw: a missing file is an error, not a new empty database.
                self._connection = sqlite3.connect(
                    f"{self._path.resolve().as_uri()}?mode=rw", uri=True, check_same_thread=False
                )
            row = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        _, wal_pages, copied_pages = row  # (busy: always 0 for PASSIVE, log, checkpointed)
        return Checkpoint(wal_pages=max(wal_pages, 0), copied_pages=max(copied_pages, 0))
