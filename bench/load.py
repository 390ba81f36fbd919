"""Load benchmark: the real bot process (`python -m bot`, SQLite) against the fake Bot API.

Both run as their own processes on loopback; the databases are seeded with the real migrations
(`storage.db.upgrade_database`) and then bulk rows (sqlite3 executemany, as `bench/dispatch.py`
does). Measures:

1. Button presses handled per second: N patients, each with their Week 0 plan as the real
   planner stores it, as it stands a minute after the dose reminder went out (heads-up, prep
   and dose reminder sent, the follow-ups of the next two days pending) and the reminder shown
   through the fake's Bot API; all press "Injected" through the fake's control API (bounded
   concurrency), so each press, like a real one, deletes the follow-ups and writes the next
   dose's plan. Handled = the dose written
   (`doses.recorded_at`) and the confirmation the fake received: the reminder edited to show
   the dose recorded and "Next dose: …" (or, if that edit failed, a "Recorded. Next dose: …"
   message). The bot as
   built (TelegramRateLimiter: replies go out at once) against the same bot with no rate
   limiter and with python-telegram-bot's AIORateLimiter (`bench/_load_worker.py`).
2. Idle RSS and CPU of the bot process with 10k and 100k patients seeded (each with a month of
   pending reminders, none due during the run): VmRSS after start-up settles, VmHWM, and
   (utime + stime) over the idle window.
3. Delivery under Telegram's limits: 10k patients with a dose reminder due now, the fake run
   with `--rate-limit` (30 sends/s overall, 1/s per chat): sendMessage answered 200 per second
   over a fixed window after a warm-up, as a share of 30/s, and every 429 the fake answered;
   the bot as built against the same bot with AIORateLimiter(max_retries=0).

Not part of the test suite. Everything lives in a temporary directory removed at the end. Run:

    .venv/bin/python -m bench.load            # the full run
    .venv/bin/python -m bench.load --quick    # a smoke run, under 2 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench._dispatch_worker import (
    _PATIENT_COLUMNS,
    _REMINDER_COLUMNS,
    TELEGRAM_ID_BASE,
    _insert,
    _loading,
    database_url,
    populate_month,
    sqlite_instant,
)
from bench.dispatch import count, mb, median, spread, table, verdict
from scheduling.model import (
    DELIVERY_PRIORITY,
    Course,
    MaintenanceMode,
    PatientStatus,
    PlannedReminder,
    ReminderKind,
    ReminderSettings,
)
from scheduling.planner import PlanFacts, plan_window

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7012345678:AAFakeTokenShapedLikeARealOne_12345"
PRESS_TARGET = 300.0
RSS_TARGET_MB = 150.0
DELIVERY_TARGET = 0.95
TELEGRAM_RATE = 30.0
FULL = {
    "press_patients": 1000,
    "press_background": 10_000,
    "press_runs": 3,
    "idle_sizes": (10_000, 100_000),
    "idle_month": True,
    "idle_seconds": 20.0,
    "delivery_patients": 10_000,
    "delivery_window": 60.0,
}
QUICK = {
    "press_patients": 300,
    "press_background": 2_000,
    "press_runs": 1,
    "idle_sizes": (10_000, 100_000),
    "idle_month": False,
    "idle_seconds": 8.0,
    "delivery_patients": 10_000,
    "delivery_window": 15.0,
}
WARM_UP = 5.0
CONCURRENCY = 32
CLK_TCK = os.sysconf("SC_CLK_TCK")


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_", "ADMIN_", "WEBHOOK_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONWARNINGS"] = "ignore"
    return env


# --- processes -----------------------------------------------------------------------------


def _stop(process: subprocess.Popen[Any], timeout: float = 20) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


@contextmanager
def fake_api(*, rate_limit: bool) -> Iterator[str]:
    """The fake Bot API process; yields its http://127.0.0.1:PORT root."""
    command = [sys.executable, "-m", "bot.devtools.fake_bot_api", "--port", "0", "--token", TOKEN]
    if rate_limit:
        command.append("--rate-limit")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("FAKE_BOT_API_PORT="):
            raise RuntimeError(f"the fake Bot API did not start: {line!r}")
        yield f"http://127.0.0.1:{line.split('=', 1)[1]}"
    finally:
        _stop(process)


