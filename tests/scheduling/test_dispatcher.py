"""The dispatcher's rules (DESIGN.md "Reminders (outbox)"), with in-memory fakes of its ports
and a clock moved by hand: no database, no Telegram, no sleeping."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.dispatcher import Dispatcher, DispatchPolicy, DispatchReport
from scheduling.model import PatientStatus, Reminder, ReminderKind, ReminderStatus
from scheduling.ports import (
    PermanentFailure,
    PlansExtended,
    RecipientUnreachable,
    ReminderObsolete,
    RetryLater,
    Sent,
    TransientFailure,
)
from tests.fakes import (
    InMemoryReminderStore,
    ManualClock,
    RecordingAlerter,
    RecordingNotifier,
    ids,
)

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
PATIENT, OTHER = 1, 2


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def store() -> InMemoryReminderStore:
    return InMemoryReminderStore()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def alerter() -> RecordingAlerter:
    return RecordingAlerter()


@pytest.fixture
def dispatcher(
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
    alerter: RecordingAlerter,
) -> Dispatcher:
    return Dispatcher(store, notifier, clock, alerter=alerter, worker="test")


def dose(
    store: InMemoryReminderStore, patient_id: int = PATIENT, *, at: datetime = NOW
) -> Reminder:
    return store.add(patient_id, ReminderKind.DOSE, at)


# --- sending ---------------------------------------------------------------------------------


async def test_due_reminders_are_sent_and_recorded_with_their_message_id(
    dispatcher: Dispatcher, store: InMemoryReminderStore, notifier: RecordingNotifier
) -> None:
    """A due reminder is delivered once and stored as sent with Telegram's message id."""
    due = dose(store, at=NOW - MINUTE)
    later = dose(store, OTHER, at=NOW + MINUTE)

    report = await dispatcher.run_once()

    assert report == DispatchReport(sent=1)
    assert notifier.delivered_ids == [due.id]
    assert store.get(due.id).status is ReminderStatus.SENT
    assert store.get(due.id).telegram_message_id == 1000
    assert store.rows[due.id].sent_at == NOW
    assert store.get(later.id).status is ReminderStatus.PENDING
    assert await dispatcher.run_once() == DispatchReport()  # nothing twice


async def test_each_pass_extends_plans_before_it_claims(
    dispatcher: Dispatcher, store: InMemoryReminderStore, clock: ManualClock
) -> None:
    """Plans are extended at the start of every pass, at the clock's time, before the first
    claim: a follow-up written now can go out in the same pass."""
    dose(store, at=NOW - MINUTE)
    await dispatcher.run_once()
    clock.advance(timedelta(hours=1))
    await dispatcher.run_once()
    limit = DispatchPolicy().extend_per_pass
    assert store.extensions == [(NOW, limit, 0), (NOW + timedelta(hours=1), limit, 2)]


