"""The dispatcher: claims due reminders from the outbox, hands each to the notifier, records how
it went. Pure orchestration through the ports: no SQL, no Telegram, time only from the `Clock`.

A short repeating tick (python-telegram-bot's JobQueue) calls `run_once`; it works until
nothing more is due, so no reminder depends on a timer firing at the right second.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduling.model import Reminder
from scheduling.ports import (
    Alerter,
    Cancelled,
    Clock,
    Failed,
    Notifier,
    Outcome,
    PermanentFailure,
    RecipientUnreachable,
    ReminderObsolete,
    ReminderStore,
    Rescheduled,
    RetryLater,
    Sent,
    TransientFailure,
    Unreachable,
)

log = logging.getLogger(__name__)

# A 429 asking for no wait at all would let one reminder loop inside a single pass.
MIN_RETRY_AFTER = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    """How much the dispatcher takes on at once and how it retries."""

    batch_size: int = 500  # reminders claimed per transaction
    lease: timedelta = timedelta(minutes=5)  # a crashed worker's rows are claimable after this
    concurrency: int = 32  # deliveries in flight
    # Outcomes are recorded once this many are waiting, or once the oldest has waited
    # `record_within`: a crash repeats at most that many messages (plus those in flight). A
    # burst gets big groups (few transactions); at Telegram's ~30 messages/s the time bound
    # keeps a crash's repeats to about a second's worth.
    record_every: int = 500
    record_within: timedelta = timedelta(seconds=1)
    max_attempts: int = 6  # deliveries tried before a transient fault becomes a failure
    # Plans extended per pass, before it claims (about 3 ms each on SQLite). Each is due a
    # day ahead, so a crowd due at once (everyone reminded at 09:00 who did not press) is
    # spread over a few passes instead of holding up the reminders due now.
    extend_per_pass: int = 500
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        for name in (
            "batch_size",
            "concurrency",
            "record_every",
            "max_attempts",
            "extend_per_pass",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if min(self.lease, self.backoff_base, self.record_within) <= timedelta(0):
            raise ValueError("lease, backoff_base and record_within must be positive")
        if self.backoff_cap < self.backoff_base:
            raise ValueError("backoff_cap must not be shorter than backoff_base")

    def backoff(self, failures: int) -> timedelta:
        """The wait after the `failures`-th failed attempt: base, doubling, capped."""
        if failures < 1:
            raise ValueError("back-off starts after the first failure")
        # Cap the exponent too: 2**1000 timedeltas overflow long before the cap applies.
        doublings = min(failures - 1, 32)
        return min(self.backoff_base * (1 << doublings), self.backoff_cap)


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one `run_once` pass did, counted per outcome."""

    sent: int = 0
    rescheduled_429: int = 0
    retried: int = 0  # transient failure, rescheduled with back-off
    failed: int = 0
    cancelled_stale: int = 0
    unreachable: int = 0

    @property
    def total(self) -> int:
        return (
            self.sent
            + self.rescheduled_429
            + self.retried
            + self.failed
            + self.cancelled_stale
            + self.unreachable
        )


def describe_error(error: BaseException) -> str:
    """An error's type (and its cause's), never its text: that may quote the message."""
    name = type(error).__name__
    cause = error.__cause__
    return f"{name}({type(cause).__name__})" if cause is not None else name


