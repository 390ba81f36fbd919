"""Fakes that implement the real ports (scheduling/ports.py), for tests of anything that
dispatches: an in-memory outbox, a scriptable notifier, an alerter and a clock you move by hand.

They keep the contract, not just the call shapes: `InMemoryReminderStore` leases, orders by
priority then due time, never hands out held rows and only moves claimed rows, as
`storage.outbox.SqlReminderStore` does (the storage tests hold the two to the same rules).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduling.model import (
    DELIVERY_PRIORITY,
    PatientStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    require_utc,
)
from scheduling.ports import (
    Cancelled,
    Failed,
    Outcome,
    PlansExtended,
    Rescheduled,
    Sent,
    Unreachable,
)


class ManualClock:
    """A `Clock` that stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = require_utc(now, "now")

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now

    def set(self, now: datetime) -> None:
        self.now = require_utc(now, "now")


@dataclass(slots=True)
class StoredReminder:
    """A row of the in-memory outbox: the domain `Reminder` plus the columns only storage has."""

    reminder: Reminder
    priority: int
    claimed_by: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None

    @property
    def status(self) -> ReminderStatus:
        return self.reminder.status

    def change(self, **fields: object) -> None:
        self.reminder = dataclasses.replace(self.reminder, **fields)  # type: ignore[arg-type]


class InMemoryReminderStore:
    """A `ReminderStore` in a dict, with the same rules as the SQL one."""

    def __init__(self) -> None:
        self.rows: dict[int, StoredReminder] = {}
        self.patient_status: dict[int, PatientStatus] = defaultdict(lambda: PatientStatus.ACTIVE)
        self.unreachable_since: dict[int, datetime] = {}
        self.recorded_groups: list[list[Outcome]] = []
        self.claims: list[list[int]] = []
        self._ids = itertools.count(1)
        self.fail_record = False  # make `record` raise, to test a broken database
        # Each `extend_plans` call: its `now`, its limit, and how many claims came before it.
        # The store holds no plans (tests add rows), so there is never anything to extend.
        self.extensions: list[tuple[datetime, int, int]] = []
        self.fail_extend = False
        self.extension_outcome = PlansExtended()  # what `extend_plans` reports

    # --- writing the plan (what storage.planning does for real) -----------------------------

    def add(
        self,
        patient_id: int,
        kind: ReminderKind,
        due_at: datetime,
        *,
        expires_at: datetime | None = None,
        dose_number: int | None = 1,
        status: ReminderStatus = ReminderStatus.PENDING,
        attempts: int = 0,
        lease_until: datetime | None = None,
    ) -> Reminder:
        reminder = Reminder(
            id=next(self._ids),
            patient_id=patient_id,
            kind=kind,
            dose_number=dose_number,
            due_at=require_utc(due_at, "due_at"),
            status=status,
            expires_at=expires_at,
            attempts=attempts,
            lease_until=lease_until,
        )
        self.rows[reminder.id] = StoredReminder(reminder, DELIVERY_PRIORITY[kind])
        return reminder

    def delete(self, reminder_id: int) -> None:
        """What a replan does to a row it no longer wants."""
        del self.rows[reminder_id]

    def get(self, reminder_id: int) -> Reminder:
        return self.rows[reminder_id].reminder

    def status_of(self, reminder_id: int) -> ReminderStatus:
        return self.rows[reminder_id].status

    def with_status(self, status: ReminderStatus) -> list[Reminder]:
        return sorted(
            (row.reminder for row in self.rows.values() if row.status is status),
            key=lambda reminder: reminder.id,
        )

    def release_held(self, patient_id: int) -> int:
        released = 0
        for row in self.rows.values():
            if row.reminder.patient_id == patient_id and row.status is ReminderStatus.HELD:
                row.change(status=ReminderStatus.PENDING, lease_until=None)
                row.claimed_by = None
                released += 1
        return released

    # --- the port ---------------------------------------------------------------------------

    async def extend_plans(self, *, now: datetime, limit: int) -> PlansExtended:
        self.extensions.append((require_utc(now, "now"), limit, len(self.claims)))
        if self.fail_extend:
            raise RuntimeError("database unavailable")
        return self.extension_outcome

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta, worker: str
    ) -> Sequence[Reminder]:
        now = require_utc(now, "now")
        due = [row for row in self.rows.values() if self._claimable(row, now)]
        due.sort(key=lambda row: (row.priority, row.reminder.due_at, row.reminder.id))
        claimed = []
        for row in due[:limit]:
            row.change(status=ReminderStatus.CLAIMED, lease_until=now + lease)
            row.claimed_by = worker
            claimed.append(row.reminder)
        self.claims.append([reminder.id for reminder in claimed])
        return claimed

    @staticmethod
    def _claimable(row: StoredReminder, now: datetime) -> bool:
        reminder = row.reminder
        if reminder.status is ReminderStatus.PENDING:
            return reminder.due_at <= now
        if reminder.status is ReminderStatus.CLAIMED:
            return reminder.lease_until is not None and reminder.lease_until <= now
        return False

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        if self.fail_record:
            raise ConnectionError("the database went away")
        self.recorded_groups.append(list(outcomes))
        for outcome in outcomes:
            if isinstance(outcome, Unreachable):
                continue
            row = self.rows.get(outcome.reminder_id)
            if row is None:
                continue  # deleted by a replan while in flight
            self._apply(row, outcome)
        for outcome in outcomes:
            if isinstance(outcome, Unreachable):
                self._hold_patient(outcome.patient_id, outcome.at)

    @staticmethod
    def _apply(row: StoredReminder, outcome: Outcome) -> None:
        status = row.status
        match outcome:
            case Sent(_, message_id, at) if status in (
                ReminderStatus.CLAIMED,
                ReminderStatus.HELD,
            ):
                row.change(
                    status=ReminderStatus.SENT, telegram_message_id=message_id, lease_until=None
                )
                row.sent_at = at
                row.claimed_by = None
            case Rescheduled(_, due_at, attempts, error) if status is ReminderStatus.CLAIMED:
                row.change(
                    status=ReminderStatus.PENDING,
                    due_at=due_at,
                    attempts=attempts,
                    lease_until=None,
                )
                row.last_error = error
                row.claimed_by = None
            case Failed(_, error, _) if status is ReminderStatus.CLAIMED:
                row.change(status=ReminderStatus.FAILED, lease_until=None)
                row.last_error = error
                row.claimed_by = None
            case Cancelled(_, reason, _) if status is ReminderStatus.CLAIMED:
                row.change(status=ReminderStatus.CANCELLED, lease_until=None)
                row.last_error = reason
                row.claimed_by = None

    def _hold_patient(self, patient_id: int, at: datetime) -> None:
        if self.patient_status[patient_id] is not PatientStatus.UNREACHABLE:
            self.unreachable_since[patient_id] = at
        self.patient_status[patient_id] = PatientStatus.UNREACHABLE
        for row in self.rows.values():
            if row.reminder.patient_id == patient_id and row.status in (
                ReminderStatus.PENDING,
                ReminderStatus.CLAIMED,
            ):
                row.change(status=ReminderStatus.HELD, lease_until=None)
                row.claimed_by = None

    async def next_due_at(self) -> datetime | None:
        pending = [
            row.reminder.due_at
            for row in self.rows.values()
            if row.status is ReminderStatus.PENDING
        ]
        return min(pending, default=None)


