"""The measuring side of `bench/dispatch.py`: data generators, and one worker per measurement.

Each worker runs in a fresh process (`python -m bench._dispatch_worker <command> ...`), so the
RSS it reports is its own and not the inserting process's, and prints one `RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import random
import signal
import sqlite3
import time
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from scheduling.model import DELIVERY_PRIORITY, Reminder, ReminderKind

# --- the data ------------------------------------------------------------------------------

MONTH_START = datetime(2027, 3, 1, tzinfo=UTC)  # the scale data's "now": its first due instant
MONTH_MINUTES = 30 * 24 * 60
BURST_AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # every burst row falls due at this instant
ROWS_PER_PATIENT = 12
TELEGRAM_ID_BASE = 100_000_000  # patient N has Telegram user and chat id TELEGRAM_ID_BASE + N
BROADCASTS = 4  # one a week, each to a quarter of the patients

# SQLAlchemy's SQLite DateTime/Time storage formats: the claim compares these strings.
_SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"

# A patient's month around their monthly dose, as (kind, minutes from the dose time, minutes
# from the dose time at which it expires or None): heads-up the day before, prep 30 min before,
# the dose, follow-ups until confirmed, the check-in 6 h after and its nudge, the reaction
# follow-up. The twelfth row is a broadcast.
_PLAN: tuple[tuple[ReminderKind, int, int | None], ...] = (
    (ReminderKind.HEADS_UP, -1440, 0),
    (ReminderKind.PREP, -30, 0),
    (ReminderKind.DOSE, 0, None),
    (ReminderKind.FOLLOW_UP, 180, 1440),
    (ReminderKind.FOLLOW_UP, 1440, 2880),
    (ReminderKind.FOLLOW_UP, 2880, 4320),
    (ReminderKind.FOLLOW_UP, 4320, 5760),
    (ReminderKind.FOLLOW_UP, 5760, 7200),
    (ReminderKind.CHECK_IN, 360, 1440),
    (ReminderKind.CHECK_IN_NUDGE, 1800, 2880),
    (ReminderKind.REACTION_FOLLOW_UP, 3240, None),
)
# Offsets from UTC of the patients' zones (minutes) and their local reminder times (quarter
# hours, 07:00-21:00): due instants cluster on quarter hours, as real reminders do.
_ZONE_OFFSETS = (-300, -240, 0, 0, 60, 60, 60, 120, 120, 180, 330, 480, 540, 600)
_LOCAL_TIMES = tuple(range(7 * 60, 21 * 60 + 1, 15))
# The kinds a burst is made of (a 09:00 wave: dose reminders and follow-ups first).
_BURST_KINDS = (
    (ReminderKind.DOSE, 40),
    (ReminderKind.FOLLOW_UP, 25),
    (ReminderKind.PREP, 15),
    (ReminderKind.CHECK_IN, 10),
    (ReminderKind.HEADS_UP, 10),
)

_PATIENT_COLUMNS = (
    "id", "telegram_user_id", "chat_id", "status", "time_zone", "reminder_time", "quiet_start",
    "quiet_end", "heads_up_enabled", "prep_enabled", "check_in_delay_minutes",
    "maintenance_mode", "first_dose_date", "caregiver_injects", "excluded_sites", "language",
    "consented_at", "snoozed_until", "unreachable_since", "created_at", "updated_at",
)  # fmt: skip
_REMINDER_COLUMNS = (
    "id", "patient_id", "kind", "dose_number", "due_at", "expires_at", "status", "priority",
    "attempts", "lease_until", "claimed_by", "telegram_message_id", "broadcast_id", "last_error",
    "sent_at", "created_at",
)  # fmt: skip
_CHUNK = 50_000


def sqlite_instant(instant: datetime) -> str:
    """An aware instant as SQLAlchemy's `UtcDateTime` writes it on SQLite."""
    return instant.astimezone(UTC).strftime(_SQLITE_INSTANT)


