"""Recording facts and replanning, in one transaction: the only way reminders are rewritten.

Every function here takes a session inside the caller's transaction (`async with
sessions.begin() as session:`), changes a fact, and brings the patient's pending reminders in
line with the plan before returning, so a fact and its reminders never disagree. What is
stored is the plan's window (`scheduling.planner.plan_window`: follow-ups a few days ahead),
and the patient row says when the dispatcher's pass must replan to extend it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import (
    CheckIn,
    CheckInStatus,
    Course,
    DoseRecord,
    DoseSource,
    InjectionSite,
    MaintenanceMode,
    Patient,
    PatientStatus,
    PlannedDose,
    Reminder,
    ReminderKind,
    ReminderSettings,
    ReminderStatus,
    require_utc,
)
from scheduling.planner import PlanFacts, Reconciliation, plan_window, reconcile
from scheduling.regimen import mid_treatment_course, next_dose
from scheduling.timeline import CHECK_IN_WINDOW
from storage.check_ins import CheckInRepository, followed_up, reports_reaction
from storage.doses import DoseAlreadyRecorded, DoseRepository
from storage.patients import UNSET, PatientNotFound, PatientRepository, Unset
from storage.reminders import ReminderRepository


class DoseNotOpen(ValueError):
    """The dose a button or command names is not the one due now (stale or forged)."""


class DoseOutOfOrder(ValueError):
    """An injection date before the last recorded one, or in the future."""


def course_of(patient: Patient, doses: Sequence[DoseRecord]) -> Course | None:
    """The regimen's view of a patient, or None while there is no date to plan from."""
    if not doses and patient.first_dose_date is None:
        return None
    return Course(
        mode=patient.mode,
        first_dose_date=patient.first_dose_date,
        injected=tuple(dose.as_injected() for dose in doses),
    )


def _check_in_open(doses: Sequence[DoseRecord], check_ins: Sequence[CheckIn]) -> bool:
    """Whether the latest dose still waits for its reaction check-in to be answered."""
    if not doses:
        return False
    last = doses[-1].number
    return not any(
        check_in.dose_number == last and check_in.status is not CheckInStatus.PENDING
        for check_in in check_ins
    )


def _reaction_reported_at(
    doses: Sequence[DoseRecord], check_ins: Sequence[CheckIn]
) -> datetime | None:
    """When the latest dose's newest reaction report not yet followed up was made, if any."""
    if not doses:
        return None
    last = doses[-1].number
    waiting = [
        check_in.answered_at
        for check_in in check_ins
        if check_in.dose_number == last
        and check_in.answered_at is not None
        and reports_reaction(check_in)
        and not followed_up(check_in)
    ]
    return max(waiting, default=None)


async def _close_unanswered(
    session: AsyncSession,
    patient_id: int,
    doses: Sequence[DoseRecord],
    check_ins: list[CheckIn],
    reminders: Sequence[Reminder],
    *,
    from_dose: int,
    now: datetime,
) -> list[CheckIn]:
    """Record as unanswered every check-in that was sent and whose window ended unanswered.

    A check-in's window ends 24 h after the injection (the nudge expires then too), or when a
    later dose is recorded. `check_ins` and `reminders` are those about dose `from_dose` and
    later ones (and unsent reminders). Returns the check-ins as they are now.
    """
    check_ins_repository = CheckInRepository(session)
    by_number = {dose.number: dose for dose in doses}
    last = doses[-1].number if doses else None
    asked = [
        reminder
        for reminder in reminders
        if reminder.kind is ReminderKind.CHECK_IN
        and reminder.status is ReminderStatus.SENT
        and reminder.dose_number in by_number
    ]
    changed = False
    for reminder in asked:
        number = reminder.dose_number
        assert number is not None
        about = [check_in for check_in in check_ins if check_in.dose_number == number]
        if any(check_in.status is not CheckInStatus.PENDING for check_in in about):
            continue
        injected_at = by_number[number].injected_at
        window_over = number != last or (
            injected_at is not None and now >= injected_at + CHECK_IN_WINDOW
        )
        if not window_over:
            continue
        pending = about[-1] if about else None
        if pending is None:
            pending = await check_ins_repository.create(
                patient_id, dose_number=number, asked_at=reminder.due_at
            )
        await check_ins_repository.mark_unanswered(pending.id)
        changed = True
    if not changed:
        return check_ins
    return await check_ins_repository.list_from_dose(patient_id, from_dose)


async def _require_patient(session: AsyncSession, patient_id: int) -> Patient:
    patient = await PatientRepository(session).get(patient_id)
    if patient is None:
        raise PatientNotFound(patient_id)
    return patient


async def replan(session: AsyncSession, patient_id: int, *, now: datetime) -> Reconciliation:
    """Rewrite the patient's pending reminders from their facts; returns what changed."""
    return await _replan_patient(session, await _require_patient(session, patient_id), now=now)


