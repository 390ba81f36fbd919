"""The check-in after a dose, end to end through the fake Bot API with the clock moved by hand.

The patient (tests.bot.test_onboarding.set_up_new_patient) is in London, dose 1 on Sat 3 Jan
2026 at 09:00, quiet hours 22:00-08:00; in January London time is UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot import texts
from bot.clock import ManualClock
from bot.devtools.fake_models import ChatMessage
from bot.devtools.harness import RunningBot
from bot.devtools.patient import Patient
from scheduling.model import CheckIn, CheckInStatus, ReminderKind, ReminderStatus
from storage.check_ins import CheckInRepository
from storage.reminders import ReminderRepository
from tests.bot.test_dose import at, data_of, shown, stored
from tests.bot.test_onboarding import press_anyway, set_up_new_patient, settle

DOSE_1_DAY = date(2026, 1, 3)
DOSE_2_DAY = date(2026, 1, 10)


async def inject(
    patient: Patient, running: RunningBot, clock: ManualClock, number: int, when: datetime
) -> None:
    """Dose `number`'s reminder arrives at 09:00 on its day; "Injected" is pressed at `when`."""
    day = DOSE_1_DAY if number == 1 else DOSE_2_DAY
    clock.set(at(day))
    await running.dispatch()
    reminder = await patient.wait_for_message(f"Time for dose {number}")
    clock.set(when)
    await patient.press("Injected in", message_id=reminder.message_id)
    await patient.wait_for_message("Next dose:")


async def check_in_arrives(
    patient: Patient, running: RunningBot, clock: ManualClock, when: datetime
) -> ChatMessage:
    """Nothing is sent a minute before `when`; at `when` the check-in arrives."""
    clock.set(when - timedelta(minutes=1))
    assert (await running.dispatch()).sent == 0
    clock.set(when)
    assert (await running.dispatch()).sent == 1
    return await patient.wait_for_message("How are you feeling")


async def dose_1_check_in(patient: Patient, running: RunningBot, clock: ManualClock) -> ChatMessage:
    """Set up, inject dose 1 at 09:00; its check-in comes 3 hours later."""
    await set_up_new_patient(patient)
    await inject(patient, running, clock, 1, at(DOSE_1_DAY))
    return await check_in_arrives(patient, running, clock, at(DOSE_1_DAY, time(12)))


async def check_ins_of(running: RunningBot, patient: Patient) -> list[CheckIn]:
    row = await stored(running, patient)
    async with running.services.database.sessions() as session:
        return await CheckInRepository(session).list_for_patient(row.id)


async def kinds_sent(running: RunningBot, patient: Patient) -> list[ReminderKind]:
    row = await stored(running, patient)
    async with running.services.database.sessions() as session:
        sent = await ReminderRepository(session).list_for_patient(row.id, ReminderStatus.SENT)
    return [reminder.kind for reminder in sent]