def database_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _insert(
    connection: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterator[tuple[Any, ...]],
) -> None:
    """Bulk insert with the sqlite3 module, in chunks of executemany."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= _CHUNK:
            connection.executemany(sql, chunk)
            chunk.clear()
    if chunk:
        connection.executemany(sql, chunk)


@contextlib.contextmanager
def _loading(path: Path) -> Iterator[sqlite3.Connection]:
    """Run the real migrations, then a connection for bulk loading the reminders table.

    The table's secondary indexes are dropped for the load and rebuilt from the very SQL the
    migrations created them with (a sort instead of 1M random B-tree inserts); the schema is
    checked to be what the migrations left.
    """
    from storage.db import upgrade_database

    asyncio.run(upgrade_database(database_url(path)))
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MB: index builds stay in memory
        schema = sorted(connection.execute("SELECT type, name, sql FROM sqlite_master"))
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'reminders' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f"DROP INDEX {name}")
        with connection:
            yield connection
        for _, sql in indexes:
            connection.execute(sql)
        connection.commit()
        if sorted(connection.execute("SELECT type, name, sql FROM sqlite_master")) != schema:
            raise RuntimeError("the loaded schema differs from the migrated one")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _patients(count: int, first_dose_date: date | None) -> Iterator[tuple[Any, ...]]:
    created = sqlite_instant(MONTH_START - timedelta(days=90))
    first = None if first_dose_date is None else first_dose_date.isoformat()
    for patient_id in range(1, count + 1):
        telegram_id = TELEGRAM_ID_BASE + patient_id
        yield (
            patient_id, telegram_id, telegram_id, "active", "UTC", "09:00:00.000000",
            "22:00:00.000000", "08:00:00.000000", 1, 1, 360, "monthly", first, 0, "[]", "en",
            created, None, None, created, created,
        )  # fmt: skip


def populate_month(path: Path, size: int, seed: int = 1) -> int:
    """`size` pending reminders, ~12 per patient, spread over the month from MONTH_START.

    Runs the real migrations first. Returns the number of patients.
    """
    rng = random.Random(seed)
    patients = math.ceil(size / ROWS_PER_PATIENT)
    instants: dict[int, str] = {}

    def at(minute: int) -> str:
        text = instants.get(minute)
        if text is None:
            text = instants[minute] = sqlite_instant(MONTH_START + timedelta(minutes=minute))
        return text

    created = sqlite_instant(MONTH_START - timedelta(days=1))
    broadcast_minutes = [(7 * week + 3) * 1440 + 12 * 60 for week in range(BROADCASTS)]

    def reminders() -> Iterator[tuple[Any, ...]]:
        reminder_id = 0
        for patient_id in range(1, patients + 1):
            utc_minute = (rng.choice(_LOCAL_TIMES) - rng.choice(_ZONE_OFFSETS)) % 1440
            dose_time = rng.randrange(30) * 1440 + utc_minute
            dose_number = rng.randint(3, 40)
            for kind, offset, expiry in _PLAN:
                reminder_id += 1
                if reminder_id > size:
                    return
                due = (dose_time + offset) % MONTH_MINUTES
                expires = None if expiry is None else at(due + expiry - offset)
                yield (
                    reminder_id, patient_id, kind.value, dose_number, at(due), expires,
                    "pending", DELIVERY_PRIORITY[kind], 0, None, None, None, None, None, None,
                    created,
                )  # fmt: skip
            reminder_id += 1
            if reminder_id > size:
                return
            broadcast = patient_id % BROADCASTS
            yield (
                reminder_id, patient_id, ReminderKind.BROADCAST.value, None,
                at(broadcast_minutes[broadcast]), None, "pending",
                DELIVERY_PRIORITY[ReminderKind.BROADCAST], 0, None, None, None, broadcast + 1,
                None, None, created,
            )  # fmt: skip

    broadcasts = [
        (number, 4242, "Clinic closed on Friday.", created, "sending", 0)
        for number in range(1, BROADCASTS + 1)
    ]
    with _loading(path) as connection:
        _insert(connection, "patients", _PATIENT_COLUMNS, _patients(patients, None))
        _insert(
            connection,
            "broadcasts",
            ("id", "admin_telegram_id", "text", "created_at", "status", "total"),
            iter(broadcasts),
        )
        _insert(connection, "reminders", _REMINDER_COLUMNS, reminders())
    return patients


def populate_burst(path: Path, size: int, *, only_doses: bool = False, seed: int = 2) -> None:
    """`size` patients with one pending reminder each, all due at BURST_AT.

    With `only_doses` every row is the dose reminder for dose 1 of a patient whose Week 0 is
    today, so the real `TelegramNotifier` renders it.
    """
    rng = random.Random(seed)
    kinds = [kind for kind, _ in _BURST_KINDS]
    weights = [weight for _, weight in _BURST_KINDS]
    due = sqlite_instant(BURST_AT)
    expires = sqlite_instant(BURST_AT + timedelta(hours=1))
    created = sqlite_instant(BURST_AT - timedelta(days=1))

    def reminders() -> Iterator[tuple[Any, ...]]:
        for reminder_id in range(1, size + 1):
            kind = ReminderKind.DOSE if only_doses else rng.choices(kinds, weights)[0]
            stale_after = None if kind in (ReminderKind.DOSE,) else expires
            yield (
                reminder_id, reminder_id, kind.value, 1, due, stale_after, "pending",
                DELIVERY_PRIORITY[kind], 0, None, None, None, None, None, None, created,
            )  # fmt: skip

    first_dose = BURST_AT.date() if only_doses else None
    with _loading(path) as connection:
        _insert(connection, "patients", _PATIENT_COLUMNS, _patients(size, first_dose))
        _insert(connection, "reminders", _REMINDER_COLUMNS, reminders())


# --- measuring -----------------------------------------------------------------------------


def memory_mb() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, in MB, from /proc/self/status."""
    values: dict[str, float] = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values


