"""The buttons under a dose reminder, end to end: injected, elsewhere, snooze, not today, forged."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.clock import ManualClock
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.fake_faults import Fault
from bot.devtools.fake_models import ChatMessage
from bot.devtools.harness import RunningBot
from bot.devtools.patient import Patient
from scheduling.model import DoseRecord, DoseSource, InjectionSite, ReminderKind
from scheduling.model import Patient as StoredPatient
from scheduling.wallclock import local_instant
from storage.doses import DoseRepository
from storage.planning import change_settings
from tests.bot.test_onboarding import (
    patient_row,
    pending_reminders,
    press_anyway,
    set_up_new_patient,
    settle,
)

LONDON = ZoneInfo("Europe/London")


def at(day: date, wall: time = time(9)) -> datetime:
    """A London wall time as the UTC instant the clock is set to."""
    return local_instant(day, wall, LONDON)


async def stored(running: RunningBot, patient: Patient) -> StoredPatient:
    row = await patient_row(running, patient)
    assert row is not None
    return row


async def doses_of(running: RunningBot, patient: Patient) -> list[DoseRecord]:
    row = await stored(running, patient)
    async with running.services.database.sessions() as session:
        return await DoseRepository(session).list_for_patient(row.id)


async def reminder_arrives(
    running: RunningBot, clock: ManualClock, patient: Patient, when: datetime, contains: str
) -> ChatMessage:
    clock.set(when)
    await running.dispatch()
    return await patient.wait_for_message(contains)


def data_of(message: ChatMessage, label: str) -> str:
    """The callback data of the button whose label contains `label`."""
    for row in message.keyboard:
        for button in row:
            if label in button.text and button.callback_data is not None:
                return button.callback_data
    raise AssertionError(f"no button {label!r} on {message.buttons}")


def shown(patient: Patient, message: ChatMessage) -> ChatMessage:
    now = patient.chat.message(message.message_id)
    assert now is not None
    return now


async def test_injected_in_the_suggested_site_records_it_once(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """The reminder's first button records the dose there; a second press records nothing."""
    await set_up_new_patient(patient)
    reminder = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 3)), "Time for dose 1"
    )
    assert reminder.buttons == [
        "Injected in left thigh",
        texts.BUTTON_INJECTED_ELSEWHERE,
        texts.BUTTON_SNOOZE,
        texts.BUTTON_NOT_TODAY,
    ]
    done_data = data_of(reminder, "Injected in")
    clock.set(at(date(2026, 1, 3), time(9, 5)))
    await patient.press("Injected in left thigh", message_id=reminder.message_id)
    # One message says it all: the reminder itself shows what was recorded and what is next.
    recorded = await patient.wait_for_message("Next dose:")
    assert recorded.message_id == reminder.message_id
    assert recorded.buttons == []
    assert (recorded.text or "").endswith(
        "✓ Dose 1 recorded: left thigh, Sat 3 Jan at 09:05.\n"
        "Next dose: Sat 10 Jan 09:00 · next site: right thigh."
    )

    again = press_anyway(patient, reminder.message_id, done_data)
    assert (await patient.wait_for_answer(again)).text == texts.ALREADY_RECORDED
    await settle(patient)
    told = [m.message_id for m in patient.bot_messages if "Next dose" in (m.text or "")]
    assert told == [reminder.message_id]  # no message of its own
    doses = await doses_of(running, patient)
    assert [(d.number, d.injected_on, d.site, d.source, d.planned_on) for d in doses] == [
        (1, date(2026, 1, 3), InjectionSite.LEFT_THIGH, DoseSource.REMINDER, date(2026, 1, 3))
    ]
    row = await stored(running, patient)
    dose_reminders = [
        r for r in await pending_reminders(running, row.id) if r.kind is ReminderKind.DOSE
    ]
    assert [(r.dose_number, r.due_at) for r in dose_reminders] == [(2, at(date(2026, 1, 10)))]


async def test_a_reminder_that_cannot_be_edited_still_gets_the_confirmation(
    patient: Patient, fake: FakeBotApi, running: RunningBot, clock: ManualClock
) -> None:
    """When the reminder cannot show the outcome (the edit fails), it comes as a message of its
    own: a recorded dose is never left unconfirmed."""
    await set_up_new_patient(patient)
    reminder = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 3)), "Time for dose 1"
    )
    fake.fail_next(
        "editMessageText",
        Fault(400, "Bad Request: message can't be edited"),
        chat_id=patient.user_id,
    )
    clock.set(at(date(2026, 1, 3), time(9, 5)))
    await patient.press("Injected in left thigh", message_id=reminder.message_id)
    recorded = await patient.wait_for_message("Recorded.")
    assert recorded.message_id != reminder.message_id
    assert recorded.text == "Recorded. Next dose: Sat 10 Jan 09:00 · next site: right thigh."
    assert [d.number for d in await doses_of(running, patient)] == [1]