async def _replan_patient(
    session: AsyncSession, patient: Patient, *, now: datetime
) -> Reconciliation:
    """`replan` for a patient as just read or written in this transaction."""
    doses = await DoseRepository(session).list_for_patient(patient.id)
    changes, _ = await _replan(session, patient, doses, now=now)
    return changes


async def _replan(
    session: AsyncSession, patient: Patient, doses: Sequence[DoseRecord], *, now: datetime
) -> tuple[Reconciliation, list[Reminder]]:
    """`replan` from the patient and doses as they stand in this transaction.

    Also returns the reminders it read (`list_for_plan`: every one not sent yet, and every one
    about the last dose, the one before it, and later ones) that are still stored after the
    change, as stored: the new plan's rows are not read back.
    """
    reminders = ReminderRepository(session)
    # The plan wants reminders for the open dose and the last dose's check-in; the dose before
    # the last is read too, so its check-in, if still unanswered, is closed (`_close_unanswered`).
    from_dose = doses[-1].number - 1 if doses else 0
    existing = await reminders.list_for_plan(patient.id, from_dose=from_dose)
    check_ins = await _close_unanswered(
        session,
        patient.id,
        doses,
        await CheckInRepository(session).list_from_dose(patient.id, from_dose),
        existing,
        from_dose=from_dose,
        now=now,
    )
    facts = PlanFacts(
        status=patient.status,
        course=course_of(patient, doses),
        settings=patient.settings,
        snoozed_until=patient.snoozed_until,
        check_in_open=_check_in_open(doses, check_ins),
        reaction_reported_at=_reaction_reported_at(doses, check_ins),
    )
    patients = PatientRepository(session)
    if patient.status is PatientStatus.UNREACHABLE:
        # Held as they are until the patient comes back (that replan extends the plan).
        await patients.set_plan_extend_at(patient.id, None)
        return Reconciliation(), existing
    window = plan_window(facts, now=now)
    await patients.set_plan_extend_at(patient.id, window.extend_at)
    changes = reconcile(window.reminders, existing, now=now)
    removed = await reminders.delete_pending_ids(patient.id, changes.to_remove)
    await reminders.insert_planned(patient.id, changes.to_add)
    if removed != len(changes.to_remove):
        # A row changed since it was read (on PostgreSQL a dispatcher may claim it meanwhile,
        # and the delete keeps claimed rows): what was read no longer says what is stored.
        read = {reminder.id for reminder in existing}
        stored = await reminders.list_for_plan(patient.id, from_dose=from_dose)
        return changes, [reminder for reminder in stored if reminder.id in read]
    gone = set(changes.to_remove)
    return changes, [reminder for reminder in existing if reminder.id not in gone]


def open_dose_of(patient: Patient, doses: Sequence[DoseRecord]) -> PlannedDose | None:
    """`open_dose` from the patient and doses already read."""
    course = course_of(patient, doses)
    return None if course is None else next_dose(course)


async def open_dose(session: AsyncSession, patient_id: int) -> PlannedDose | None:
    """The dose due next (not injected yet), or None while there is no date to plan from."""
    patient = await _require_patient(session, patient_id)
    return open_dose_of(patient, await DoseRepository(session).list_for_patient(patient_id))


async def start_planned_course(
    session: AsyncSession, patient_id: int, *, first_dose_date: date, now: datetime
) -> Patient:
    """A new patient: the first injection is planned for `first_dose_date` (Week 0)."""
    patients = PatientRepository(session)
    await patients.update(patient_id, first_dose_date=first_dose_date)
    patient = await patients.set_status(patient_id, PatientStatus.ACTIVE, now=now)
    await _replan_patient(session, patient, now=now)
    return patient


async def start_mid_treatment(
    session: AsyncSession,
    patient_id: int,
    *,
    last_dose_on: date,
    last_dose_number: int,
    now: datetime,
) -> Patient:
    """A patient already on Kesimpta: "my last dose was dose N on D"."""
    patient = await _require_patient(session, patient_id)
    if last_dose_on > now.astimezone(ZoneInfo(patient.settings.time_zone)).date():
        raise DoseOutOfOrder("the last dose cannot be in the future")
    mid_treatment_course(last_dose_on, last_dose_number, patient.mode)  # validates the number
    await DoseRepository(session).add(
        patient_id,
        number=last_dose_number,
        injected_on=last_dose_on,
        source=DoseSource.ONBOARDING,
    )
    patient = await PatientRepository(session).set_status(patient_id, PatientStatus.ACTIVE, now=now)
    await _replan_patient(session, patient, now=now)
    return patient


