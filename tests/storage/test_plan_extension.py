"""Follow-ups stored a few days at a time: every replan notes when the plan needs extending
(`plan_extend_at`), and the dispatcher's pass (`SqlReminderStore.extend_plans`) writes the next
ones then, so a patient who never presses still gets every nag of the 8-week chain."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest

from scheduling.model import PatientStatus, ReminderKind
from scheduling.ports import PlansExtended
from storage import outbox
from storage.outbox import EXTEND_RETRY_AFTER, SqlReminderStore
from storage.patients import PatientRepository
from storage.planning import record_dose, replan, set_status
from tests.storage.test_planning import (
    Maker,
    Sessions,
    london,
    of_kind,
    pending,
    started_patient,
)

LIMIT = 100  # plans extended per call: more than any test here needs, but for the one on it


async def follow_up_times(sessions: Sessions, patient_id: int) -> list[datetime]:
    return [r.due_at for r in of_kind(await pending(sessions, patient_id), ReminderKind.FOLLOW_UP)]


async def extend_at(sessions: Sessions, patient_id: int) -> datetime | None:
    async with sessions() as session:
        return await PatientRepository(session).plan_extend_at(patient_id)


async def test_a_plan_is_extended_when_its_time_comes(sessions: Sessions, make_patient: Maker):
    """Dose 1 (3 January, 09:00) not injected: on 5 January at 09:00, a day before the 6th's
    follow-up, the pass writes the follow-ups up to two days ahead; not a moment earlier."""
    patient = await started_patient(sessions, make_patient)
    store = SqlReminderStore(sessions)
    first_window = await follow_up_times(sessions, patient.id)

    assert (
        await store.extend_plans(now=london("2026-01-05") - timedelta(seconds=1), limit=LIMIT)
        == PlansExtended()
    )
    assert await follow_up_times(sessions, patient.id) == first_window

    assert await store.extend_plans(now=london("2026-01-05"), limit=LIMIT) == PlansExtended(
        extended=1
    )
    assert await follow_up_times(sessions, patient.id) == [
        *first_window,
        london("2026-01-06"),
        london("2026-01-07"),
    ]
    assert await extend_at(sessions, patient.id) == london("2026-01-07")
    assert (
        await store.extend_plans(now=london("2026-01-05"), limit=LIMIT) == PlansExtended()
    )  # nothing due twice


async def test_extending_every_time_it_is_due_writes_the_whole_chain(
    sessions: Sessions, make_patient: Maker
):
    """A patient who never presses: extended whenever due, the plan ends up with every
    follow-up of the whole chain (14 daily, then weekly to day 56), and then stops asking."""
    patient = await started_patient(sessions, make_patient)
    store = SqlReminderStore(sessions)
    rounds = 0
    while (when := await extend_at(sessions, patient.id)) is not None:
        rounds += 1
        assert rounds < 60, "the plan never stopped asking to be extended"
        assert await store.extend_plans(now=when, limit=LIMIT) == PlansExtended(extended=1)

    daily = [london(f"2026-01-{day:02d}") for day in range(4, 18)]
    weekly = [london("2026-01-17") + timedelta(days=7 * week) for week in range(1, 7)]
    assert await follow_up_times(sessions, patient.id) == [
        london("2026-01-03", 11),
        *daily,
        *weekly,
    ]
    assert weekly[-1] == london("2026-02-28")  # day 56


async def test_recording_the_dose_moves_the_extension_to_the_next_dose(
    sessions: Sessions, make_patient: Maker
):
    """Injected on time: dose 2 (10 January) is planned, due for extending on the 12th."""
    patient = await started_patient(sessions, make_patient)
    injected_at = london("2026-01-03", 9, 5)
    async with sessions.begin() as session:
        await record_dose(session, patient.id, number=1, injected_at=injected_at, now=injected_at)

    assert await extend_at(sessions, patient.id) == london("2026-01-12")
    assert (
        await SqlReminderStore(sessions).extend_plans(now=london("2026-01-11"), limit=LIMIT)
        == PlansExtended()
    )


@pytest.mark.parametrize("status", [PatientStatus.PAUSED, PatientStatus.UNREACHABLE])
async def test_a_plan_on_hold_is_never_extended(
    sessions: Sessions, make_patient: Maker, status: PatientStatus
):
    """Paused (no reminders) or unreachable (held as they are): nothing to extend."""
    patient = await started_patient(sessions, make_patient)
    async with sessions.begin() as session:
        await set_status(session, patient.id, status, now=london("2026-01-04"))
    assert await extend_at(sessions, patient.id) is None


async def test_a_plan_that_cannot_be_extended_is_logged_and_tried_again_later(
    sessions: Sessions,
    make_patient: Maker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    """One patient's replan fails: the others are extended all the same, the failure is
    logged by type and place (never its text), and that plan is tried again in an hour."""
    broken = await started_patient(sessions, make_patient, user=1)
    fine = await started_patient(sessions, make_patient, user=2)
    real_replan = outbox.replan

    async def replan(session: Any, patient_id: int, *, now: datetime) -> Any:
        if patient_id == broken.id:
            raise RuntimeError("reaction details that must not be logged")
        return await real_replan(session, patient_id, now=now)

    monkeypatch.setattr(outbox, "replan", replan)
    now = london("2026-01-05")
    with caplog.at_level(logging.ERROR):
        assert await SqlReminderStore(sessions).extend_plans(now=now, limit=LIMIT) == PlansExtended(
            extended=1, failed=1
        )

    assert await extend_at(sessions, fine.id) == london("2026-01-07")
    assert await extend_at(sessions, broken.id) == now + EXTEND_RETRY_AFTER
    assert london("2026-01-06") not in await follow_up_times(sessions, broken.id)
    [logged] = [record.getMessage() for record in caplog.records]
    assert f"patient #{broken.id}" in logged and "RuntimeError" in logged
    assert "must not be logged" not in logged


async def test_two_passes_at_once_extend_a_plan_once(sessions: Sessions, make_patient: Maker):
    """Another process's pass holds the extension (taken, not yet committed): this pass
    waits for it, then finds nothing due, so no follow-up is written twice."""
    patient = await started_patient(sessions, make_patient)
    now = london("2026-01-05")
    async with sessions.begin() as session:
        assert await PatientRepository(session).take_plan_extension(patient.id, now=now)
        other_pass = asyncio.create_task(
            SqlReminderStore(sessions).extend_plans(now=now, limit=LIMIT)
        )
        await asyncio.sleep(0.3)  # on PostgreSQL it now waits for the row lock
        await replan(session, patient.id, now=now)

    assert await other_pass == PlansExtended()
    times = await follow_up_times(sessions, patient.id)
    assert len(times) == len(set(times))
    assert times[-2:] == [london("2026-01-06"), london("2026-01-07")]


async def test_a_call_extends_at_most_its_limit_the_longest_waiting_first(
    sessions: Sessions, make_patient: Maker
):
    """Three plans due: a limit of two extends the two due longest, the third comes next."""
    first = await started_patient(sessions, make_patient, user=1)
    second = await started_patient(sessions, make_patient, user=2)
    third = await started_patient(sessions, make_patient, user=3)
    async with sessions.begin() as session:
        patients = PatientRepository(session)
        await patients.set_plan_extend_at(first.id, london("2026-01-04", 9))
        await patients.set_plan_extend_at(second.id, london("2026-01-04", 8))
    store = SqlReminderStore(sessions)
    now = london("2026-01-05")

    assert await store.extend_plans(now=now, limit=2) == PlansExtended(extended=2)
    assert await extend_at(sessions, third.id) == london("2026-01-05")  # still due
    assert await extend_at(sessions, second.id) == london("2026-01-07")
    assert await extend_at(sessions, first.id) == london("2026-01-07")
    assert await store.extend_plans(now=now, limit=2) == PlansExtended(extended=1)
    assert await extend_at(sessions, third.id) == london("2026-01-07")