async def test_injected_elsewhere_offers_only_allowed_zones(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """The picker shows thighs and abdomen (no arms without a caregiver); Back restores the
    reminder's buttons; a forged arm choice is refused; the picked zone is recorded."""
    await set_up_new_patient(patient)
    reminder = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 3)), "Time for dose 1"
    )
    original = reminder.buttons
    query = await patient.press(texts.BUTTON_INJECTED_ELSEWHERE, message_id=reminder.message_id)
    assert (await patient.wait_for_answer(query)).text == texts.ASK_WHERE_INJECTED
    picker = await patient.wait_for_message()
    assert picker.buttons == [
        "left thigh",
        "right thigh",
        "left lower abdomen",
        "right lower abdomen",
        texts.BUTTON_BACK,
    ]
    await patient.press(texts.BUTTON_BACK, message_id=reminder.message_id)
    assert (await patient.wait_for_message()).buttons == original

    await patient.press(texts.BUTTON_INJECTED_ELSEWHERE, message_id=reminder.message_id)
    await patient.wait_for_message()
    arm = data_of(reminder, "Injected in").replace("done", "site") + ":left_upper_arm"
    forged = press_anyway(patient, reminder.message_id, arm)
    assert (await patient.wait_for_answer(forged)).text == texts.BUTTON_NO_LONGER_VALID
    assert await doses_of(running, patient) == []

    await patient.press("right lower abdomen", message_id=reminder.message_id)
    recorded = await patient.wait_for_message("Next dose:")
    # Rotation goes on from where the patient really injected.
    assert (recorded.text or "").endswith(
        "✓ Dose 1 recorded: right lower abdomen, Sat 3 Jan at 09:00.\n"
        "Next dose: Sat 10 Jan 09:00 · next site: left thigh."
    )
    assert [d.site for d in await doses_of(running, patient)] == [InjectionSite.RIGHT_ABDOMEN]
    assert shown(patient, reminder).buttons == []


async def test_snooze_not_today_and_a_dose_three_days_late_move_the_plan(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Snooze 1 h: reminded again 1 h later. Not today: next nudge tomorrow at 09:00. Injected
    3 days late: dose 2 is 7 days after the real injection, and the message says so."""
    await set_up_new_patient(patient)
    reminder = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 3)), "Time for dose 1"
    )
    await patient.press(texts.BUTTON_SNOOZE, message_id=reminder.message_id)
    options = await patient.wait_for_message()
    assert options.buttons == [
        texts.BUTTON_SNOOZE_15_MIN,
        texts.BUTTON_SNOOZE_1_HOUR,
        texts.BUTTON_SNOOZE_3_HOURS,
        texts.BUTTON_SNOOZE_EVENING,
        texts.BUTTON_BACK,
    ]
    query = await patient.press(texts.BUTTON_SNOOZE_1_HOUR, message_id=reminder.message_id)
    snoozed_text = "Snoozed: I'll remind you again at 10:00."
    assert (await patient.wait_for_answer(query)).text == snoozed_text
    edited = await patient.wait_for_message(snoozed_text)
    assert edited.buttons == []

    clock.set(at(date(2026, 1, 3), time(9, 59)))
    assert (await running.dispatch()).sent == 0
    nudge = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 3), time(10)), "dose 1 is due today"
    )
    assert nudge.buttons[0] == "Injected in left thigh"

    await patient.press(texts.BUTTON_NOT_TODAY, message_id=nudge.message_id)
    not_today = await patient.wait_for_message("Not today")
    assert not_today.text is not None
    assert not_today.text.endswith("Not today: I'll remind you again tomorrow, Sun 4 Jan 09:00.")
    row = await stored(running, patient)
    assert row.snoozed_until == at(date(2026, 1, 4))
    nags = [
        r
        for r in await pending_reminders(running, row.id)
        if r.kind in (ReminderKind.DOSE, ReminderKind.FOLLOW_UP)
    ]
    assert min(r.due_at for r in nags) == at(date(2026, 1, 4))
    clock.set(at(date(2026, 1, 4), time(8, 59)))
    assert (await running.dispatch()).sent == 0
    overdue = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 4)), "Dose 1 was due on Sat 3 Jan (yesterday)"
    )
    assert "as soon as possible" in (overdue.text or "")

    # Tue 6 Jan, 3 days after the planned Sat 3 Jan.
    late = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 6)), "Dose 1 was due on Sat 3 Jan (3 days ago)"
    )
    clock.set(at(date(2026, 1, 6), time(9, 30)))
    await patient.press("Injected in left thigh", message_id=late.message_id)
    recorded = await patient.wait_for_message("Next dose:")
    assert recorded.message_id == late.message_id
    assert (recorded.text or "").endswith(
        "✓ Dose 1 recorded: left thigh, Tue 6 Jan at 09:30.\n"
        "Dose 1 was planned for Sat 3 Jan; you injected it 3 days late, so the doses after it "
        "now count from Tue 6 Jan.\n"
        "Next dose: Tue 13 Jan 09:00 · next site: right thigh.\n"
        "Then: dose 3 Tue 20 Jan, dose 4 Tue 3 Feb."
    )
    dose_reminders = [
        r for r in await pending_reminders(running, row.id) if r.kind is ReminderKind.DOSE
    ]
    assert [(r.dose_number, r.due_at) for r in dose_reminders] == [(2, at(date(2026, 1, 13)))]
    # Every older reminder of dose 1 lost its buttons (after the confirmation): nothing stale
    # is left to press.
    await settle(patient)
    assert [(m.message_id, m.text) for m in patient.bot_messages if m.keyboard] == []
    assert (await stored(running, patient)).snoozed_until is None


async def test_this_evening_is_19_local_or_3_hours_later(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Pressed in the morning, "this evening" means 19:00 local time."""
    await set_up_new_patient(patient)
    reminder = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 3)), "Time for dose 1"
    )
    await patient.press(texts.BUTTON_SNOOZE, message_id=reminder.message_id)
    await patient.wait_for_message()
    await patient.press(texts.BUTTON_SNOOZE_EVENING, message_id=reminder.message_id)
    await patient.wait_for_message("Snoozed: I'll remind you again at 19:00.")
    assert (await stored(running, patient)).snoozed_until == at(date(2026, 1, 3), time(19))