async def test_a_dose_at_21_30_is_checked_in_on_at_08_00_the_next_morning(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Dose 1 at 21:30: 3 h later is inside the quiet hours, so the check-in comes at 08:00,
    inside the 24 hours. It names the dose and the site."""
    await set_up_new_patient(patient)
    await inject(patient, running, clock, 1, at(DOSE_1_DAY, time(21, 30)))
    message = await check_in_arrives(patient, running, clock, at(date(2026, 1, 4), time(8)))
    assert message.text == "How are you feeling after last night's injection (dose 1, left thigh)?"
    assert message.buttons == [
        texts.BUTTON_ALL_GOOD,
        texts.BUTTON_SKIN,
        texts.BUTTON_FLU_LIKE,
        texts.BUTTON_ALLERGIC,
    ]


async def test_a_later_dose_at_09_00_is_checked_in_on_at_15_00(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Dose 1 at 09:00 → check-in at 12:00 (3 h); dose 2 at 09:00 → check-in at 15:00 (6 h).
    "All good" is stored, thanked for, and stops the nudge."""
    check_in = await dose_1_check_in(patient, running, clock)
    await patient.press(texts.BUTTON_ALL_GOOD, message_id=check_in.message_id)
    await patient.wait_for_message(texts.CHECKIN_ALL_GOOD)
    assert shown(patient, check_in).buttons == []

    await inject(patient, running, clock, 2, at(DOSE_2_DAY))
    message = await check_in_arrives(patient, running, clock, at(DOSE_2_DAY, time(15)))
    assert message.text == (
        "How are you feeling after this morning's injection (dose 2, right thigh)?"
    )
    await patient.press(texts.BUTTON_ALL_GOOD, message_id=message.message_id)
    await patient.wait_for_message(texts.CHECKIN_ALL_GOOD)

    answered = await check_ins_of(running, patient)
    assert [(c.dose_number, c.answers, c.status) for c in answered] == [
        (1, ("good",), CheckInStatus.ANSWERED),
        (2, ("good",), CheckInStatus.ANSWERED),
    ]
    assert answered[1].answered_at == at(DOSE_2_DAY, time(15))
    clock.set(at(DOSE_2_DAY, time(23)))
    assert (await running.dispatch()).sent == 0  # no nudge, no follow-up
    assert ReminderKind.CHECK_IN_NUDGE not in await kinds_sent(running, patient)


async def test_skin_reaction_then_follow_up_the_next_morning_once(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Skin → redness and itching → moderate: stored; the note; next morning "Are the symptoms
    gone?" once; "Gone" is noted once; a second press changes nothing."""
    check_in = await dose_1_check_in(patient, running, clock)
    await patient.press(texts.BUTTON_SKIN, message_id=check_in.message_id)
    question = await patient.wait_for_message(texts.CHECKIN_ASK_SKIN)
    assert question.buttons[:5] == ["Redness", "Pain", "Itching", "Swelling", "Done"]
    assert question.buttons[-1] == texts.BUTTON_ALLERGIC

    query = await patient.press(texts.CHECKIN_BUTTON_DONE, message_id=question.message_id)
    assert (await patient.wait_for_answer(query)).text == texts.CHECKIN_PICK_ONE
    for label in ("Redness", "Pain", "Itching", "✓ Pain"):  # Pain on, then off again
        await patient.press(label, message_id=question.message_id)
        await patient.wait_for_message()
    assert shown(patient, question).buttons[:4] == [
        "✓ Redness",
        "Pain",
        "✓ Itching",
        "Swelling",
    ]
    await patient.press(texts.CHECKIN_BUTTON_DONE, message_id=question.message_id)
    severity = await patient.wait_for_message(texts.CHECKIN_ASK_SEVERITY)
    assert (shown(patient, question).text or "").endswith("✓ Redness, itching")
    await patient.press("Moderate", message_id=severity.message_id)
    note = await patient.wait_for_message(texts.CHECKIN_SKIN_NOTE)
    assert note.text is not None and note.text.endswith(texts.NOT_MEDICAL_ADVICE)
    assert texts.CHECKIN_SEVERE not in note.text

    [answered] = await check_ins_of(running, patient)
    assert answered.answers == ("skin:redness", "skin:itching")
    assert answered.severity == "moderate" and not answered.urgent
    assert answered.answered_at == at(DOSE_1_DAY, time(12))
    stale = press_anyway(patient, severity.message_id, f"checkin:sev:{answered.id}:1:severe")
    assert (await patient.wait_for_answer(stale)).text == texts.BUTTON_NO_LONGER_VALID
    assert (await check_ins_of(running, patient))[0].severity == "moderate"

    clock.set(at(DOSE_1_DAY, time(15)))
    assert (await running.dispatch()).sent == 0  # answered: no nudge
    clock.set(at(date(2026, 1, 4), time(7, 59)))
    assert (await running.dispatch()).sent == 0
    clock.set(at(date(2026, 1, 4), time(8)))
    assert (await running.dispatch()).sent == 1
    follow_up = await patient.wait_for_message(texts.REACTION_FOLLOW_UP.format(number=1))
    assert follow_up.buttons == [texts.BUTTON_SYMPTOMS_GONE, texts.BUTTON_SYMPTOMS_STILL_THERE]
    gone_data = data_of(follow_up, texts.BUTTON_SYMPTOMS_GONE)
    await patient.press(texts.BUTTON_SYMPTOMS_GONE, message_id=follow_up.message_id)
    await patient.wait_for_message(texts.REACTION_GONE)
    again = press_anyway(patient, follow_up.message_id, gone_data.replace("gone", "still"))
    assert (await patient.wait_for_answer(again)).text == texts.BUTTON_NO_LONGER_VALID
    assert (await check_ins_of(running, patient))[0].answers[-1] == "follow_up:gone"

    clock.set(at(date(2026, 1, 6)))
    assert (await running.dispatch()).sent == 0
    assert (await kinds_sent(running, patient)).count(ReminderKind.REACTION_FOLLOW_UP) == 1


async def test_severe_flu_like_symptoms_then_the_next_dose_mentions_the_reaction(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Flu-like → fever, headache → severe: the note asks to contact the MS team today. The
    follow-up's "Still there" points to the MS team. Dose 2's reminders mention the reaction."""
    check_in = await dose_1_check_in(patient, running, clock)
    await patient.press(texts.BUTTON_FLU_LIKE, message_id=check_in.message_id)
    question = await patient.wait_for_message(texts.CHECKIN_ASK_FLU)
    assert question.buttons[:5] == ["Fever", "Headache", "Muscle pain", "Chills", "Tiredness"]
    await patient.press("Fever", message_id=question.message_id)
    await patient.wait_for_message()
    await patient.press("Headache", message_id=question.message_id)
    await patient.wait_for_message()
    await patient.press(texts.CHECKIN_BUTTON_DONE, message_id=question.message_id)
    severity = await patient.wait_for_message(texts.CHECKIN_ASK_SEVERITY)
    await patient.press("Severe", message_id=severity.message_id)
    note = await patient.wait_for_message(texts.CHECKIN_FLU_NOTE)
    assert note.text is not None and texts.CHECKIN_SEVERE in note.text
    assert note.text.endswith(texts.NOT_MEDICAL_ADVICE)
    [answered] = await check_ins_of(running, patient)
    assert (answered.answers, answered.severity) == (("flu:fever", "flu:headache"), "severe")

    clock.set(at(date(2026, 1, 4), time(8)))
    await running.dispatch()
    follow_up = await patient.wait_for_message(texts.REACTION_FOLLOW_UP.format(number=1))
    await patient.press(texts.BUTTON_SYMPTOMS_STILL_THERE, message_id=follow_up.message_id)
    still = await patient.wait_for_message(texts.REACTION_STILL_THERE)
    assert "MS team" in (still.text or "")

    mention = texts.REACTION_BEFORE_DOSE.format(number=1)
    clock.set(at(DOSE_2_DAY - timedelta(days=1)))
    await running.dispatch()
    assert mention in ((await patient.wait_for_message("Tomorrow")).text or "")
    clock.set(at(DOSE_2_DAY))
    await running.dispatch()
    reminder = await patient.wait_for_message("Time for dose 2")
    assert reminder.text is not None and mention in reminder.text
    assert reminder.text.endswith(texts.NOT_MEDICAL_ADVICE)


async def test_allergic_warning_signs_send_the_urgent_message_first(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """The urgent message (emergency services, the label's signs) is the first thing the bot
    sends after the press; the check-in is stored as urgent; the follow-up comes next morning."""
    check_in = await dose_1_check_in(patient, running, clock)
    seen = len(patient.chat.outputs)
    await patient.press(texts.BUTTON_ALLERGIC, message_id=check_in.message_id)
    first = await patient.wait_for_message()
    assert first.text == texts.CHECKIN_URGENT
    assert patient.chat.outputs[seen].kind == "sent"
    assert patient.chat.outputs[seen].message.text == texts.CHECKIN_URGENT
    for sign in ("rash", "hives", "trouble breathing", "eyelids", "chest tightness", "faint"):
        assert sign in texts.CHECKIN_URGENT
    assert "emergency services" in texts.CHECKIN_URGENT and "MS team" in texts.CHECKIN_URGENT
    await settle(patient)
    [answered] = await check_ins_of(running, patient)
    assert (answered.answers, answered.urgent, answered.dose_number) == (("allergic",), True, 1)

    clock.set(at(date(2026, 1, 4), time(8)))
    assert (await running.dispatch()).sent == 1
    await patient.wait_for_message(texts.REACTION_FOLLOW_UP.format(number=1))


async def test_an_unanswered_check_in_is_nudged_once_then_recorded_unanswered(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """No answer: one nudge 3 h later, nothing more; the next dose's reminders come as planned
    and the check-in is recorded as unanswered."""
    await dose_1_check_in(patient, running, clock)
    clock.set(at(DOSE_1_DAY, time(15)))
    assert (await running.dispatch()).sent == 1
    nudge = await patient.wait_for_message(texts.CHECK_IN_NUDGE.format(number=1))
    assert texts.BUTTON_ALLERGIC in nudge.buttons
    clock.set(at(date(2026, 1, 5)))
    assert (await running.dispatch()).sent == 0
    sent = await kinds_sent(running, patient)
    assert (sent.count(ReminderKind.CHECK_IN), sent.count(ReminderKind.CHECK_IN_NUDGE)) == (1, 1)

    await inject(patient, running, clock, 2, at(DOSE_2_DAY))
    [unanswered] = await check_ins_of(running, patient)
    assert (unanswered.dose_number, unanswered.status) == (1, CheckInStatus.UNANSWERED)
    assert unanswered.asked_at == at(DOSE_1_DAY, time(12))
    stale = press_anyway(patient, nudge.message_id, data_of(nudge, texts.BUTTON_ALL_GOOD))
    assert (await patient.wait_for_answer(stale)).text == texts.BUTTON_NO_LONGER_VALID


async def test_answering_the_nudge_stops_it_and_clears_the_first_message(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Answered under the nudge: the check-in's own buttons go too; pressing them later (an old
    client) changes nothing."""
    check_in = await dose_1_check_in(patient, running, clock)
    good = data_of(check_in, texts.BUTTON_ALL_GOOD)
    clock.set(at(DOSE_1_DAY, time(15)))
    await running.dispatch()
    nudge = await patient.wait_for_message(texts.CHECK_IN_NUDGE.format(number=1))
    await patient.press(texts.BUTTON_ALL_GOOD, message_id=nudge.message_id)
    await patient.wait_for_message(texts.CHECKIN_ALL_GOOD)
    await settle(patient)
    assert shown(patient, check_in).buttons == []
    stale = press_anyway(patient, check_in.message_id, good.replace("good", "skin"))
    assert (await patient.wait_for_answer(stale)).text == texts.BUTTON_NO_LONGER_VALID
    assert [c.answers for c in await check_ins_of(running, patient)] == [("good",)]


async def test_a_check_in_more_than_24_hours_after_the_dose_is_cancelled(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """Bot down from the injection until 24 h later: the check-in and nudge are cancelled."""
    await set_up_new_patient(patient)
    await inject(patient, running, clock, 1, at(DOSE_1_DAY))
    clock.set(at(DOSE_1_DAY) + timedelta(hours=24, minutes=1))
    report = await running.dispatch()
    assert report.sent == 0 and report.cancelled_stale == 2
    assert not any("How are you feeling" in (m.text or "") for m in patient.bot_messages)
    row = await stored(running, patient)
    async with running.services.database.sessions() as session:
        rows = await ReminderRepository(session).list_for_patient(row.id)
    assert {r.status for r in rows if r.kind is ReminderKind.CHECK_IN} == {ReminderStatus.CANCELLED}


async def test_reaction_command_reports_about_the_latest_dose(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """/reaction after "All good": a new report about dose 1, with its details; forged and
    stale buttons change nothing."""
    check_in = await dose_1_check_in(patient, running, clock)
    await patient.press(texts.BUTTON_ALL_GOOD, message_id=check_in.message_id)
    await patient.wait_for_message(texts.CHECKIN_ALL_GOOD)

    clock.set(at(DOSE_1_DAY, time(18)))
    await patient.send("/reaction")
    menu = await patient.wait_for_message(texts.REACTION_ASK.format(number=1))
    assert menu.buttons == [texts.BUTTON_SKIN, texts.BUTTON_FLU_LIKE, texts.BUTTON_ALLERGIC]
    for forged in ("checkin:skin:d2", "checkin:good:d1", "checkin:skin:999999", "checkin:x:1"):
        query = press_anyway(patient, menu.message_id, forged)
        assert (await patient.wait_for_answer(query)).text == texts.BUTTON_NO_LONGER_VALID
    await patient.press(texts.BUTTON_SKIN, message_id=menu.message_id)
    question = await patient.wait_for_message(texts.CHECKIN_ASK_SKIN)
    await patient.press("Swelling", message_id=question.message_id)
    await patient.wait_for_message()
    await patient.press(texts.CHECKIN_BUTTON_DONE, message_id=question.message_id)
    severity = await patient.wait_for_message(texts.CHECKIN_ASK_SEVERITY)
    await patient.press("Mild", message_id=severity.message_id)
    await patient.wait_for_message(texts.CHECKIN_SKIN_NOTE)

    first, report = await check_ins_of(running, patient)
    assert first.answers == ("good",)
    assert (report.dose_number, report.answers, report.severity) == (1, ("skin:swelling",), "mild")
    assert report.asked_at == report.answered_at == at(DOSE_1_DAY, time(18))


async def test_another_patients_check_in_cannot_be_answered(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """A check-in button naming someone else's reminder is refused and stores nothing."""
    other = patient.fake.patient(first_name="Bea")
    check_in = await dose_1_check_in(patient, running, clock)
    await set_up_new_patient(other)
    welcome = other.chat.bot_messages[-1]
    query = press_anyway(other, welcome.message_id, data_of(check_in, texts.BUTTON_SKIN))
    assert (await other.wait_for_answer(query)).text == texts.BUTTON_NO_LONGER_VALID
    assert await check_ins_of(running, patient) == []
    assert await check_ins_of(running, other) == []


async def test_history_shows_the_reaction_beside_the_dose(
    patient: Patient, running: RunningBot, clock: ManualClock
) -> None:
    """/history: the allergic report beside dose 1."""
    check_in = await dose_1_check_in(patient, running, clock)
    await patient.press(texts.BUTTON_ALLERGIC, message_id=check_in.message_id)
    await patient.wait_for_message(texts.CHECKIN_URGENT)
    await settle(patient)
    await patient.send("/history")
    history = await patient.wait_for_message("Your recent doses")
    assert (history.text or "").splitlines()[1].endswith("· allergic warning signs")