def percentiles(latencies: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max of a list of seconds (empty: NaN)."""
    if not latencies:
        return {"p50": math.nan, "p95": math.nan, "max": math.nan}
    ordered = sorted(latencies)
    return {
        "p50": ordered[len(ordered) // 2],
        "p95": ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
    }


def emit(result: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(result), flush=True)


class CountingNotifier:
    """A `Notifier` that does no I/O: notes when each reminder was first handed over.

    For a burst the times live in an array preallocated by reminder id, so the bench's own
    bookkeeping does not show up as the dispatcher's RSS growth.
    """

    def __init__(self, ids_up_to: int = 0) -> None:
        self._by_id = array("d", bytes(8 * (ids_up_to + 1)))  # 0.0: not handed over yet
        self._others: dict[int, float] = {}
        self.calls = 0
        self.handed = 0
        self.duplicates = 0

    async def deliver(self, reminder: Reminder) -> int:
        self.calls += 1
        now = time.perf_counter()
        if reminder.id < len(self._by_id):
            if self._by_id[reminder.id]:
                self.duplicates += 1
                return reminder.id
            self._by_id[reminder.id] = now
        elif reminder.id in self._others:
            self.duplicates += 1
            return reminder.id
        else:
            self._others[reminder.id] = now
        self.handed += 1
        return reminder.id

    def handed_times(self) -> list[float]:
        return [t for t in self._by_id if t] + list(self._others.values())


class TimingNotifier:
    """Wraps the real notifier: notes when each reminder was handed over and when it returned."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls = 0
        self.duplicates = 0
        self.handed_at: dict[int, float] = {}
        self.sent_at: dict[int, float] = {}

    @property
    def handed(self) -> int:
        return len(self.handed_at)

    async def deliver(self, reminder: Reminder) -> int:
        self.calls += 1
        if reminder.id in self.handed_at:
            self.duplicates += 1
        self.handed_at.setdefault(reminder.id, time.perf_counter())
        message_id: int = await self._inner.deliver(reminder)
        self.sent_at.setdefault(reminder.id, time.perf_counter())
        return message_id

    def handed_times(self) -> list[float]:
        return list(self.handed_at.values())


class TimedStore:
    """Delegates to the real store, adding up the time spent in each of its methods."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.seconds = {"claim_due": 0.0, "record": 0.0}
        self.calls = {"claim_due": 0, "record": 0}

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta, worker: str
    ) -> Sequence[Reminder]:
        started = time.perf_counter()
        try:
            batch: Sequence[Reminder] = await self._inner.claim_due(
                now=now, limit=limit, lease=lease, worker=worker
            )
            return batch
        finally:
            self.seconds["claim_due"] += time.perf_counter() - started
            self.calls["claim_due"] += 1

    async def record(self, outcomes: Sequence[Any]) -> None:
        started = time.perf_counter()
        try:
            await self._inner.record(outcomes)
        finally:
            self.seconds["record"] += time.perf_counter() - started
            self.calls["record"] += 1

    async def next_due_at(self) -> datetime | None:
        due_at: datetime | None = await self._inner.next_due_at()
        return due_at


@dataclass
class SettableClock:
    """The dispatcher's clock for the scale measurement: stands where it is put."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


class RunningClock:
    """Real time, shifted: reads `at` `lead` seconds after creation and runs at real speed.

    The burst rows fall due at a fixed instant; this makes that instant a real moment, so
    latencies are measured with `time.perf_counter()`.
    """

    def __init__(self, at: datetime, lead: float) -> None:
        self.started = time.perf_counter()
        self.due_perf = self.started + lead
        self._origin = at - timedelta(seconds=lead)

    def __call__(self) -> datetime:
        return self._origin + timedelta(seconds=time.perf_counter() - self.started)


async def _status_counts(sessions: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from storage.models import ReminderRow

    async with sessions() as session:
        rows = await session.execute(
            select(ReminderRow.status, func.count()).group_by(ReminderRow.status)
        )
        return {status: count for status, count in rows}


def _plan_lines(rows: Sequence[Sequence[Any]]) -> list[str]:
    """EXPLAIN QUERY PLAN rows (id, parent, _, detail) as an indented tree."""
    depth: dict[int, int] = {0: 0}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


async def measure_month(db: Path, claims: int, backlog_claims: int, explain: bool) -> None:
    """RSS after a pass over what is due at MONTH_START, and the time to claim 500."""
    from sqlalchemy import event, select

    from scheduling.dispatcher import Dispatcher, DispatchPolicy
    from scheduling.ports import Rescheduled
    from storage.db import Database
    from storage.models import ReminderRow
    from storage.outbox import SqlReminderStore

    at_import = memory_mb()["VmRSS"]
    database = Database.connect(database_url(db))
    store = SqlReminderStore(database.sessions)
    notifier = CountingNotifier()
    clock = SettableClock(MONTH_START + timedelta(seconds=59))  # the rows due in the first minute
    policy = DispatchPolicy()
    dispatcher = Dispatcher(store, notifier, clock, policy=policy, worker="bench")
    started = time.perf_counter()
    report = await dispatcher.run_once()
    pass_seconds = time.perf_counter() - started
    after_pass = memory_mb()["VmRSS"]

    async def due_at_of_row(offset: int) -> datetime | None:
        async with database.sessions() as session:
            due_at: datetime | None = await session.scalar(
                select(ReminderRow.due_at)
                .where(ReminderRow.status == "pending")
                .order_by(ReminderRow.due_at, ReminderRow.id)
                .offset(offset)
                .limit(1)
            )
        return due_at

    async def timed_claim(now: datetime) -> tuple[float, int]:
        started = time.perf_counter()
        batch = await store.claim_due(now=now, limit=500, lease=policy.lease, worker="bench")
        elapsed = time.perf_counter() - started
        # Put them back as pending past the month: fresh rows for the next claim, and the table
        # keeps its size (untimed).
        await store.record(
            [Rescheduled(r.id, r.due_at + timedelta(days=64), 0, None) for r in batch]
        )
        return elapsed, len(batch)

    # First with the whole month overdue (start-up after downtime): every row is due.
    backlog: list[float] = []
    short_claims = 0
    backlog_now = MONTH_START + timedelta(days=31)
    for _ in range(backlog_claims):
        elapsed, count = await timed_claim(backlog_now)
        backlog.append(elapsed)
        short_claims += count < 500

    # Then steady state: "now" is where the 500th pending row falls due, so 500 (or a few
    # more) rows are due and the rest of the table lies ahead.
    steady: list[float] = []
    for _ in range(claims):
        now = await due_at_of_row(499)
        if now is None:
            break
        elapsed, count = await timed_claim(now + timedelta(microseconds=1))
        steady.append(elapsed)
        short_claims += count < 500

    plan: list[dict[str, Any]] = []
    now = await due_at_of_row(499)
    if explain and now is not None:
        # One more claim, recording the statements it runs, then their plans.
        captured: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            captured.append((statement, params))

        event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
        try:
            await store.claim_due(
                now=now + timedelta(microseconds=1), limit=500, lease=policy.lease, worker="b"
            )
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
        seen: set[str] = set()
        async with database.engine.connect() as connection:
            for statement, params in captured:
                if statement in seen or not statement.lstrip().upper().startswith(
                    ("SELECT", "UPDATE", "DELETE", "INSERT")
                ):
                    continue
                seen.add(statement)
                result = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
                plan.append({"sql": " ".join(statement.split()), "plan": _plan_lines(result.all())})

    counts = await _status_counts(database.sessions)
    await database.dispose()
    end = memory_mb()
    emit(
        {
            "rss_import_mb": at_import,
            "rss_after_pass_mb": after_pass,
            "rss_end_mb": end["VmRSS"],
            "hwm_mb": end["VmHWM"],
            "handed_in_pass": notifier.handed,
            "pass_report_total": report.total,
            "pass_seconds": pass_seconds,
            "claim_steady_s": steady,
            "claim_backlog_s": backlog,
            "short_claims": short_claims,
            "statuses": counts,
            "plan": plan,
        }
    )


async def _drive_burst(
    dispatcher: Any, clock: RunningClock, notifier: Any, size: int, cap: float
) -> tuple[float, float, int]:
    """Wake at the next due instant, as the bot's wake-up would, and run passes until every
    row was handed over (or `cap` seconds passed). Returns (pass start, pass end, passes)."""
    wake: datetime | None = await dispatcher.next_wake()
    if wake is not None:
        await asyncio.sleep(max(0.0, (wake - clock()).total_seconds()))
    first_start = time.perf_counter()
    passes = 0
    while True:
        await dispatcher.run_once()
        passes += 1
        if notifier.handed >= size or time.perf_counter() > clock.due_perf + cap:
            break
        await asyncio.sleep(0.2)  # rows put back (a retry): the next tick
    return first_start, time.perf_counter(), passes


async def measure_burst(db: Path, size: int, lead: float, cap: float, fake_url: str) -> None:
    """`size` reminders due at one instant: due → handed to the notifier, per reminder."""
    from scheduling.dispatcher import Dispatcher, DispatchPolicy
    from storage.db import Database
    from storage.outbox import SqlReminderStore

    database = Database.connect(database_url(db))
    store = TimedStore(SqlReminderStore(database.sessions))
    await store.next_due_at()  # open the connection before the clock starts
    clock = RunningClock(BURST_AT, lead)
    notifier: CountingNotifier | TimingNotifier
    bot = None
    if fake_url:
        from telegram.ext import ApplicationBuilder

        from bot.devtools.fake_bot_api import DEFAULT_TOKEN
        from bot.notifier import TelegramNotifier

        # As bot/app.py builds it, minus AIORateLimiter ("rate limiter off").
        application = ApplicationBuilder().token(DEFAULT_TOKEN).base_url(fake_url).build()
        bot = application.bot
        await bot.initialize()
        notifier = TimingNotifier(TelegramNotifier(bot, database.sessions, clock))
    else:
        notifier = CountingNotifier(ids_up_to=size)
    dispatcher = Dispatcher(store, notifier, clock, policy=DispatchPolicy(), worker="bench")
    before = memory_mb()["VmRSS"]
    pass_start, pass_end, passes = await _drive_burst(dispatcher, clock, notifier, size, cap)
    after = memory_mb()
    if bot is not None:
        await bot.shutdown()
    counts = await _status_counts(database.sessions)
    await database.dispose()
    latencies = [at - clock.due_perf for at in notifier.handed_times()]
    result: dict[str, Any] = {
        "size": size,
        "handed": notifier.handed,
        "calls": notifier.calls,
        "duplicates": notifier.duplicates,
        "handed_latency": percentiles(latencies),
        "pass_start_after_due_s": pass_start - clock.due_perf,
        "pass_end_after_due_s": pass_end - clock.due_perf,
        "passes": passes,
        "store_seconds": store.seconds,
        "store_calls": store.calls,
        "rss_before_mb": before,
        "rss_after_mb": after["VmRSS"],
        "hwm_mb": after["VmHWM"],
        "statuses": counts,
    }
    if isinstance(notifier, TimingNotifier):
        result["sent_latency"] = percentiles(
            [t - clock.due_perf for t in notifier.sent_at.values()]
        )
        result["sent"] = len(notifier.sent_at)
    emit(result)


async def measure_jobqueue(size: int, lead: float, settle: float, cap: float) -> None:
    """The same burst through python-telegram-bot's JobQueue with default settings."""
    from apscheduler.events import (  # type: ignore[import-untyped]  # no stubs
        EVENT_JOB_ERROR,
        EVENT_JOB_EXECUTED,
        EVENT_JOB_MISSED,
    )
    from telegram.ext import ApplicationBuilder, CallbackContext

    # APScheduler logs one warning per missed job; a configured bot would print them all.
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    application = ApplicationBuilder().token("123:abc").build()  # no network: never initialised
    job_queue = application.job_queue
    assert job_queue is not None
    fired_at = array("d")
    events = {"missed": 0, "executed": 0, "error": 0}

    async def remind(context: CallbackContext[Any, Any, Any, Any]) -> None:
        fired_at.append(time.perf_counter())

    def on_event(event: Any) -> None:
        if event.code == EVENT_JOB_MISSED:
            events["missed"] += 1
        elif event.code == EVENT_JOB_EXECUTED:
            events["executed"] += 1
        else:
            events["error"] += 1

    job_queue.scheduler.add_listener(
        on_event, EVENT_JOB_MISSED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
    )
    await job_queue.start()
    await asyncio.sleep(0)
    before = memory_mb()["VmRSS"]
    due_perf = time.perf_counter() + lead
    due = datetime.now(UTC) + timedelta(seconds=lead)
    started = time.perf_counter()
    for reminder_id in range(1, size + 1):
        job_queue.run_once(remind, when=due, data=reminder_id)
    calls_done = time.perf_counter()
    await asyncio.sleep(0)  # let the scheduler's wake-up callbacks, one per add_job, run
    scheduled = time.perf_counter()
    after_scheduling = memory_mb()["VmRSS"]
    slack = due_perf - scheduled
    # Until every job fired or was missed and `settle` seconds passed, or `cap` seconds.
    while True:
        now = time.perf_counter()
        if now > due_perf + cap:
            break
        if now > due_perf + settle and events["missed"] + len(fired_at) >= size:
            break
        await asyncio.sleep(0.05)
    end = time.perf_counter()
    still_queued = len(job_queue.scheduler.get_jobs())
    with contextlib.suppress(Exception):
        await job_queue.stop(wait=False)
    await asyncio.sleep(0)
    emit(
        {
            "size": size,
            "fired": len(fired_at),
            "missed_events": events["missed"],
            "error_events": events["error"],
            "still_queued": still_queued,
            "fired_latency": percentiles([at - due_perf for at in fired_at]),
            "run_once_calls_s": calls_done - started,
            "scheduling_s": scheduled - started,
            "slack_s": slack,
            "observed_until_after_due_s": end - due_perf,
            "rss_before_mb": before,
            "rss_after_scheduling_mb": after_scheduling,
            "rss_growth_per_job_kb": (after_scheduling - before) * 1024 / size,
            "hwm_mb": memory_mb()["VmHWM"],
        }
    )


async def serve_fake_api(users: int) -> None:
    """The project's fake Bot API with `users` patients, until SIGTERM; then its call counts."""
    from bot.devtools.fake_bot_api import run_fake_bot_api

    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    async with run_fake_bot_api() as fake:
        for patient_id in range(1, users + 1):
            fake.add_user("Patient", user_id=TELEGRAM_ID_BASE + patient_id)
        print(f"FAKE_BOT_API_URL={fake.base_url}", flush=True)
        await stopped.wait()
        sends = [call for call in fake.calls if call.method == "sendMessage"]
        emit(
            {
                "send_message_calls": len(sends),
                "send_message_ok": sum(call.status == 200 for call in sends),
                "chats_with_messages": len({call.params.get("chat_id") for call in sends}),
            }
        )


def populate(kind: str, db: Path, size: int) -> None:
    started = time.perf_counter()
    patients = size
    if kind == "month":
        patients = populate_month(db, size)
    else:
        populate_burst(db, size, only_doses=kind == "doses")
    emit({"patients": patients, "seconds": time.perf_counter() - started})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._dispatch_worker")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("populate", help="build a database (real migrations, bulk rows)")
    load.add_argument("kind", choices=("month", "burst", "doses"))
    load.add_argument("--db", type=Path, required=True)
    load.add_argument("--size", type=int, required=True)
    month = commands.add_parser("month", help="RSS and claim time over a month of pending rows")
    month.add_argument("--db", type=Path, required=True)
    month.add_argument("--claims", type=int, default=20)
    month.add_argument("--backlog-claims", type=int, default=5)
    month.add_argument("--explain", action="store_true")
    burst = commands.add_parser("burst", help="the outbox dispatcher on a burst")
    burst.add_argument("--db", type=Path, required=True)
    burst.add_argument("--size", type=int, required=True)
    burst.add_argument("--lead", type=float, default=1.0)
    burst.add_argument("--cap", type=float, default=60.0)
    burst.add_argument("--fake-url", default="", help="deliver through TelegramNotifier")
    jobs = commands.add_parser("jobqueue", help="the same burst through PTB's JobQueue")
    jobs.add_argument("--size", type=int, required=True)
    jobs.add_argument("--lead", type=float, required=True)
    jobs.add_argument("--settle", type=float, default=3.0)
    jobs.add_argument("--cap", type=float, default=60.0)
    fake = commands.add_parser("fake-api", help="the project's fake Bot API, until SIGTERM")
    fake.add_argument("--users", type=int, required=True)
    args = parser.parse_args(argv)

    if args.command == "populate":
        populate(args.kind, args.db, args.size)
    elif args.command == "month":
        asyncio.run(measure_month(args.db, args.claims, args.backlog_claims, args.explain))
    elif args.command == "burst":
        asyncio.run(measure_burst(args.db, args.size, args.lead, args.cap, args.fake_url))
    elif args.command == "jobqueue":
        asyncio.run(measure_jobqueue(args.size, args.lead, args.settle, args.cap))
    else:
        asyncio.run(serve_fake_api(args.users))


if __name__ == "__main__":
    main()