async def test_a_pass_still_sends_when_plans_cannot_be_extended(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What is already stored goes out even when extending plans fails; the failure is
    logged by type, never by its text."""
    due = dose(store, at=NOW - MINUTE)
    store.fail_extend = True
    with caplog.at_level(logging.ERROR):
        report = await dispatcher.run_once()
    assert report == DispatchReport(sent=1)
    assert notifier.delivered_ids == [due.id]
    [logged] = [r.getMessage() for r in caplog.records if "extend" in r.getMessage()]
    assert "RuntimeError" in logged and "database unavailable" not in logged


async def test_plans_that_could_not_be_extended_are_reported_to_the_admins(
    dispatcher: Dispatcher, store: InMemoryReminderStore, alerter: RecordingAlerter
) -> None:
    """Some plans failed to extend (their patients' next follow-ups are missing): the admins
    are told how many; a pass where all went well tells them nothing."""
    await dispatcher.run_once()
    assert alerter.alerts == []
    store.extension_outcome = PlansExtended(extended=5, failed=2)
    await dispatcher.run_once()
    [alert] = alerter.alerts
    assert "2 patients" in alert and "could not be extended" in alert


async def test_next_wake_is_the_earliest_pending_due_time(
    dispatcher: Dispatcher, store: InMemoryReminderStore
) -> None:
    assert await dispatcher.next_wake() is None
    dose(store, at=NOW + 2 * MINUTE)
    dose(store, OTHER, at=NOW + MINUTE)
    assert await dispatcher.next_wake() == NOW + MINUTE


async def test_moving_the_clock_sends_what_fell_due(
    dispatcher: Dispatcher, store: InMemoryReminderStore, clock: ManualClock
) -> None:
    """Time comes from the injected clock: nothing before `due_at`, everything after."""
    reminder = dose(store, at=NOW + timedelta(hours=1))
    assert await dispatcher.run_once() == DispatchReport()
    clock.advance(timedelta(hours=1))
    assert await dispatcher.run_once() == DispatchReport(sent=1)
    assert store.status_of(reminder.id) is ReminderStatus.SENT


async def test_every_reminder_of_a_burst_goes_out_exactly_once(
    store: InMemoryReminderStore, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    """More due than one batch: the pass goes on, batch after batch, until nothing is due."""
    for patient_id in range(300):
        for _ in range(5):
            dose(store, patient_id)
    dispatcher = Dispatcher(
        store, notifier, clock, policy=DispatchPolicy(batch_size=100, concurrency=8)
    )

    report = await dispatcher.run_once()

    assert report == DispatchReport(sent=1500)
    assert sorted(notifier.delivered_ids) == sorted(store.rows)
    assert set(notifier.per_patient().values()) == {5}
    assert len(store.claims) == 16  # 15 full batches, then one empty claim


async def test_a_long_pass_reports_progress_as_it_records_not_only_at_its_end(
    store: InMemoryReminderStore, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    """A burst is one pass of many minutes at Telegram's rate: the health heartbeat follows
    each group of recorded outcomes, so a working dispatcher never looks stuck."""
    for patient_id in range(300):
        dose(store, patient_id)
    sent_at_each_call: list[int] = []

    def progress() -> None:
        sent_at_each_call.append(
            sum(store.status_of(row) is ReminderStatus.SENT for row in store.rows)
        )

    dispatcher = Dispatcher(
        store, notifier, clock, policy=DispatchPolicy(batch_size=100), on_progress=progress
    )

    assert await dispatcher.run_once() == DispatchReport(sent=300)
    assert sent_at_each_call == [100, 200, 300, 300]  # each batch recorded, then the pass end
    await dispatcher.run_once()  # nothing due: still a sign of life
    assert sent_at_each_call == [100, 200, 300, 300, 300]


# --- stale kinds -----------------------------------------------------------------------------


async def test_a_prep_reminder_after_its_dose_time_is_cancelled_not_sent(
    dispatcher: Dispatcher, store: InMemoryReminderStore, notifier: RecordingNotifier
) -> None:
    """Prep ("take the pen out of the fridge") is pointless once the dose time has passed."""
    dose_at = NOW - timedelta(minutes=10)
    prep = store.add(PATIENT, ReminderKind.PREP, dose_at - 30 * MINUTE, expires_at=dose_at)
    dose_reminder = dose(store, at=dose_at)

    report = await dispatcher.run_once()

    assert report == DispatchReport(sent=1, cancelled_stale=1)
    assert notifier.delivered_ids == [dose_reminder.id]
    assert store.status_of(prep.id) is ReminderStatus.CANCELLED
    assert store.rows[prep.id].last_error == "stale"


async def test_a_check_in_more_than_a_day_after_the_dose_is_cancelled(
    dispatcher: Dispatcher, store: InMemoryReminderStore, notifier: RecordingNotifier
) -> None:
    """The reaction check-in is only meaningful within 24 h of the injection."""
    injected_at = NOW - timedelta(hours=25)
    check_in = store.add(
        PATIENT,
        ReminderKind.CHECK_IN,
        injected_at + timedelta(hours=6),
        expires_at=injected_at + timedelta(hours=24),
    )
    fresh = store.add(
        OTHER,
        ReminderKind.CHECK_IN,
        NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(hours=17),
    )

    assert await dispatcher.run_once() == DispatchReport(sent=1, cancelled_stale=1)
    assert store.status_of(check_in.id) is ReminderStatus.CANCELLED
    assert notifier.delivered_ids == [fresh.id]


async def test_a_reminder_expiring_exactly_now_is_stale(
    dispatcher: Dispatcher, store: InMemoryReminderStore, notifier: RecordingNotifier
) -> None:
    """`expires_at` is the first instant the message is no longer worth sending."""
    prep = store.add(PATIENT, ReminderKind.PREP, NOW - 30 * MINUTE, expires_at=NOW)
    assert await dispatcher.run_once() == DispatchReport(cancelled_stale=1)
    assert store.status_of(prep.id) is ReminderStatus.CANCELLED
    assert notifier.calls == []


# --- 429 -------------------------------------------------------------------------------------


async def test_429_puts_the_reminder_back_after_retry_after(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
) -> None:
    """Telegram's flood control: due again after `retry_after`, then sent."""
    reminder = dose(store)
    notifier.script(reminder.id, RetryLater(timedelta(seconds=17)))

    assert await dispatcher.run_once() == DispatchReport(rescheduled_429=1)
    stored = store.get(reminder.id)
    assert stored.status is ReminderStatus.PENDING
    assert stored.due_at == NOW + timedelta(seconds=17)
    assert stored.attempts == 0
    assert stored.lease_until is None
    assert store.rows[reminder.id].last_error == "429"

    clock.advance(timedelta(seconds=16))
    assert await dispatcher.run_once() == DispatchReport()
    clock.advance(timedelta(seconds=1))
    assert await dispatcher.run_once() == DispatchReport(sent=1)


async def test_429_is_not_counted_as_an_attempt(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
    alerter: RecordingAlerter,
) -> None:
    """However often Telegram says "slow down", the reminder is never given up on."""
    reminder = dose(store)
    notifier.script(reminder.id, *(RetryLater(timedelta(seconds=5)) for _ in range(20)))
    for _ in range(20):
        assert await dispatcher.run_once() == DispatchReport(rescheduled_429=1)
        assert store.get(reminder.id).attempts == 0
        clock.advance(timedelta(seconds=5))
    assert await dispatcher.run_once() == DispatchReport(sent=1)
    assert alerter.alerts == []


async def test_a_zero_retry_after_does_not_spin_inside_one_pass(
    dispatcher: Dispatcher, store: InMemoryReminderStore, notifier: RecordingNotifier
) -> None:
    reminder = dose(store)
    notifier.script(reminder.id, RetryLater(timedelta(0)))
    assert await dispatcher.run_once() == DispatchReport(rescheduled_429=1)
    assert store.get(reminder.id).due_at == NOW + timedelta(seconds=1)


# --- transient failures: back-off, then failed and an alert ---------------------------------


def test_back_off_starts_at_30_s_and_doubles_up_to_30_min() -> None:
    policy = DispatchPolicy()
    waits = [policy.backoff(failures) for failures in range(1, 10)]
    assert [wait.total_seconds() for wait in waits] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1800,
        1800,
        1800,
    ]
    assert policy.backoff(10_000) == timedelta(minutes=30)


async def test_transient_failures_retry_with_back_off_then_fail_loudly(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
    alerter: RecordingAlerter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Network errors and 5xx: 30 s, 1, 2, 4, 8 min apart; the 6th failure is final."""
    reminder = dose(store)
    notifier.script(reminder.id, *(TransientFailure("502 Bad Gateway") for _ in range(6)))
    waits = []
    for attempt in range(1, 6):
        assert await dispatcher.run_once() == DispatchReport(retried=1)
        stored = store.get(reminder.id)
        assert (stored.status, stored.attempts) == (ReminderStatus.PENDING, attempt)
        waits.append(stored.due_at - clock())
        clock.set(stored.due_at)
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]
    assert alerter.alerts == []

    with caplog.at_level(logging.ERROR, logger="scheduling.dispatcher"):
        assert await dispatcher.run_once() == DispatchReport(failed=1)

    assert store.status_of(reminder.id) is ReminderStatus.FAILED
    assert alerter.alerts == [
        f"A reminder could not be delivered after 6 attempts (reminder #{reminder.id})"
    ]
    assert store.rows[reminder.id].last_error == "gave up after 6 attempts: TransientFailure"
    assert any(
        record.levelno == logging.ERROR and f"#{reminder.id}" in record.getMessage()
        for record in caplog.records
    )
    clock.advance(timedelta(days=1))
    assert await dispatcher.run_once() == DispatchReport()  # failed is final


async def test_a_transient_failure_then_success_is_sent(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
) -> None:
    reminder = dose(store)
    notifier.script(reminder.id, TransientFailure("timed out"))
    assert await dispatcher.run_once() == DispatchReport(retried=1)
    clock.advance(timedelta(seconds=30))
    assert await dispatcher.run_once() == DispatchReport(sent=1)
    assert store.get(reminder.id).attempts == 1


async def test_max_attempts_counts_attempts_made_before_a_restart(
    store: InMemoryReminderStore, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    """Attempts live in the row, so a restart does not reset the count."""
    reminder = store.add(PATIENT, ReminderKind.DOSE, NOW, attempts=2)
    notifier.script(reminder.id, TransientFailure())
    dispatcher = Dispatcher(store, notifier, clock, policy=DispatchPolicy(max_attempts=3))
    assert await dispatcher.run_once() == DispatchReport(failed=1)


async def test_a_permanent_failure_fails_at_once_with_an_alert(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    alerter: RecordingAlerter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 400 Telegram will never accept: no retries, a log line and an admin alert."""
    reminder = dose(store)
    other = dose(store, OTHER)
    notifier.script(reminder.id, PermanentFailure("Bad Request: message text is empty"))

    with caplog.at_level(logging.ERROR, logger="scheduling.dispatcher"):
        assert await dispatcher.run_once() == DispatchReport(sent=1, failed=1)

    assert store.status_of(reminder.id) is ReminderStatus.FAILED
    assert store.status_of(other.id) is ReminderStatus.SENT
    assert alerter.alerts == [f"A reminder could not be delivered (reminder #{reminder.id})"]
    assert notifier.calls.count(reminder.id) == 1
    assert "message text is empty" not in caplog.text
    assert f"#{reminder.id}" in caplog.text


async def test_an_obsolete_reminder_is_cancelled_without_retry_or_alert(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    alerter: RecordingAlerter,
) -> None:
    """A reminder whose dose was recorded meanwhile is cancelled: no retry, no alert."""
    reminder = dose(store)
    notifier.script(reminder.id, ReminderObsolete("dose 1 is not the open dose"))

    assert await dispatcher.run_once() == DispatchReport(cancelled_stale=1)

    assert store.status_of(reminder.id) is ReminderStatus.CANCELLED
    assert alerter.alerts == []
    assert notifier.calls.count(reminder.id) == 1


async def test_an_unexpected_error_in_the_notifier_does_not_stop_the_batch(
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in one delivery is retried like a network error; the others still go out, and
    the log names the error's type, never its text (it may quote the message)."""
    reminders = [dose(store, patient_id) for patient_id in range(10)]
    broken = reminders[3]
    notifier.script(broken.id, ValueError("Time for your Kesimpta dose, Alice"))
    dispatcher = Dispatcher(store, notifier, clock, policy=DispatchPolicy(concurrency=3))

    with caplog.at_level(logging.INFO):
        report = await dispatcher.run_once()

    assert report == DispatchReport(sent=9, retried=1)
    assert set(notifier.delivered_ids) == {r.id for r in reminders} - {broken.id}
    assert store.get(broken.id).attempts == 1
    assert store.get(broken.id).status is ReminderStatus.PENDING
    assert "ValueError" in caplog.text
    assert "Kesimpta" not in caplog.text and "Alice" not in caplog.text


async def test_a_cancellation_inside_the_notifier_is_not_swallowed(
    dispatcher: Dispatcher, store: InMemoryReminderStore, notifier: RecordingNotifier
) -> None:
    """Shutting down cancels the pass; it is not mistaken for a failed delivery."""
    reminder = dose(store)
    notifier.script(reminder.id, asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await dispatcher.run_once()
    # Unrecorded: the lease runs out and it goes again, as after a crash.
    assert store.status_of(reminder.id) is ReminderStatus.CLAIMED


async def test_a_broken_alert_channel_does_not_stop_dispatching(
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
) -> None:
    class BrokenAlerter:
        async def alert(self, text: str) -> None:
            raise ConnectionError("admin chat unreachable")

    failing = dose(store)
    fine = dose(store, OTHER)
    notifier.script(failing.id, PermanentFailure())
    dispatcher = Dispatcher(store, notifier, clock, alerter=BrokenAlerter())
    assert await dispatcher.run_once() == DispatchReport(sent=1, failed=1)
    assert store.status_of(fine.id) is ReminderStatus.SENT


# --- unreachable patients --------------------------------------------------------------------


async def test_a_blocked_bot_holds_all_the_patients_reminders(
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
) -> None:
    """403: the patient becomes unreachable; every unsent reminder of theirs is held (not
    lost, not sent), including this one and the others of the same batch."""
    blocked_now = dose(store, at=NOW - MINUTE)
    blocked_same_batch = store.add(PATIENT, ReminderKind.FOLLOW_UP, NOW)
    blocked_later = store.add(PATIENT, ReminderKind.CHECK_IN, NOW + timedelta(days=1))
    already_sent = store.add(PATIENT, ReminderKind.HEADS_UP, NOW - timedelta(days=1))
    store.rows[already_sent.id].change(status=ReminderStatus.SENT)
    someone_else = dose(store, OTHER)
    notifier.block(PATIENT, RecipientUnreachable("Forbidden: bot was blocked by the user"))
    dispatcher = Dispatcher(store, notifier, clock, policy=DispatchPolicy(concurrency=1))

    report = await dispatcher.run_once()

    assert report == DispatchReport(sent=1, unreachable=2)
    assert notifier.calls == [blocked_now.id, someone_else.id]  # one 403 is enough
    assert store.patient_status[PATIENT] is PatientStatus.UNREACHABLE
    assert store.unreachable_since[PATIENT] == NOW
    for held in (blocked_now, blocked_same_batch, blocked_later):
        assert store.status_of(held.id) is ReminderStatus.HELD
    assert store.status_of(already_sent.id) is ReminderStatus.SENT
    assert store.status_of(someone_else.id) is ReminderStatus.SENT

    clock.advance(timedelta(days=2))
    assert await dispatcher.run_once() == DispatchReport()  # held rows are never claimed
    assert await dispatcher.next_wake() is None


async def test_held_reminders_go_out_when_the_patient_comes_back(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
) -> None:
    reminder = dose(store)
    notifier.block(PATIENT, RecipientUnreachable())
    assert await dispatcher.run_once() == DispatchReport(unreachable=1)

    notifier.unblock(PATIENT)
    assert store.release_held(PATIENT) == 1  # /start again
    assert await dispatcher.run_once() == DispatchReport(sent=1)
    assert notifier.delivered_ids == [reminder.id]


# --- priorities ------------------------------------------------------------------------------


async def test_doses_go_before_prep_and_check_ins_and_broadcasts_go_last(
    store: InMemoryReminderStore, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    """When more is due than one batch, urgency decides, then age: a broadcast to everyone
    never delays a dose reminder, even one that fell due later."""
    old = NOW - timedelta(hours=2)
    broadcasts = [store.add(p, ReminderKind.BROADCAST, old, dose_number=None) for p in (1, 2, 3)]
    check_in = store.add(4, ReminderKind.CHECK_IN, old + MINUTE)
    heads_up = store.add(5, ReminderKind.HEADS_UP, old)
    prep = store.add(6, ReminderKind.PREP, NOW - MINUTE, expires_at=NOW + MINUTE)
    follow_up = store.add(7, ReminderKind.FOLLOW_UP, NOW - 2 * MINUTE)
    dose_reminder = store.add(8, ReminderKind.DOSE, NOW)
    dispatcher = Dispatcher(
        store, notifier, clock, policy=DispatchPolicy(batch_size=3, concurrency=1)
    )

    assert await dispatcher.run_once() == DispatchReport(sent=8)

    assert store.claims[0] == [follow_up.id, dose_reminder.id, prep.id]
    assert notifier.delivered_ids == [
        follow_up.id,
        dose_reminder.id,
        prep.id,
        heads_up.id,
        check_in.id,
        *ids(broadcasts),
    ]


# --- running it ------------------------------------------------------------------------------


async def test_passes_never_overlap(
    dispatcher: Dispatcher, store: InMemoryReminderStore, notifier: RecordingNotifier
) -> None:
    """A tick that fires while a pass is still running returns at once, with nothing done."""
    reminders = [dose(store, patient_id) for patient_id in range(5)]
    notifier.gate = asyncio.Event()
    first = asyncio.create_task(dispatcher.run_once())
    await notifier.called.wait()

    assert await dispatcher.run_once() == DispatchReport()

    notifier.gate.set()
    assert await first == DispatchReport(sent=5)
    assert sorted(notifier.delivered_ids) == ids(reminders)
    assert len(store.claims) == 2  # the second tick never claimed anything


async def test_deliveries_in_flight_are_bounded(
    store: InMemoryReminderStore, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    for patient_id in range(200):
        dose(store, patient_id)
    notifier.delay = 0.001
    dispatcher = Dispatcher(store, notifier, clock, policy=DispatchPolicy(concurrency=7))
    assert await dispatcher.run_once() == DispatchReport(sent=200)
    assert notifier.max_in_flight == 7


async def test_outcomes_are_recorded_in_groups_so_a_crash_repeats_few(
    store: InMemoryReminderStore, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    """Sent-but-unrecorded messages (those a crash would repeat) stay within
    record_every + concurrency at every moment."""
    for patient_id in range(500):
        dose(store, patient_id)
    policy = DispatchPolicy(batch_size=200, concurrency=6, record_every=20)
    worst = 0

    def count_unrecorded(reminder: Reminder) -> None:
        nonlocal worst
        recorded = sum(
            isinstance(outcome, Sent) for group in store.recorded_groups for outcome in group
        )
        worst = max(worst, len(notifier.delivered) - recorded)

    for reminder_id in list(store.rows):
        notifier.script(reminder_id, count_unrecorded)
    dispatcher = Dispatcher(store, notifier, clock, policy=policy)

    assert await dispatcher.run_once() == DispatchReport(sent=500)
    assert 0 < worst <= policy.record_every + policy.concurrency
    assert all(
        len(group) <= policy.record_every + policy.concurrency for group in store.recorded_groups
    )
    assert sum(map(len, store.recorded_groups)) == 500


async def test_at_a_slow_sending_rate_outcomes_are_recorded_every_second(
    store: InMemoryReminderStore, notifier: RecordingNotifier, clock: ManualClock
) -> None:
    """When sending is slow (Telegram's pace), a group is recorded once its oldest outcome
    has waited `record_within`, long before `record_every` outcomes pile up."""
    for patient_id in range(10):
        dose(store, patient_id)
    policy = DispatchPolicy(concurrency=1, record_every=1000, record_within=timedelta(seconds=1))

    def take_400_ms(reminder: Reminder) -> None:
        clock.advance(timedelta(milliseconds=400))

    for reminder_id in list(store.rows):
        notifier.script(reminder_id, take_400_ms)

    assert await Dispatcher(store, notifier, clock, policy=policy).run_once() == DispatchReport(
        sent=10
    )
    # Outcomes come at 0.4, 0.8, 1.2 ... 4.0 s. A group opens with its first outcome and is
    # recorded by the first outcome at least 1 s later: [0.4-1.6], [2.0-3.2], then the rest.
    assert [len(group) for group in store.recorded_groups] == [4, 4, 2]


async def test_a_crashed_workers_rows_go_out_once_its_lease_has_run_out(
    dispatcher: Dispatcher,
    store: InMemoryReminderStore,
    notifier: RecordingNotifier,
    clock: ManualClock,
) -> None:
    """Rows left claimed by a process that died are claimed again after the lease."""
    lease_until = NOW + timedelta(minutes=2)
    orphan = store.add(
        PATIENT,
        ReminderKind.DOSE,
        NOW - MINUTE,
        status=ReminderStatus.CLAIMED,
        lease_until=lease_until,
    )
    assert await dispatcher.run_once() == DispatchReport()
    clock.set(lease_until)
    assert await dispatcher.run_once() == DispatchReport(sent=1)
    assert notifier.delivered_ids == [orphan.id]


async def test_a_row_deleted_by_a_replan_while_in_flight_is_fine(
    dispatcher: Dispatcher, store: InMemoryReminderStore, notifier: RecordingNotifier
) -> None:
    """The patient confirmed their dose while its follow-up was being sent: the replan
    deleted the row; recording the outcome is a no-op and the rest of the batch goes on."""
    follow_up = store.add(PATIENT, ReminderKind.FOLLOW_UP, NOW)
    other = dose(store, OTHER)
    notifier.script(follow_up.id, lambda reminder: store.delete(reminder.id))

    assert await dispatcher.run_once() == DispatchReport(sent=2)
    assert follow_up.id not in store.rows
    assert store.status_of(other.id) is ReminderStatus.SENT


async def test_a_failing_store_surfaces_and_the_next_pass_can_run(
    dispatcher: Dispatcher, store: InMemoryReminderStore, clock: ManualClock
) -> None:
    """The dispatcher raises only when its store fails; the rows stay claimed (sent again
    after the lease) and the lock is released."""
    reminder = dose(store)
    store.fail_record = True
    with pytest.raises(ConnectionError):
        await dispatcher.run_once()
    assert store.status_of(reminder.id) is ReminderStatus.CLAIMED

    store.fail_record = False
    clock.advance(DispatchPolicy().lease)
    assert await dispatcher.run_once() == DispatchReport(sent=1)


def test_a_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        DispatchPolicy(batch_size=0)
    with pytest.raises(ValueError):
        DispatchPolicy(extend_per_pass=0)
    with pytest.raises(ValueError):
        DispatchPolicy(lease=timedelta(0))
    with pytest.raises(ValueError):
        DispatchPolicy(backoff_cap=timedelta(seconds=1))