@contextmanager
def bot_process(fake: str, db: Path, work: Path, *, limiter: str = "built") -> Iterator[int]:
    """`python -m bot` (or a variant with another rate limiter: `none`, `aio`) until its log
    says it is ready; its pid."""
    env = _env()
    env["BENCH_LIMITER"] = limiter
    data_dir = work / f"data-{db.stem}"
    data_dir.mkdir(exist_ok=True)
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"{fake}/bot",
        DATABASE_URL=database_url(db),
        DATA_DIR=str(data_dir),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    log_path = work / f"bot-{db.stem}.log"
    module = "bot" if limiter == "built" else "bench._load_worker"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module], env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while "bot ready as" not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log_path.read_text().splitlines()[-15:])
                raise RuntimeError(f"the bot did not start:\n{tail}")
            time.sleep(0.1)
        yield process.pid
    finally:
        _stop(process)


def machine_times() -> tuple[int, int]:
    """(stolen, all) CPU time of the machine since boot, in ticks (/proc/stat): what the
    hypervisor gave to other guests while this one wanted to run, a shared machine's slow spells."""
    with open("/proc/stat") as stat:
        ticks = [int(field) for field in stat.readline().split()[1:9]]
    return ticks[7], sum(ticks)  # user nice system idle iowait irq softirq steal


