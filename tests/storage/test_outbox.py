"""The outbox behind the dispatcher (`storage.outbox.SqlReminderStore`) on SQLite and
PostgreSQL: claims by priority then age under a lease, outcomes recorded in groups, held rows
of patients who blocked the bot; and the dispatcher driving it through a burst and a restart
after hours of downtime."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling.dispatcher import Dispatcher, DispatchPolicy, DispatchReport
from scheduling.model import (
    DELIVERY_PRIORITY,
    Patient,
    PatientStatus,
    ReminderKind,
    ReminderStatus,
)
from scheduling.ports import Cancelled, Failed, Rescheduled, Sent, Unreachable
from storage.db import create_engine, is_sqlite, upgrade_database
from storage.models import PatientRow, ReminderRow
from storage.outbox import PRIORITY_LEVELS, SqlReminderStore, hold_patient_reminders, release_held
from storage.patients import PatientRepository
from tests.fakes import ManualClock, RecordingNotifier
from tests.storage.query_plans import plans_of

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
LEASE = timedelta(minutes=5)

Maker = Callable[[int], Awaitable[Patient]]
Sessions = async_sessionmaker[AsyncSession]


async def add(
    sessions: Sessions,
    patient_id: int,
    kind: ReminderKind,
    due_at: datetime,
    *,
    expires_at: datetime | None = None,
    dose_number: int | None = 1,
) -> int:
    """One pending row, as the planner (or a broadcast) writes it; returns its id."""
    async with sessions.begin() as session:
        row = ReminderRow(
            patient_id=patient_id,
            kind=kind.value,
            dose_number=dose_number,
            due_at=due_at,
            expires_at=expires_at,
            status=ReminderStatus.PENDING.value,
            priority=DELIVERY_PRIORITY[kind],
            attempts=0,
        )
        session.add(row)
        await session.flush()
        return row.id


async def rows_by_id(sessions: Sessions) -> dict[int, ReminderRow]:
    async with sessions() as session:
        return {row.id: row for row in await session.scalars(sa.select(ReminderRow))}


async def claim(
    store: SqlReminderStore, *, now: datetime = NOW, limit: int = 500, worker: str = "w1"
) -> list[int]:
    return [r.id for r in await store.claim_due(now=now, limit=limit, lease=LEASE, worker=worker)]


# --- claiming --------------------------------------------------------------------------------


async def test_claims_go_by_priority_then_age(sessions: Sessions, make_patient: Maker) -> None:
    """Doses and follow-ups first, then prep, then heads-up and check-ins, broadcasts last;
    oldest first within a level; nothing that is not due yet."""
    patient = await make_patient(1)
    pid = patient.id
    broadcast = await add(
        sessions, pid, ReminderKind.BROADCAST, NOW - timedelta(days=1), dose_number=None
    )
    check_in = await add(sessions, pid, ReminderKind.CHECK_IN, NOW - timedelta(hours=3))
    heads_up = await add(sessions, pid, ReminderKind.HEADS_UP, NOW - timedelta(hours=4))
    prep = await add(sessions, pid, ReminderKind.PREP, NOW - MINUTE, expires_at=NOW + MINUTE)
    dose = await add(sessions, pid, ReminderKind.DOSE, NOW)
    follow_up = await add(sessions, pid, ReminderKind.FOLLOW_UP, NOW - 2 * MINUTE)
    await add(sessions, pid, ReminderKind.DOSE, NOW + timedelta(seconds=1))  # not due yet
    store = SqlReminderStore(sessions)

    first = await store.claim_due(now=NOW, limit=4, lease=LEASE, worker="w1")
    rest = await claim(store)

    assert [r.id for r in first] == [follow_up, dose, prep, heads_up]
    assert rest == [check_in, broadcast]
    assert all(r.status is ReminderStatus.CLAIMED and r.lease_until == NOW + LEASE for r in first)
    assert await claim(store) == []
    rows = await rows_by_id(sessions)
    assert {rows[i].claimed_by for i in (*[r.id for r in first], *rest)} == {"w1"}


async def test_the_priority_levels_cover_every_kind() -> None:
    assert set(PRIORITY_LEVELS) == set(DELIVERY_PRIORITY.values())
    assert list(PRIORITY_LEVELS) == sorted(PRIORITY_LEVELS)


async def test_a_claimed_row_is_claimed_again_only_after_its_lease(
    sessions: Sessions, make_patient: Maker
) -> None:
    """A worker that crashed leaves its rows claimed; they become due again at lease end,
    in their place among the pending rows (by due time)."""
    pid = (await make_patient(1)).id
    orphan = await add(sessions, pid, ReminderKind.DOSE, NOW - timedelta(minutes=10))
    store = SqlReminderStore(sessions)
    assert await claim(store, worker="crashed") == [orphan]

    older = await add(sessions, pid, ReminderKind.FOLLOW_UP, NOW - timedelta(minutes=20))
    newer = await add(sessions, pid, ReminderKind.FOLLOW_UP, NOW - timedelta(minutes=5))
    almost = NOW + LEASE - timedelta(microseconds=1)
    assert await claim(store, now=almost, limit=3, worker="w2") == [older, newer]
    assert await claim(store, now=NOW + LEASE, worker="w2") == [orphan]

    rows = await rows_by_id(sessions)
    assert rows[orphan].claimed_by == "w2"
    assert rows[orphan].lease_until == NOW + 2 * LEASE


async def test_held_rows_are_never_claimed(sessions: Sessions, make_patient: Maker) -> None:
    """A patient who blocked the bot: their rows wait, not sent and not lost, until /start."""
    blocked, other = (await make_patient(1)).id, (await make_patient(2)).id
    held = [
        await add(sessions, blocked, ReminderKind.DOSE, NOW - MINUTE),
        await add(sessions, blocked, ReminderKind.HEADS_UP, NOW + timedelta(days=1)),
    ]
    reachable = await add(sessions, other, ReminderKind.DOSE, NOW)
    async with sessions.begin() as session:
        assert await hold_patient_reminders(session, blocked) == 2
    store = SqlReminderStore(sessions)

    assert await claim(store, now=NOW + timedelta(days=30)) == [reachable]
    assert await store.next_due_at() is None

    async with sessions.begin() as session:
        assert await release_held(session, blocked) == 2
    assert await store.next_due_at() == NOW - MINUTE
    assert await claim(store) == held[:1]


async def test_next_due_at_is_the_earliest_pending_row(
    sessions: Sessions, make_patient: Maker
) -> None:
    pid = (await make_patient(1)).id
    store = SqlReminderStore(sessions)
    assert await store.next_due_at() is None
    await add(sessions, pid, ReminderKind.DOSE, NOW + timedelta(hours=2))
    soonest = NOW + timedelta(hours=1)
    await add(sessions, pid, ReminderKind.BROADCAST, soonest, dose_number=None)
    claimed = await add(sessions, pid, ReminderKind.DOSE, NOW - timedelta(hours=1))
    assert await store.next_due_at() == NOW - timedelta(hours=1)
    assert await claim(store) == [claimed]
    assert await store.next_due_at() == soonest


async def test_next_due_at_asks_every_priority_level(
    sessions: Sessions, make_patient: Maker
) -> None:
    """The earliest pending row wins whatever its priority; rows not pending never count."""
    pid = (await make_patient(1)).id
    store = SqlReminderStore(sessions)
    # One kind per level, the least urgent level due first.
    kinds = {DELIVERY_PRIORITY[kind]: kind for kind in reversed(ReminderKind)}
    assert sorted(kinds) == list(PRIORITY_LEVELS)
    by_level = {
        level: await add(
            sessions, pid, kinds[level], NOW + (len(kinds) - rank) * timedelta(hours=1)
        )
        for rank, level in enumerate(PRIORITY_LEVELS)
    }
    async with sessions.begin() as session:
        for status in (ReminderStatus.HELD, ReminderStatus.SENT, ReminderStatus.CLAIMED):
            earlier = ReminderRow(
                patient_id=pid,
                kind=ReminderKind.DOSE.value,
                dose_number=1,
                due_at=NOW - timedelta(days=1),
                status=status.value,
                priority=DELIVERY_PRIORITY[ReminderKind.DOSE],
                attempts=0,
            )
            session.add(earlier)
    # Take the earliest row out level by level, least urgent first: each level answers in turn.
    for rank, level in enumerate(reversed(PRIORITY_LEVELS)):
        assert await store.next_due_at() == NOW + (rank + 1) * timedelta(hours=1), level
        async with sessions.begin() as session:
            await session.execute(
                sa.update(ReminderRow)
                .where(ReminderRow.id == by_level[level])
                .values(status=ReminderStatus.CANCELLED.value)
            )
    assert await store.next_due_at() is None


async def test_concurrent_claims_never_share_a_row(sessions: Sessions, make_patient: Maker) -> None:
    """Claims running at the same moment (several processes on PostgreSQL) split the rows."""
    pid = (await make_patient(1)).id
    for minute in range(120):
        await add(sessions, pid, ReminderKind.DOSE, NOW - minute * MINUTE)
    store = SqlReminderStore(sessions)

    results = await asyncio.gather(*(claim(store, limit=50, worker=f"w{i}") for i in range(4)))

    claimed = [reminder_id for result in results for reminder_id in result]
    assert len(claimed) == len(set(claimed)) == 120


# --- recording outcomes ----------------------------------------------------------------------


async def test_each_outcome_is_recorded(sessions: Sessions, make_patient: Maker) -> None:
    pid = (await make_patient(1)).id
    sent, rescheduled, failed, cancelled = [
        await add(sessions, pid, kind, NOW - MINUTE)
        for kind in (
            ReminderKind.DOSE,
            ReminderKind.FOLLOW_UP,
            ReminderKind.HEADS_UP,
            ReminderKind.PREP,
        )
    ]
    store = SqlReminderStore(sessions)
    assert len(await claim(store)) == 4
    later = NOW + MINUTE

    await store.record(
        [
            Sent(sent, 8_000_000_001, later),
            Rescheduled(rescheduled, NOW + timedelta(seconds=30), 1, "TransientFailure"),
            Failed(failed, "permanent: PermanentFailure", later),
            Cancelled(cancelled, "stale", later),
        ]
    )

    rows = await rows_by_id(sessions)
    assert rows[sent].status == "sent"
    assert (rows[sent].sent_at, rows[sent].telegram_message_id) == (later, 8_000_000_001)
    assert rows[rescheduled].status == "pending"
    assert rows[rescheduled].due_at == NOW + timedelta(seconds=30)
    assert (rows[rescheduled].attempts, rows[rescheduled].last_error) == (1, "TransientFailure")
    assert (rows[failed].status, rows[failed].last_error) == (
        "failed",
        "permanent: PermanentFailure",
    )
    assert rows[cancelled].status == "cancelled"
    for row in rows.values():
        assert (row.lease_until, row.claimed_by) == (None, None)
    assert await store.next_due_at() == NOW + timedelta(seconds=30)


async def test_unreachable_marks_the_patient_and_holds_all_their_open_rows(
    sessions: Sessions, make_patient: Maker
) -> None:
    """403: the patient is unreachable since then; this row, their other claimed and pending
    rows are held; what was already sent stays sent; nobody else is touched."""
    blocked, other = (await make_patient(1)).id, (await make_patient(2)).id
    this_one = await add(sessions, blocked, ReminderKind.DOSE, NOW - MINUTE)
    in_flight = await add(sessions, blocked, ReminderKind.FOLLOW_UP, NOW - MINUTE)
    sent_meanwhile = await add(sessions, blocked, ReminderKind.HEADS_UP, NOW - MINUTE)
    future = await add(sessions, blocked, ReminderKind.CHECK_IN, NOW + timedelta(days=2))
    others = await add(sessions, other, ReminderKind.DOSE, NOW)
    store = SqlReminderStore(sessions)
    assert len(await claim(store)) == 4

    await store.record(
        [
            Unreachable(this_one, blocked, NOW),
            Sent(sent_meanwhile, 77, NOW),  # in the same group: recorded before the hold
        ]
    )

    rows = await rows_by_id(sessions)
    assert {i: rows[i].status for i in (this_one, in_flight, future)} == dict.fromkeys(
        (this_one, in_flight, future), "held"
    )
    assert rows[sent_meanwhile].status == "sent"
    assert rows[others].status == "claimed"
    async with sessions() as session:
        patients = PatientRepository(session)
        patient = await patients.get(blocked)
        assert patient is not None and patient.status is PatientStatus.UNREACHABLE
        assert await patients.unreachable_since(blocked) == NOW
        still = await patients.get(other)
        assert still is not None and still.status is PatientStatus.ONBOARDING

    # A later 403 for the same patient keeps the first instant.
    await store.record([Unreachable(this_one, blocked, NOW + timedelta(hours=1))])
    async with sessions() as session:
        assert await PatientRepository(session).unreachable_since(blocked) == NOW


async def test_a_message_sent_while_its_patient_was_held_is_recorded_as_sent(
    sessions: Sessions, make_patient: Maker
) -> None:
    """Two deliveries to one patient in flight; the first gets a 403 and holds the other,
    which Telegram had already accepted: it went out, so it is stored as sent."""
    pid = (await make_patient(1)).id
    blocked_one = await add(sessions, pid, ReminderKind.DOSE, NOW)
    delivered = await add(sessions, pid, ReminderKind.FOLLOW_UP, NOW)
    store = SqlReminderStore(sessions)
    await claim(store)
    await store.record([Unreachable(blocked_one, pid, NOW)])
    await store.record([Sent(delivered, 5, NOW)])
    rows = await rows_by_id(sessions)
    assert (rows[blocked_one].status, rows[delivered].status) == ("held", "sent")


async def test_only_claimed_rows_move(sessions: Sessions, make_patient: Maker) -> None:
    """An outcome for a row that already reached one (another worker finished it after its
    lease ran out) changes nothing, and the rest of the group is recorded."""
    pid = (await make_patient(1)).id
    finished = await add(sessions, pid, ReminderKind.DOSE, NOW)
    fine = await add(sessions, pid, ReminderKind.FOLLOW_UP, NOW)
    store = SqlReminderStore(sessions)
    await claim(store)
    await store.record([Sent(finished, 1, NOW)])

    await store.record(
        [
            Cancelled(finished, "stale", NOW),
            Rescheduled(finished, NOW + MINUTE, 1, "429"),
            Failed(finished, "gave up", NOW),
            Sent(finished, 2, NOW),
            Sent(fine, 3, NOW),
        ]
    )

    rows = await rows_by_id(sessions)
    assert (rows[finished].status, rows[finished].telegram_message_id) == ("sent", 1)
    assert rows[finished].last_error is None
    assert (rows[fine].status, rows[fine].telegram_message_id) == ("sent", 3)


async def test_a_row_deleted_by_a_replan_while_claimed_is_simply_gone(
    sessions: Sessions, make_patient: Maker
) -> None:
    """The patient confirmed the dose while its follow-up was being sent."""
    pid = (await make_patient(1)).id
    follow_up = await add(sessions, pid, ReminderKind.FOLLOW_UP, NOW)
    other = await add(sessions, pid, ReminderKind.DOSE, NOW)
    store = SqlReminderStore(sessions)
    assert sorted(await claim(store)) == sorted([follow_up, other])
    async with sessions.begin() as session:
        await session.execute(sa.delete(ReminderRow).where(ReminderRow.id == follow_up))

    await store.record([Sent(follow_up, 1, NOW), Sent(other, 2, NOW)])

    rows = await rows_by_id(sessions)
    assert follow_up not in rows
    assert rows[other].status == "sent"


async def test_an_outcome_never_moves_a_pending_or_held_row(
    sessions: Sessions, make_patient: Maker
) -> None:
    pid = (await make_patient(1)).id
    pending = await add(sessions, pid, ReminderKind.DOSE, NOW)
    store = SqlReminderStore(sessions)
    await store.record([Failed(pending, "x", NOW), Cancelled(pending, "stale", NOW)])
    assert (await rows_by_id(sessions))[pending].status == "pending"
    async with sessions.begin() as session:
        await hold_patient_reminders(session, pid)
    await store.record([Rescheduled(pending, NOW, 1, "429"), Failed(pending, "x", NOW)])
    assert (await rows_by_id(sessions))[pending].status == "held"


async def test_unreachable_for_an_erased_patient_is_ignored(
    sessions: Sessions, make_patient: Maker
) -> None:
    pid = (await make_patient(1)).id
    reminder = await add(sessions, pid, ReminderKind.DOSE, NOW)
    store = SqlReminderStore(sessions)
    await claim(store)
    async with sessions.begin() as session:
        await PatientRepository(session).erase(pid)
    await store.record([Unreachable(reminder, pid, NOW)])
    assert await rows_by_id(sessions) == {}


async def test_the_claim_is_a_range_scan_per_priority_level(tmp_path: Path) -> None:
    """Each claim query reads only the due rows of one level through the (status, priority,
    due_at) index, already in due order: no scan of the outbox, no sort.

    Checked on SQLite, whose plan does not depend on table statistics.
    """
    url = f"sqlite+aiosqlite:///{tmp_path / 'plan.db'}"
    await upgrade_database(url)
    queries = [
        "SELECT due_at, id FROM reminders WHERE status = 'pending' AND priority = 0"
        " AND due_at <= :now ORDER BY due_at, id LIMIT 500",
        "SELECT due_at, id FROM reminders WHERE status = 'claimed' AND priority = 0"
        " AND lease_until <= :now ORDER BY due_at, id LIMIT 500",
    ]
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            plans = []
            for query in queries:
                plan = await connection.execute(
                    sa.text(f"EXPLAIN QUERY PLAN {query}"), {"now": "2025-03-01 08:00:00.000000"}
                )
                plans.append(" | ".join(str(row[-1]) for row in plan))
    finally:
        await engine.dispose()
    pending, expired = plans
    assert pending == (
        "SEARCH reminders USING COVERING INDEX ix_reminders_status_priority_due_at"
        " (status=? AND priority=? AND due_at<?)"
    ), pending
    assert expired == (
        "SEARCH reminders USING INDEX ix_reminders_status_priority_due_at (status=? AND priority=?)"
    ), expired


async def test_next_due_at_probes_the_claim_index_once_per_level(tmp_path: Path) -> None:
    """`next_due_at` reads one index entry per priority level, never every pending row: each
    level's min(due_at) is a search on (status, priority, due_at) with both leading columns
    fixed, which SQLite answers with one seek.

    Checked on SQLite, whose plan does not depend on table statistics.
    """

    async def next_due(sessions: Sessions) -> None:
        assert await SqlReminderStore(sessions).next_due_at() is None

    [plan] = await plans_of(tmp_path, next_due, containing="reminders")
    searches = [line for line in plan if "reminders" in line]
    assert searches == [
        "SEARCH reminders USING COVERING INDEX ix_reminders_status_priority_due_at"
        " (status=? AND priority=?)"
    ] * len(PRIORITY_LEVELS), plan


# --- the dispatcher on the real store --------------------------------------------------------


async def add_patients(sessions: Sessions, count: int) -> list[int]:
    """`count` active patients, inserted in one statement."""
    async with sessions.begin() as session:
        result = await session.scalars(
            sa.insert(PatientRow).returning(PatientRow.id),
            [
                {
                    "telegram_user_id": 10_000 + n,
                    "chat_id": 10_000 + n,
                    "status": PatientStatus.ACTIVE.value,
                    "time_zone": "UTC",
                    "reminder_time": datetime(2025, 1, 1, 9).time(),
                    "quiet_start": datetime(2025, 1, 1, 22).time(),
                    "quiet_end": datetime(2025, 1, 1, 8).time(),
                    "maintenance_mode": "monthly",
                    "excluded_sites": [],
                }
                for n in range(count)
            ],
        )
        return list(result)


async def add_many(sessions: Sessions, rows: Sequence[dict[str, Any]]) -> None:
    async with sessions.begin() as session:
        await session.execute(sa.insert(ReminderRow), list(rows))


def pending_row(
    patient_id: int,
    kind: ReminderKind,
    due_at: datetime,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "kind": kind.value,
        "dose_number": None if kind is ReminderKind.BROADCAST else 4,
        "due_at": due_at,
        "expires_at": expires_at,
        "status": ReminderStatus.PENDING.value,
        "priority": DELIVERY_PRIORITY[kind],
        "attempts": 0,
    }


async def test_10000_reminders_due_in_the_same_second_are_each_sent_exactly_once(
    sessions: Sessions, database_url: str
) -> None:
    """A burst (1,000 patients, 10 reminders each, all due within one second) goes out in
    full through the real store: every reminder once, every patient all ten."""
    patients = await add_patients(sessions, 1_000)
    kinds = [ReminderKind.DOSE, ReminderKind.FOLLOW_UP, ReminderKind.PREP, ReminderKind.CHECK_IN]
    await add_many(
        sessions,
        [
            pending_row(
                patient_id,
                kinds[n % len(kinds)],
                NOW + timedelta(microseconds=(n * 7919 + patient_id) % 1_000_000),
            )
            for patient_id in patients
            for n in range(10)
        ],
    )
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(
        SqlReminderStore(sessions), notifier, ManualClock(NOW + timedelta(seconds=1))
    )

    started = time.perf_counter()
    report = await dispatcher.run_once()
    elapsed = time.perf_counter() - started

    backend = "sqlite" if is_sqlite(database_url) else "postgresql"
    print(f"\n10,000-reminder burst on {backend}: {elapsed:.2f} s")
    assert report == DispatchReport(sent=10_000)
    assert len(notifier.delivered_ids) == len(set(notifier.delivered_ids)) == 10_000
    assert notifier.per_patient() == Counter(dict.fromkeys(patients, 10))
    async with sessions() as session:
        counts = await session.execute(
            sa.select(ReminderRow.status, sa.func.count()).group_by(ReminderRow.status)
        )
        statuses = {status: count for status, count in counts}
        message_ids = await session.scalar(
            sa.select(sa.func.count(sa.distinct(ReminderRow.telegram_message_id)))
        )
    assert statuses == {"sent": 10_000}
    assert message_ids == 10_000


async def test_reminders_due_during_3_hours_of_downtime_go_out_at_the_next_run(
    sessions: Sessions,
) -> None:
    """Back after 3 hours: what fell due meanwhile goes out at once, most urgent first and
    oldest first within a level; a prep reminder whose dose time has passed and a check-in
    past its 24-hour window are cancelled, not sent late; nothing due later goes early."""
    down_at = NOW - timedelta(hours=3)
    p1, p2, p3, p4, p5, p6 = await add_patients(sessions, 6)
    injected_yesterday = down_at - timedelta(hours=23)

    def at(minutes: int) -> datetime:
        return down_at + timedelta(minutes=minutes)

    dose_at = at(60)
    plan = {
        "stale prep": pending_row(p1, ReminderKind.PREP, at(30), expires_at=dose_at),
        "p1 dose": pending_row(p1, ReminderKind.DOSE, dose_at),
        "stale check-in": pending_row(
            p2,
            ReminderKind.CHECK_IN,
            at(10),
            expires_at=injected_yesterday + timedelta(hours=24),
        ),
        "p3 check-in": pending_row(
            p3, ReminderKind.CHECK_IN, at(120), expires_at=at(120) + timedelta(hours=18)
        ),
        "p4 follow-up": pending_row(p4, ReminderKind.FOLLOW_UP, at(10)),
        "p4 dose": pending_row(p4, ReminderKind.DOSE, at(150)),
        "p5 heads-up": pending_row(
            p5, ReminderKind.HEADS_UP, at(5), expires_at=at(5) + timedelta(days=1)
        ),
        "broadcast": pending_row(p6, ReminderKind.BROADCAST, at(0)),
        "future dose": pending_row(p6, ReminderKind.DOSE, NOW + MINUTE),
    }
    await add_many(sessions, list(plan.values()))
    async with sessions() as session:
        names = {
            row.id: name
            for row, name in zip(
                await session.scalars(sa.select(ReminderRow).order_by(ReminderRow.id)),
                plan,
                strict=True,
            )
        }
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(
        SqlReminderStore(sessions),
        notifier,
        ManualClock(NOW),
        policy=DispatchPolicy(concurrency=1),
    )

    report = await dispatcher.run_once()

    assert report == DispatchReport(sent=6, cancelled_stale=2)
    assert [names[i] for i in notifier.delivered_ids] == [
        "p4 follow-up",
        "p1 dose",
        "p4 dose",
        "p5 heads-up",
        "p3 check-in",
        "broadcast",
    ]
    rows = await rows_by_id(sessions)
    by_name = {names[i]: row.status for i, row in rows.items()}
    assert by_name["stale prep"] == by_name["stale check-in"] == "cancelled"
    assert by_name["future dose"] == "pending"