# What a scripted delivery does instead of succeeding: raise this, or call this (and then
# succeed) so a test can act in the middle of a delivery.
Step = BaseException | Callable[[Reminder], object]


@dataclass
class RecordingNotifier:
    """A `Notifier` that records every delivery and can be told to fail.

    `script(reminder_id, error, ...)` makes the next deliveries of that reminder raise those
    errors in turn; `block(patient_id, error)` makes every delivery to a patient raise.
    """

    delivered: list[Reminder] = field(default_factory=list)  # succeeded, in call order
    calls: list[int] = field(default_factory=list)  # every attempt, by reminder id
    delay: float = 0.0  # seconds each delivery takes (real time; keep tiny)
    gate: asyncio.Event | None = None  # when set, deliveries wait for it to open
    called: asyncio.Event = field(default_factory=asyncio.Event)  # set by the first delivery
    in_flight: int = 0
    max_in_flight: int = 0
    _scripts: dict[int, deque[Step]] = field(default_factory=dict)
    _blocked: dict[int, BaseException] = field(default_factory=dict)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def script(self, reminder_id: int, *steps: Step) -> None:
        self._scripts.setdefault(reminder_id, deque()).extend(steps)

    def block(self, patient_id: int, error: BaseException) -> None:
        self._blocked[patient_id] = error

    def unblock(self, patient_id: int) -> None:
        del self._blocked[patient_id]

    async def deliver(self, reminder: Reminder) -> int:
        self.calls.append(reminder.id)
        self.called.set()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.delay)  # even 0 lets other deliveries interleave
            if reminder.patient_id in self._blocked:
                raise self._blocked[reminder.patient_id]
            steps = self._scripts.get(reminder.id)
            if steps:
                step = steps.popleft()
                if isinstance(step, BaseException):
                    raise step
                step(reminder)
            self.delivered.append(reminder)
            return next(self._message_ids)
        finally:
            self.in_flight -= 1

    @property
    def delivered_ids(self) -> list[int]:
        return [reminder.id for reminder in self.delivered]

    def per_patient(self) -> Counter[int]:
        return Counter(reminder.patient_id for reminder in self.delivered)


@dataclass
class RecordingAlerter:
    """An `Alerter` that keeps what it was told."""

    alerts: list[str] = field(default_factory=list)

    async def alert(self, text: str) -> None:
        self.alerts.append(text)


def ids(reminders: Iterable[Reminder]) -> list[int]:
    return [reminder.id for reminder in reminders]