def proc_sample(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM (MB) and utime+stime (s) of a process."""
    values: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    values["cpu_s"] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return values


# --- seeding -------------------------------------------------------------------------------


def _patient_rows(
    count: int, first_dose: str | None, reminder_time: str = "09:00:00.000000"
) -> Iterator[tuple[Any, ...]]:
    created = sqlite_instant(datetime.now(UTC) - timedelta(days=90))
    for patient_id in range(1, count + 1):
        telegram_id = TELEGRAM_ID_BASE + patient_id
        yield (
            patient_id, telegram_id, telegram_id, "active", "UTC", reminder_time,
            "22:00:00.000000", "08:00:00.000000", 1, 1, 360, "monthly", first_dose, 0, "[]",
            "en", created, None, None, created, created,
        )  # fmt: skip


def dose_one_plan(dose_at: datetime) -> list[PlannedReminder]:
    """What the real planner stores for a patient whose Week 0 dose is at `dose_at` (UTC, the
    patients' reminder time, default quiet hours), as `_patient_rows` describes them, planned
    then: heads-up, prep, the dose reminder and its follow-ups of the next two days."""
    settings = ReminderSettings(time_zone="UTC", reminder_time=dose_at.time())
    course = Course(mode=MaintenanceMode.MONTHLY, first_dose_date=dose_at.date())
    facts = PlanFacts(status=PatientStatus.ACTIVE, course=course, settings=settings)
    return plan_window(facts, now=dose_at - timedelta(days=7)).reminders


# Seeded reminder ids: patient p's plan takes p * ID_STRIDE + 0, 1, 2, ... (a plan has fewer).
ID_STRIDE = 100


def dose_reminder_id(patient_id: int, plan: list[PlannedReminder]) -> int:
    """The id `seed_doses` gives the patient's dose reminder: the one whose buttons are pressed."""
    index = next(i for i, planned in enumerate(plan) if planned.kind is ReminderKind.DOSE)
    return patient_id * ID_STRIDE + index


def seed_doses(
    db: Path,
    patients: int,
    with_reminder: int,
    messages: dict[int, int],
    plan: list[PlannedReminder],
) -> None:
    """`patients` active patients whose Week 0 dose is due when `plan` (`dose_one_plan`) says,
    a minute ago; the first `with_reminder` have that plan stored (ids: `ID_STRIDE`).

    Stored as it stands for a patient about to press "Injected" on time: what fell due went
    out (the heads-up, the prep reminder, and the dose reminder, whose message id is in
    `messages`, by patient id; without one it is still `pending` and the dispatcher sends it),
    and the dose's follow-ups wait, pending. So a press, like a real one, deletes those and
    writes the next dose's plan.
    """
    now = datetime.now(UTC)
    dose_at = next(planned.due_at for planned in plan if planned.kind is ReminderKind.DOSE)
    assert len(plan) < ID_STRIDE
    created = sqlite_instant(now - timedelta(days=1))

    def reminders() -> Iterator[tuple[Any, ...]]:
        for patient_id in range(1, with_reminder + 1):
            message_id = messages.get(patient_id)
            for index, planned in enumerate(plan):
                if planned.kind is ReminderKind.DOSE:
                    went_out, message = message_id is not None, message_id
                else:
                    went_out, message = planned.due_at <= now, None
                due = sqlite_instant(planned.due_at)
                expires = None if planned.expires_at is None else sqlite_instant(planned.expires_at)
                yield (
                    patient_id * ID_STRIDE + index, patient_id, planned.kind.value,
                    planned.dose_number, due, expires,
                    "sent" if went_out else "pending", DELIVERY_PRIORITY[planned.kind],
                    1 if went_out else 0, None, None, message, None, None,
                    due if went_out else None, created,
                )  # fmt: skip

    reminder_time = dose_at.time().isoformat(timespec="microseconds")
    with _loading(db) as connection:
        _insert(
            connection,
            "patients",
            _PATIENT_COLUMNS,
            _patient_rows(patients, dose_at.date().isoformat(), reminder_time),
        )
        _insert(connection, "reminders", _REMINDER_COLUMNS, reminders())


def minute_ago() -> datetime:
    """The whole minute before now (UTC): when the seeded patients' dose reminder fell due."""
    return (datetime.now(UTC) - timedelta(minutes=1)).replace(second=0, microsecond=0)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def seed_idle(db: Path, patients: int, month: bool) -> None:
    """`patients` patients; with `month`, 12 pending reminders each over a month that starts
    in 2027 (nothing falls due during the run), else one such reminder each."""
    if month:
        populate_month(db, patients * 12)
        return
    due = sqlite_instant(datetime(2027, 3, 1, 9, tzinfo=UTC))

    def reminders() -> Iterator[tuple[Any, ...]]:
        for patient_id in range(1, patients + 1):
            yield (
                patient_id, patient_id, ReminderKind.DOSE.value, 1, due, None, "pending",
                DELIVERY_PRIORITY[ReminderKind.DOSE], 0, None, None, None, None, None, None, due,
            )  # fmt: skip

    with _loading(db) as connection:
        _insert(connection, "patients", _PATIENT_COLUMNS, _patient_rows(patients, None))
        _insert(connection, "reminders", _REMINDER_COLUMNS, reminders())


def scalar(db: Path, sql: str) -> Any:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


# --- the fake's HTTP API, from this process --------------------------------------------------


async def bounded(jobs: Sequence[Any], limit: int = CONCURRENCY) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(one(job) for job in jobs))


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with session.post(url, json=body) as response:
        response.raise_for_status()
        return await response.json()


async def add_users(fake: str, patients: int) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{fake}/_control/add_user"
        await bounded(
            [_post(session, url, {"user_id": TELEGRAM_ID_BASE + p}) for p in range(1, patients + 1)]
        )


async def show_dose_messages(
    fake: str, patients: int, plan: list[PlannedReminder]
) -> dict[int, int]:
    """Add the users and post each a dose reminder with its buttons, as the bot's notifier
    would; patient id -> message id (the buttons name `dose_reminder_id`)."""
    from bot.keyboards import inline_keyboard
    from bot.reminder_messages import dose_keyboard

    await add_users(fake, patients)

    async def send(session: aiohttp.ClientSession, patient_id: int) -> tuple[int, int]:
        markup = inline_keyboard(dose_keyboard(dose_reminder_id(patient_id, plan), None))
        assert markup is not None
        body = {
            "chat_id": TELEGRAM_ID_BASE + patient_id,
            "text": "Time for dose 1 today.",
            "reply_markup": json.dumps(markup.to_dict()),
        }
        answer = await _post(session, f"{fake}/bot{TOKEN}/sendMessage", body)
        return patient_id, int(answer["result"]["message_id"])

    async with aiohttp.ClientSession() as session:
        return dict(await bounded([send(session, p) for p in range(1, patients + 1)]))


async def press_all(
    fake: str, messages: dict[int, int], plan: list[PlannedReminder]
) -> tuple[float, float, int]:
    """Press "Injected" on every message; (first press, last press accepted, errors)."""
    errors = 0

    async def press(session: aiohttp.ClientSession, patient_id: int, message_id: int) -> None:
        nonlocal errors
        body = {
            "user_id": TELEGRAM_ID_BASE + patient_id,
            "message_id": message_id,
            "callback_data": f"dose:done:{dose_reminder_id(patient_id, plan)}",
        }
        try:
            await _post(session, f"{fake}/_control/press_button", body)
        except aiohttp.ClientError:
            errors += 1

    async with aiohttp.ClientSession() as session:
        started = time.time()
        await bounded([press(session, p, m) for p, m in messages.items()])
        return started, time.time(), errors


async def fake_calls(fake: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session,
        session.get(f"{fake}/_control/calls") as response,
    ):
        calls: list[dict[str, Any]] = json.loads(await response.text())
        return calls


# --- the measurements ----------------------------------------------------------------------


def wait_for(db: Path, sql: str, target: int, *, stall: float, cap: float) -> int:
    """Poll `sql` until it reaches `target`, or stops moving for `stall` s, or `cap` s pass."""
    deadline = time.monotonic() + cap
    last, moved = -1, time.monotonic()
    while True:
        value = int(scalar(db, sql))
        now = time.monotonic()
        if value != last:
            last, moved = value, now
        if value >= target or now - moved > stall or now > deadline:
            return value
        time.sleep(0.2)


def is_confirmation(call: dict[str, Any]) -> bool:
    """Whether a logged Bot API call confirmed a press to its patient (see the module doc)."""
    text = str(call["params"].get("text", ""))
    if call.get("status") != 200:
        return False
    if call["method"] == "editMessageText":
        return "\nNext dose: " in text
    return call["method"] == "sendMessage" and text.startswith("Recorded. ")


def measure_presses(work: Path, run: int, patients: int, background: int, limiter: str) -> dict:
    db = work / f"press-{run}-{limiter}.db"
    with fake_api(rate_limit=False) as fake:
        plan = dose_one_plan(minute_ago())
        messages = asyncio.run(show_dose_messages(fake, patients, plan))
        seed_doses(db, patients + background, patients, messages, plan)
        with bot_process(fake, db, work, limiter=limiter) as pid:
            time.sleep(1.0)  # let the first dispatch pass and start-up calls finish
            cpu_before, machine_before = proc_sample(pid)["cpu_s"], machine_times()
            first, last_sent, errors = asyncio.run(press_all(fake, messages, plan))
            # The cap allows for requests with a chat_id at ≤ 30/s (one per press), then some.
            written = wait_for(
                db, "SELECT count(*) FROM doses", patients, stall=15, cap=patients / 10 + 60
            )
            cpu = proc_sample(pid)["cpu_s"] - cpu_before
            stolen, machine = (
                after - before
                for after, before in zip(machine_times(), machine_before, strict=True)
            )
            time.sleep(1.0)  # the reply follows the write
            calls = asyncio.run(fake_calls(fake))
    replies = [c["at"] for c in calls if is_confirmation(c)]
    recorded = [
        datetime.fromisoformat(t).replace(tzinfo=UTC).timestamp()
        for (t,) in sqlite3.connect(db).execute("SELECT recorded_at FROM doses")
    ]
    reply_span = (max(replies) - first) if replies else math.nan
    write_span = (max(recorded) - first) if recorded else math.nan
    statuses: dict[str, int] = {}
    for c in calls:
        if c["method"] != "getUpdates":
            key = f"{c['method']} {c.get('status')}"
            statuses[key] = statuses.get(key, 0) + 1
    return {
        "presses": patients,
        "press_errors": errors,
        "press_api_per_s": patients / max(last_sent - first, 1e-9),
        "writes": written,
        "replies": len(replies),
        "replies_per_s": len(replies) / reply_span if replies else 0.0,
        "writes_per_s": len(recorded) / write_span if recorded else 0.0,
        "cpu_ms_per_press": cpu * 1000 / patients,
        "steal_pct": 100 * stolen / machine if machine else 0.0,
        "calls": statuses,
    }


def measure_idle(work: Path, patients: int, month: bool, seconds: float) -> dict:
    db = work / f"idle-{patients}.db"
    started = time.perf_counter()
    seed_idle(db, patients, month)
    seeded = time.perf_counter() - started
    rows = scalar(db, "SELECT count(*) FROM reminders")
    with fake_api(rate_limit=False) as fake, bot_process(fake, db, work) as pid:
        ready = proc_sample(pid)
        time.sleep(5.0)  # start-up settles (first dispatch pass, command menus)
        before = proc_sample(pid)
        rss: list[float] = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            time.sleep(1.0)
            rss.append(proc_sample(pid)["VmRSS"])
        after = proc_sample(pid)
        wall = time.monotonic() - t0
    db.unlink()
    return {
        "patients": patients,
        "reminders": rows,
        "seed_s": seeded,
        "rss_ready_mb": ready["VmRSS"],
        "rss_idle_mb": median(rss),
        "rss_max_mb": max(rss),
        "hwm_mb": after["VmHWM"],
        "cpu_pct": 100 * (after["cpu_s"] - before["cpu_s"]) / wall,
        "startup_cpu_s": before["cpu_s"],
        "seconds": wall,
    }


def measure_delivery(work: Path, patients: int, window: float, limiter: str) -> dict:
    db = work / f"delivery-{limiter}.db"
    seed_doses(db, patients, patients, {}, dose_one_plan(minute_ago()))
    with fake_api(rate_limit=True) as fake:
        asyncio.run(add_users(fake, patients))
        with bot_process(fake, db, work, limiter=limiter):
            # The dose reminders are what the bot sends (the seeded heads-ups and preps went
            # out before it started): the window starts from its first delivery.
            sent_doses = "SELECT count(*) FROM reminders WHERE status = 'sent' AND kind = 'dose'"
            wait_for(db, sent_doses, 1, stall=60, cap=60)
            time.sleep(WARM_UP + window + 1.0)
            calls = asyncio.run(fake_calls(fake))
            sent_rows = scalar(db, sent_doses)
    sends = [c for c in calls if c["method"] == "sendMessage"]
    ok = sorted(c["at"] for c in sends if c.get("status") == 200)
    start = ok[0] + WARM_UP
    in_window = sum(start <= at < start + window for at in ok)
    rate = in_window / window
    per_second: dict[int, int] = {}
    for at in ok:
        if start <= at < start + window:
            per_second[int(at - start)] = per_second.get(int(at - start), 0) + 1
    return {
        "patients": patients,
        "window_s": window,
        "delivered_in_window": in_window,
        "rate": rate,
        "share": rate / TELEGRAM_RATE,
        "send_calls": len(sends),
        "ok": len(ok),
        "429": sum(c.get("status") == 429 for c in sends),
        "other_errors": sum(c.get("status") not in (200, 429) for c in sends),
        "429_at_s": [round(c["at"] - ok[0], 1) for c in sends if c.get("status") == 429],
        "chats_429": len({c["params"].get("chat_id") for c in sends if c.get("status") == 429}),
        "max_in_1s": max(per_second.values(), default=0),
        "min_in_1s": min(per_second.values(), default=0),
        "sent_rows": sent_rows,
    }


# --- the report ----------------------------------------------------------------------------


def rate(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.1f}/s"


LIMITERS = {
    "built": "bot as built (TelegramRateLimiter)",
    "none": "no rate limiter",
    "aio": "AIORateLimiter(max_retries=0)",
}
PRESS_LIMITERS = ("built", "none")
DELIVERY_LIMITERS = ("built", "aio")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run, under 2 minutes")
    parser.add_argument(
        "--skip", default="", help="comma list of parts to skip: press,idle,delivery"
    )
    parser.add_argument(
        "--press-runs", type=int, help="press runs per bot variant (3, or 1 with --quick)"
    )
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    if args.press_runs is not None:
        config["press_runs"] = max(1, args.press_runs)
    skip = set(filter(None, args.skip.split(",")))
    command = ".venv/bin/python -m bench.load" + (" --quick" if args.quick else "")
    if skip:
        command += f" --skip {args.skip}"
    if args.press_runs is not None:
        command += f" --press-runs {config['press_runs']}"
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    began = time.monotonic()
    press: dict[str, list[dict[str, Any]]] = {limiter: [] for limiter in PRESS_LIMITERS}
    idle: list[dict[str, Any]] = []
    delivery: list[dict[str, Any]] = []
    try:
        if "press" not in skip:
            for run in range(config["press_runs"]):
                for limiter in PRESS_LIMITERS:
                    progress(
                        f"presses run {run + 1}/{config['press_runs']}:"
                        f" {config['press_patients']:,} presses, {LIMITERS[limiter]}"
                    )
                    press[limiter].append(
                        measure_presses(
                            work, run, config["press_patients"], config["press_background"], limiter
                        )
                    )
        if "idle" not in skip:
            for size in config["idle_sizes"]:
                progress(f"idle: {size:,} patients")
                idle.append(measure_idle(work, size, config["idle_month"], config["idle_seconds"]))
        if "delivery" not in skip:
            for limiter in DELIVERY_LIMITERS:
                progress(
                    f"delivery: {config['delivery_patients']:,} due now, fake with --rate-limit,"
                    f" {LIMITERS[limiter]}"
                )
                outcome = measure_delivery(
                    work, config["delivery_patients"], config["delivery_window"], limiter
                )
                outcome["limiter"] = limiter
                delivery.append(outcome)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nbench/load.py — {'quick' if args.quick else 'full'} run")
    print(
        f"  {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" {platform.machine()}; SQLite {sqlite3.sqlite_version}; bot and fake Bot API as separate"
        f" processes on loopback; wall {time.monotonic() - began:.0f} s"
    )
    summary: list[tuple[str, str, str, str]] = []
    if press["built"]:
        print(
            f'\n1. Button presses ("Injected" on a dose reminder; {config["press_patients"]:,}'
            f" pressing + {config['press_background']:,} other patients; {CONCURRENCY} presses in"
            " flight via the control API; fake without rate limit)"
        )
        rows = []
        for limiter in PRESS_LIMITERS:
            runs = press[limiter]
            rows.append(
                [
                    LIMITERS[limiter],
                    f"{sum(r['presses'] for r in runs):,}",
                    f"{sum(r['writes'] for r in runs):,}",
                    f"{sum(r['replies'] for r in runs):,}",
                    spread([r["writes_per_s"] for r in runs], rate),
                    spread([r["replies_per_s"] for r in runs], rate),
                    spread([r["press_api_per_s"] for r in runs], rate),
                    f"{median([r['cpu_ms_per_press'] for r in runs]):.2f} ms",
                    f"{median([r['steal_pct'] for r in runs]):.1f}%",
                ]
            )
        print(
            table(
                [
                    "bot",
                    "presses",
                    "doses written",
                    "confirmations",
                    "writes/s",
                    "replies/s (handled)",
                    "presses submitted/s",
                    "bot CPU/press",
                    "CPU stolen",
                ],
                rows,
            )
        )
        built = median([r["replies_per_s"] for r in press["built"]])
        free = median([r["replies_per_s"] for r in press["none"]])
        print(f"  as built / no limiter (replies/s): {built / free:.2f}×" if free else "")
        met = sum(r["replies_per_s"] >= PRESS_TARGET for r in press["built"])
        runs = len(press["built"])
        print(f"  runs of the bot as built at ≥ {PRESS_TARGET:.0f}/s: {met} of {runs}")
        print(f"  Bot API calls, as built, last run: {press['built'][-1]['calls']}")
        summary.append(
            ("presses handled/s, bot as built", rate(built), f"≥ {PRESS_TARGET:.0f}/s",
             verdict(built >= PRESS_TARGET))
        )  # fmt: skip
    if idle:
        what = "a month of reminders (12 rows) each" if config["idle_month"] else "1 reminder each"
        print(
            f"\n2. Idle bot process ({what}, none due; 5 s settle, then"
            f" {config['idle_seconds']:.0f} s sampled)"
        )
        print(
            table(
                [
                    "patients",
                    "reminders",
                    "RSS ready",
                    "RSS idle",
                    "peak RSS",
                    "idle CPU",
                    "start-up CPU",
                ],
                [
                    [
                        count(r["patients"]),
                        count(r["reminders"]),
                        mb(r["rss_ready_mb"]),
                        mb(r["rss_idle_mb"]),
                        mb(r["hwm_mb"]),
                        f"{r['cpu_pct']:.2f}%",
                        f"{r['startup_cpu_s']:.1f} s",
                    ]
                    for r in idle
                ],
            )
        )
        if len(idle) > 1:
            print(
                "  RSS idle, largest / smallest:"
                f" {idle[-1]['rss_idle_mb'] / idle[0]['rss_idle_mb']:.2f}×"
            )
        largest = idle[-1]
        summary.append(
            (f"idle RSS, {largest['patients']:,} patients", mb(largest["rss_idle_mb"]),
             f"≤ {RSS_TARGET_MB:.0f} MB", verdict(largest["rss_idle_mb"] <= RSS_TARGET_MB))
        )  # fmt: skip
    if delivery:
        first = delivery[0]
        print(
            f"\n3. Delivery under Telegram's limits ({first['patients']:,} dose reminders due now;"
            f" fake --rate-limit: 30/s overall, 1/s per chat; {WARM_UP:.0f} s warm-up, then"
            f" {first['window_s']:.0f} s window)"
        )
        rows = []
        for d in delivery:
            rows.append(
                [LIMITERS[d["limiter"]], count(d["delivered_in_window"]), f"{d['rate']:.2f}",
                 f"{d['share']:.1%}", str(d["max_in_1s"]), str(d["min_in_1s"]),
                 count(d["send_calls"]), count(d["ok"]), count(d["429"]),
                 count(d["other_errors"]), count(d["sent_rows"])]
            )  # fmt: skip
        print(
            table(
                [
                    "bot",
                    "delivered in window",
                    "msg/s",
                    "share of 30/s",
                    "busiest 1 s",
                    "slowest 1 s",
                    "sendMessage calls",
                    "200",
                    "429",
                    "other errors",
                    "dose rows sent",
                ],
                rows,
            )
        )
        for d in delivery:
            times = d["429_at_s"]
            if times:
                print(
                    f"  {LIMITERS[d['limiter']]}: 429s at"
                    f" {min(times):.1f}–{max(times):.1f} s after the first delivery"
                    f" ({sum(t < WARM_UP for t in times)} in the warm-up);"
                    f" chats refused: {d['chats_429']}"
                )
        for d in delivery:
            name = LIMITERS[d["limiter"]]
            summary.append(
                (f"delivery, share of 30 msg/s ({name})", f"{d['share']:.1%}",
                 f"≥ {DELIVERY_TARGET:.0%}", verdict(d["share"] >= DELIVERY_TARGET))
            )  # fmt: skip
            summary.append(
                (f"429s answered by the fake ({name})", count(d["429"]), "0",
                 verdict(d["429"] == 0))
            )  # fmt: skip
    print("\nSummary")
    print(table(["figure", "value", "target", "verdict"], summary))
    print(f"\nReproduce (from the repository root): {command}")


if __name__ == "__main__":
    main()