@dataclass(frozen=True, slots=True)
class DoseRecorded:
    """The outcome of recording an injection."""

    dose: DoseRecord
    created: bool  # False: this dose had already been recorded (a second press)
    next_dose: PlannedDose
    # Only when `created` (else empty), so the caller need not read them again: every dose of
    # the patient by number, this one last, and the reminders stored before it was recorded
    # that the replan kept, as stored (`ReminderRepository.list_for_plan` without the new
    # plan's rows; this dose's sent reminders among them), by due time.
    doses: tuple[DoseRecord, ...] = ()
    reminders: tuple[Reminder, ...] = ()


async def record_dose(
    session: AsyncSession,
    patient_id: int,
    *,
    injected_at: datetime,
    now: datetime,
    number: int | None = None,
    injected_on: date | None = None,
    site: InjectionSite | None = None,
    lot_number: str | None = None,
    source: DoseSource = DoseSource.REMINDER,
    patient: Patient | None = None,
    doses: Sequence[DoseRecord] | None = None,
) -> DoseRecorded:
    """Record that the open dose was injected, then replan everything after it.

    `number` is the dose a button was for: pressing it again records nothing new. Without
    it, the open dose is meant (/log). `injected_on` defaults to the local date of
    `injected_at` in the patient's time zone.

    A caller that already read the patient, or all their doses (as
    `DoseRepository.list_for_patient` returns them), in this same transaction passes them as
    `patient` and `doses` so they are not read again: a press must stay cheap.
    """
    injected_at = require_utc(injected_at, "injected_at")
    if patient is None:
        patient = await _require_patient(session, patient_id)
    elif patient.id != patient_id:
        raise ValueError(f"patient {patient.id} given for patient {patient_id}")
    dose_repository = DoseRepository(session)
    if doses is None:
        doses = await dose_repository.list_for_patient(patient_id)
    elif any(dose.patient_id != patient_id for dose in doses):
        raise ValueError(f"doses of another patient given for patient {patient_id}")
    course = course_of(patient, doses)
    if course is None:
        raise DoseNotOpen("no treatment start recorded yet")
    due = next_dose(course)
    if number is not None and number != due.number:
        existing = await dose_repository.get_by_number(patient_id, number)
        if existing is None:
            raise DoseNotOpen(f"dose {number} is not the one due (dose {due.number} is)")
        return DoseRecorded(existing, created=False, next_dose=due)
    zone = ZoneInfo(patient.settings.time_zone)
    day = injected_on or injected_at.astimezone(zone).date()
    if injected_at > now or day > now.astimezone(zone).date():
        raise DoseOutOfOrder("an injection cannot be recorded in the future")
    if doses and day < doses[-1].injected_on:
        raise DoseOutOfOrder("an injection cannot be dated before the previous one")
    try:
        dose = await dose_repository.add(
            patient_id,
            number=due.number,
            injected_on=day,
            injected_at=injected_at,
            site=site,
            planned_on=due.due_on,
            lot_number=lot_number,
            source=source,
        )
    except DoseAlreadyRecorded:
        # Two presses raced: the other one recorded it.
        raced = await dose_repository.get_by_number(patient_id, due.number)
        assert raced is not None
        return DoseRecorded(raced, created=False, next_dose=due)
    if patient.snoozed_until is not None:
        patient = await PatientRepository(session).update(patient_id, snoozed_until=None)
    recorded_doses = (*doses, dose)
    _, reminders = await _replan(session, patient, recorded_doses, now=now)
    after = next_dose(
        Course(course.mode, course.first_dose_date, (*course.injected, dose.as_injected()))
    )
    return DoseRecorded(
        dose, created=True, next_dose=after, doses=recorded_doses, reminders=tuple(reminders)
    )


async def change_settings(
    session: AsyncSession,
    patient_id: int,
    *,
    now: datetime,
    settings: ReminderSettings | Unset = UNSET,
    mode: MaintenanceMode | Unset = UNSET,
    caregiver_injects: bool | Unset = UNSET,
    excluded_sites: frozenset[InjectionSite] | Unset = UNSET,
) -> Patient:
    """Change the patient's choices and replan their reminders."""
    patient = await PatientRepository(session).update(
        patient_id,
        settings=settings,
        mode=mode,
        caregiver_injects=caregiver_injects,
        excluded_sites=excluded_sites,
    )
    await _replan_patient(session, patient, now=now)
    return patient


async def snooze(
    session: AsyncSession, patient_id: int, *, until: datetime, now: datetime
) -> Patient:
    """Hold the open dose's nags until `until`, then remind again."""
    until = require_utc(until, "until")
    if until <= now:
        raise ValueError("a snooze ends in the future")
    patient = await PatientRepository(session).update(patient_id, snoozed_until=until)
    await _replan_patient(session, patient, now=now)
    return patient


async def set_status(
    session: AsyncSession, patient_id: int, status: PatientStatus, *, now: datetime
) -> Patient:
    """Pause, resume, or mark a patient (un)reachable, and replan accordingly."""
    patient = await PatientRepository(session).set_status(patient_id, status, now=now)
    await _replan_patient(session, patient, now=now)
    return patient