async def test_a_forged_button_with_another_patients_reminder_changes_nothing(
    fake: FakeBotApi, patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Patient B sends patient A's reminder id in every dose action: each is refused, and no
    dose, snooze or reminder of A or B changes."""
    bob = fake.patient(first_name="Bob")
    await set_up_new_patient(patient)
    await set_up_new_patient(bob)
    clock.set(at(date(2026, 1, 3)))
    await running.dispatch()
    ann_reminder = await patient.wait_for_message("Time for dose 1")
    bob_reminder = await bob.wait_for_message("Time for dose 1")
    ann_id = data_of(ann_reminder, "Injected in").rsplit(":", 1)[1]
    ann_row, bob_row = await stored(running, patient), await stored(running, bob)
    before = (
        await pending_reminders(running, ann_row.id),
        await pending_reminders(running, bob_row.id),
    )

    forged = [
        f"dose:done:{ann_id}",
        f"dose:elsewhere:{ann_id}",
        f"dose:snooze:{ann_id}",
        f"dose:nottoday:{ann_id}",
        f"dose:snz:{ann_id}:1h",
        f"dose:site:{ann_id}:right_thigh",
        f"dose:back:{ann_id}",
        "dose:done:999999",
        "dose:done:-1",
        "dose:done:1:extra",
        "dose:",
    ]
    for data in forged:
        query = press_anyway(bob, bob_reminder.message_id, data)
        answer = await bob.wait_for_answer(query)
        assert answer.text == texts.BUTTON_NO_LONGER_VALID, data
    # A's own message, pressed by B (an update no real client sends): refused too.
    query = f"forged-cross-{ann_id}"
    fake.open_callback_queries.add(query)
    fake.enqueue_update(
        "callback_query",
        {
            "id": query,
            "from": bob.user.to_api(),
            "message": ann_reminder.to_api(patient.chat),
            "chat_instance": "1",
            "data": f"dose:done:{ann_id}",
        },
    )
    assert (await bob.wait_for_answer(query)).text == texts.BUTTON_NO_LONGER_VALID
    await settle(bob)

    assert await doses_of(running, patient) == []
    assert await doses_of(running, bob) == []
    assert (await stored(running, patient)).snoozed_until is None
    assert (await stored(running, bob)).snoozed_until is None
    after = (
        await pending_reminders(running, ann_row.id),
        await pending_reminders(running, bob_row.id),
    )
    assert after == before
    assert shown(patient, ann_reminder).buttons == ann_reminder.buttons
    assert shown(bob, bob_reminder).buttons == bob_reminder.buttons


async def test_next_and_history(patient: Patient, running: RunningBot, clock: ManualClock) -> None:
    """/next: number, weekday date, time, days to go, site. /history: date, timing, site."""
    await patient.send("/next")
    assert (await patient.wait_for_message()).text == texts.NOT_SET_UP
    await set_up_new_patient(patient)
    await patient.send("/history")
    assert (await patient.wait_for_message()).text == texts.HISTORY_EMPTY
    await patient.send("/next")
    assert (await patient.wait_for_message()).text == (
        "Your next dose: dose 1 on Sat 3 Jan at 09:00 (tomorrow).\nSite: left thigh."
    )

    reminder = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 5)), "Dose 1 was due on Sat 3 Jan"
    )
    await patient.press(texts.BUTTON_INJECTED_ELSEWHERE, message_id=reminder.message_id)
    await patient.wait_for_message()
    await patient.press("right thigh", message_id=reminder.message_id)
    await patient.wait_for_message("Next dose:")
    second = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 12)), "Time for dose 2"
    )
    await patient.press("Injected in", message_id=second.message_id)
    await patient.wait_for_message("Next dose:")

    await patient.send("/history")
    assert (await patient.wait_for_message()).text == (
        "Your recent doses:\n"
        "• Dose 2: Mon 12 Jan · on time · left thigh\n"
        "• Dose 1: Mon 5 Jan · 2 days late · right thigh"
    )
    clock.set(at(date(2026, 1, 21), time(10)))
    await patient.send("/next")
    assert (await patient.wait_for_message()).text == (
        "Dose 3 was due on Mon 19 Jan (2 days ago). The label says to take a missed dose as "
        "soon as possible.\nSite: left lower abdomen.\n" + texts.NOT_MEDICAL_ADVICE
    )


async def test_odd_payloads_are_all_answered_and_break_nothing(
    patient: Patient, running: RunningBot, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Malformed, oversized and mixed-up dose and /log payloads: each answered, no error."""
    await set_up_new_patient(patient)
    reminder = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 3)), "Time for dose 1"
    )
    own = data_of(reminder, "Injected in").rsplit(":", 1)[1]
    payloads = [
        f"dose:snz:{own}:99h",
        f"dose:site:{own}:navel",
        f"dose:site:{own}",
        f"dose:done:{own}:",
        f"dose:done: {own}",
        f"dose:done:{own}0000000000000000000000",
        "dose:done:١٢",  # Arabic-Indic digits
        "dose:::",
        "log:date:2026-02-30",
        "log:time:2500",
        "log:site:left_thigh",
        "log:cancel",
        "log:",
    ]
    with caplog.at_level(logging.ERROR):
        for data in payloads:
            query = press_anyway(patient, reminder.message_id, data)
            answer = await patient.wait_for_answer(query)
            assert answer.text == texts.BUTTON_NO_LONGER_VALID, data
        await settle(patient)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await doses_of(running, patient) == []
    assert shown(patient, reminder).buttons == reminder.buttons


