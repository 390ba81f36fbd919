"""Real dispatcher processes (tests/storage/dispatch_worker.py) on a real database: two at
once on PostgreSQL never send a row twice, and one killed with SIGKILL mid-batch loses
nothing when restarted, repeating only what was in flight."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scheduling.dispatcher import DispatchPolicy
from scheduling.model import ReminderKind
from storage.db import Database, upgrade_database
from storage.models import ReminderRow
from tests.storage.conftest import admin_execute
from tests.storage.test_outbox import add_many, add_patients, pending_row

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
POLICY = DispatchPolicy()  # what the worker runs with
POLLS = 6_000  # of 5 ms: give up after 30 s
KINDS = (ReminderKind.DOSE, ReminderKind.FOLLOW_UP, ReminderKind.PREP, ReminderKind.CHECK_IN)


async def seed(url: str, *, patients: int, per_patient: int) -> set[int]:
    """Due reminders for `patients` patients; returns their ids."""
    database = Database.connect(url)
    try:
        patient_ids = await add_patients(database.sessions, patients)
        await add_many(
            database.sessions,
            [
                pending_row(patient_id, KINDS[n % len(KINDS)], NOW - timedelta(seconds=n))
                for patient_id in patient_ids
                for n in range(per_patient)
            ],
        )
        async with database.sessions() as session:
            return set(await session.scalars(sa.select(ReminderRow.id)))
    finally:
        await database.dispose()


async def statuses(url: str) -> dict[int, str]:
    database = Database.connect(url)
    try:
        async with database.sessions() as session:
            rows = await session.execute(sa.select(ReminderRow.id, ReminderRow.status))
            return {reminder_id: status for reminder_id, status in rows}
    finally:
        await database.dispose()


async def spawn(
    url: str, out: Path, *, now: datetime, **options: Any
) -> asyncio.subprocess.Process:
    arguments = [f"--now={now.isoformat()}"]
    arguments += [f"--{name}={value}" for name, value in options.items()]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.storage.dispatch_worker",
        url,
        str(out),
        *arguments,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process) -> dict[str, int]:
    """Wait for a worker to end well; its report."""
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    report: dict[str, int] = json.loads(stdout.decode().strip().splitlines()[-1])
    return report


def sent_ids(path: Path) -> list[int]:
    if not path.exists():
        return []
    return [int(line) for line in path.read_text().split()]


async def until(condition: Callable[[], bool]) -> None:
    """Poll another process's progress (files it writes) until `condition()` holds."""
    for _ in range(POLLS):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise TimeoutError("the worker made no progress")


def duplicates(ids: Sequence[int]) -> set[int]:
    return {reminder_id for reminder_id, count in Counter(ids).items() if count > 1}


@pytest.mark.postgres
async def test_two_dispatcher_processes_on_one_postgres_database_never_send_a_row_twice(
    postgres_session_url: str, tmp_path: Path
) -> None:
    """Two bot processes started together on a few thousand due rows: FOR UPDATE SKIP LOCKED
    hands each row to one of them; together they send every row once."""
    url = postgres_session_url
    await admin_execute(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await upgrade_database(url)
    all_ids = await seed(url, patients=400, per_patient=10)
    go = tmp_path / "go"
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    readies = [tmp_path / "a.ready", tmp_path / "b.ready"]
    workers = [
        await spawn(url, out, now=NOW, delay=0.005, ready=ready, go=go, worker=out.stem)
        for out, ready in zip(outs, readies, strict=True)
    ]
    await until(lambda: all(ready.exists() for ready in readies))
    go.touch()
    reports = [await finish(worker) for worker in workers]

    first, second = (sent_ids(out) for out in outs)
    print(f"\ntwo processes: {len(first)} + {len(second)} of {len(all_ids)}")
    assert duplicates(first) == duplicates(second) == set()
    assert set(first) & set(second) == set()
    assert set(first) | set(second) == all_ids
    assert all(ids for ids in (first, second)), "both processes should have taken a share"
    assert sum(report["sent"] for report in reports) == len(all_ids)
    assert set((await statuses(url)).values()) == {"sent"}


async def test_a_dispatcher_killed_mid_batch_loses_nothing_and_repeats_only_what_was_in_flight(
    tmp_path: Path,
) -> None:
    """SIGKILL while a batch is being sent, then a new process once the lease has run out:
    every reminder is sent, and the only repeats are messages sent but not yet recorded."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    await upgrade_database(url)
    all_ids = await seed(url, patients=300, per_patient=10)
    out = tmp_path / "sent.txt"

    victim = await spawn(url, out, now=NOW, delay=0.02)
    await until(lambda: len(sent_ids(out)) >= 400)
    victim.send_signal(signal.SIGKILL)
    await victim.wait()
    assert victim.returncode == -signal.SIGKILL, "finished before it could be killed"

    before = sent_ids(out)
    at_kill = await statuses(url)
    in_flight = {reminder_id for reminder_id in before if at_kill[reminder_id] == "claimed"}
    claimed_unsent = {i for i, status in at_kill.items() if status == "claimed"} - set(before)
    assert claimed_unsent, "the kill should land in the middle of a batch"
    assert Counter(at_kill.values())["pending"] > 0
    assert len(in_flight) <= POLICY.record_every + POLICY.concurrency

    await finish(await spawn(url, out, now=NOW + POLICY.lease + timedelta(seconds=1)))

    after = sent_ids(out)
    print(
        f"\nkilled after {len(before)} sent, {len(in_flight)} of them unrecorded,"
        f" {len(claimed_unsent)} claimed and not sent; repeated {len(duplicates(after))}"
    )
    assert set(after) == all_ids  # none lost
    assert duplicates(after) == in_flight  # repeats: only the unrecorded ones, once each
    assert max(Counter(after).values()) <= 2
    assert set((await statuses(url)).values()) == {"sent"}