class Dispatcher:
    """Sends due reminders through a `Notifier` and records outcomes in a `ReminderStore`."""

    def __init__(
        self,
        store: ReminderStore,
        notifier: Notifier,
        clock: Clock,
        *,
        alerter: Alerter | None = None,
        policy: DispatchPolicy | None = None,
        worker: str | None = None,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._notifier = notifier
        # Called whenever the dispatcher shows it is working: outcomes recorded, or a pass
        # finished. A long burst (thousands due at once, at Telegram's 30 a second) is one
        # pass of many minutes, so "the last pass ended recently" would call it stuck.
        # Must not raise (the bot's touches a file and logs a failure once).
        self._on_progress = on_progress
        self._clock = clock
        self._alerter = alerter
        self.policy = policy or DispatchPolicy()
        # Written to each claimed row: which process holds it, for diagnostics.
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self._running = asyncio.Lock()

    async def next_wake(self) -> datetime | None:
        """When something next falls due (None: nothing pending)."""
        return await self._store.next_due_at()

    async def run_once(self) -> DispatchReport:
        """Dispatch everything due now, batch after batch; returns what happened.

        Passes never overlap: a call while another is running returns an empty report at
        once (the JobQueue tick may fire again before a long burst is through).
        """
        if self._running.locked():
            return DispatchReport()
        async with self._running:
            await self._extend_plans()
            tally: Counter[str] = Counter()
            while True:
                batch = await self._store.claim_due(
                    now=self._clock(),
                    limit=self.policy.batch_size,
                    lease=self.policy.lease,
                    worker=self.worker,
                )
                if not batch:
                    break
                await self._dispatch_batch(batch, tally)
            self._progressed()
            report = DispatchReport(**tally)
            if report.total:
                log.info("dispatch pass: %s", report)
            return report

    async def _dispatch_batch(self, batch: Sequence[Reminder], tally: Counter[str]) -> None:
        """Deliver a claimed batch with bounded concurrency, recording outcomes in groups."""
        reminders = iter(batch)  # shared by the delivery tasks, each takes the next one
        unrecorded: list[Outcome] = []
        record_lock = asyncio.Lock()
        blocked: set[int] = set()  # patients found unreachable in this batch

        waiting_since: list[datetime] = []  # when the oldest unrecorded outcome came in

        async def record(*, at_least: int) -> None:
            # One group at a time: while a group is written, the tasks that finish their
            # delivery wait here, so at most record_every + concurrency outcomes are unrecorded.
            async with record_lock:
                if not unrecorded or len(unrecorded) < at_least:
                    return
                group = list(unrecorded)
                unrecorded.clear()
                waiting_since.clear()
                await self._store.record(group)
                self._progressed()

        def group_is_due() -> bool:
            if len(unrecorded) >= self.policy.record_every:
                return True
            return bool(waiting_since) and (
                self._clock() - waiting_since[0] >= self.policy.record_within
            )

        async def deliver_in_turn() -> None:
            for reminder in reminders:
                if reminder.patient_id in blocked:
                    # No point asking Telegram again: the store holds this row with the rest.
                    outcome: Outcome = Unreachable(reminder.id, reminder.patient_id, self._clock())
                else:
                    outcome = await self._settle(reminder)
                if isinstance(outcome, Unreachable):
                    blocked.add(reminder.patient_id)
                tally[_counter(outcome)] += 1
                if not unrecorded:
                    waiting_since.append(self._clock())
                unrecorded.append(outcome)
                if group_is_due():
                    await record(at_least=1)

        tasks = [
            asyncio.create_task(deliver_in_turn())
            for _ in range(min(self.policy.concurrency, len(batch)))
        ]
        try:
            # A task fails only when the store does: stop the others and let it surface.
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        await record(at_least=1)

    async def _extend_plans(self) -> None:
        """Before claiming: write the follow-ups that plans left for later and are now near,
        so every pass that can send can also extend. A failure here is logged and the pass
        goes on: what is already stored still goes out."""
        try:
            outcome = await self._store.extend_plans(
                now=self._clock(), limit=self.policy.extend_per_pass
            )
        except Exception as error:
            log.error(
                "could not extend plans: %s at %s", describe_error(error), error_location(error)
            )
            return
        if outcome.extended:
            log.info("extended %d patients' plans", outcome.extended)
        if outcome.failed:
            # Each failing plan is tried again an hour later, so this repeats hourly at most.
            await self._alert(
                f"The reminder plans of {outcome.failed} patients could not be extended: "
                "their next follow-ups are not written yet. The log says why."
            )

    def _progressed(self) -> None:
        if self._on_progress is not None:
            self._on_progress()

    async def _settle(self, reminder: Reminder) -> Outcome:
        """Deliver one reminder, or decide not to; never raises for a delivery problem."""
        now = self._clock()
        if reminder.expires_at is not None and reminder.expires_at <= now:
            return Cancelled(reminder.id, "stale", now)
        try:
            message_id = await self._notifier.deliver(reminder)
        except RetryLater as error:
            after = max(error.after, MIN_RETRY_AFTER)
            # Telegram's flood control is not the reminder's fault: attempts stay as they were.
            return Rescheduled(reminder.id, self._clock() + after, reminder.attempts, "429")
        except ReminderObsolete:
            # The facts moved on since it was planned (its dose was recorded): not a fault.
            return Cancelled(reminder.id, "obsolete", self._clock())
        except RecipientUnreachable:
            log.warning(
                "patient #%d is unreachable (reminder #%d): holding their reminders",
                reminder.patient_id,
                reminder.id,
            )
            return Unreachable(reminder.id, reminder.patient_id, self._clock())
        except PermanentFailure as error:
            return await self._fail(reminder, f"permanent: {describe_error(error)}")
        except Exception as error:  # TransientFailure, or a bug in the notifier: retry
            return await self._retry_or_fail(reminder, error)
        return Sent(reminder.id, message_id, self._clock())

    async def _retry_or_fail(self, reminder: Reminder, error: Exception) -> Outcome:
        attempts = reminder.attempts + 1
        reason = describe_error(error)
        if not isinstance(error, TransientFailure):
            # A fault the notifier did not name, i.e. a bug: say where, but not the text.
            log.error(
                "unexpected %s delivering reminder #%d (attempt %d) at %s",
                reason,
                reminder.id,
                attempts,
                error_location(error),
            )
        if attempts >= self.policy.max_attempts:
            return await self._fail(
                reminder, f"gave up after {attempts} attempts: {reason}", gave_up_after=attempts
            )
        log.warning("reminder #%d: %s on attempt %d, will retry", reminder.id, reason, attempts)
        due_at = self._clock() + self.policy.backoff(attempts)
        return Rescheduled(reminder.id, due_at, attempts, reason)

    async def _fail(
        self, reminder: Reminder, reason: str, *, gave_up_after: int | None = None
    ) -> Failed:
        log.error("reminder #%d could not be delivered: %s", reminder.id, reason)
        if gave_up_after is None:
            text = f"A reminder could not be delivered (reminder #{reminder.id})"
        else:
            text = (
                f"A reminder could not be delivered after {gave_up_after} attempts "
                f"(reminder #{reminder.id})"
            )
        await self._alert(text)
        return Failed(reminder.id, reason, self._clock())

    async def _alert(self, text: str) -> None:
        if self._alerter is None:
            return
        try:
            await self._alerter.alert(text)
        except Exception as error:
            # The failure is already logged; a broken alert channel must not stop the batch.
            log.error("could not alert the admins: %s", describe_error(error))


def error_location(error: BaseException) -> str:
    """The innermost frame an exception came from: enough to find the bug, no data."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "unknown location"
    frame = frames[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}"


def _counter(outcome: Outcome) -> str:
    """The `DispatchReport` field an outcome is counted in."""
    match outcome:
        case Sent():
            return "sent"
        case Rescheduled(error="429"):
            return "rescheduled_429"
        case Rescheduled():
            return "retried"
        case Failed():
            return "failed"
        case Cancelled():
            return "cancelled_stale"
        case Unreachable():
            return "unreachable"