async def test_the_site_recorded_is_the_one_the_button_showed(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Excluding a zone after the reminder went out does not change what its button records;
    with every zone excluded the button says just "Injected" and records no site."""
    await set_up_new_patient(patient)
    reminder = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 3)), "Time for dose 1"
    )
    row = await stored(running, patient)
    async with running.services.database.sessions.begin() as session:
        await change_settings(
            session, row.id, now=clock(), excluded_sites=frozenset({InjectionSite.LEFT_THIGH})
        )
    await patient.press("Injected in left thigh", message_id=reminder.message_id)
    await patient.wait_for_message("Next dose:")

    every_zone = frozenset(
        {
            InjectionSite.LEFT_THIGH,
            InjectionSite.RIGHT_THIGH,
            InjectionSite.LEFT_ABDOMEN,
            InjectionSite.RIGHT_ABDOMEN,
        }
    )
    async with running.services.database.sessions.begin() as session:
        await change_settings(session, row.id, now=clock(), excluded_sites=every_zone)
    second = await reminder_arrives(
        running, clock, patient, at(date(2026, 1, 10)), "Time for dose 2"
    )
    assert second.buttons[0] == texts.BUTTON_INJECTED
    await patient.press(texts.BUTTON_INJECTED, message_id=second.message_id)
    await patient.wait_for_message("Next dose:")
    assert [d.site for d in await doses_of(running, patient)] == [InjectionSite.LEFT_THIGH, None]
