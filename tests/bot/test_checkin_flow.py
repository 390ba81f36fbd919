"""The check-in's pure part: button data, the symptoms and severity questions, the notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot import checkin_flow as flow
from bot import texts
from bot.reminder_messages import ReminderFacts, check_in_keyboard, render
from scheduling.model import (
    CheckIn,
    CheckInStatus,
    DoseRecord,
    PlannedDose,
    Reminder,
    ReminderKind,
    ReminderSettings,
    ReminderStatus,
)
from storage.check_in_service import FromCheckIn, FromDose, FromReminder

MAX_ID = 10**18 - 1  # ids up to 18 digits are accepted


def all_data(screen: flow.Screen) -> list[str]:
    return [data for row in screen.keyboard for _, data in row]


@pytest.mark.parametrize(
    ("data", "press"),
    [
        ("checkin:good:42", flow.Choose("good", FromReminder(42))),
        ("checkin:allergic:c7", flow.Choose("allergic", FromCheckIn(7))),
        ("checkin:flu:d3", flow.Choose("flu", FromDose(3))),
        ("checkin:pick:9:5", flow.Toggle(9, 5)),
        ("checkin:done:9:31", flow.Done(9, 31)),
        ("checkin:sev:9:1:severe", flow.Rate(9, 1, "severe")),
        ("reaction:gone:12", flow.FollowUp(12, gone=True)),
        ("reaction:still:12", flow.FollowUp(12, gone=False)),
    ],
)
def test_button_data_is_parsed(data: str, press: flow.Press) -> None:
    assert flow.parse(data) == press


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "checkin",
        "checkin:good",
        "checkin:great:1",
        "checkin:good:x1",
        "checkin:good:-1",
        "checkin:good:١٢",  # non-ASCII digits
        "checkin:good:1:2",
        "checkin:pick:1:32",  # more symptoms than any group has
        "checkin:pick:1",
        "checkin:sev:1:1:awful",
        "checkin:sev:1:1",
        "reaction:maybe:1",
        "reaction:gone",
        "dose:done:1",
        f"checkin:good:{MAX_ID}0",
    ],
)
def test_malformed_or_foreign_data_is_refused(data: str | None) -> None:
    assert flow.parse(data) is None


def test_every_button_the_flow_shows_parses_back_and_fits_64_bytes() -> None:
    screens = [
        flow.symptoms_question("skin", MAX_ID, 0b1111),
        flow.symptoms_question("flu", MAX_ID, 0b11111),
        flow.severity_question(MAX_ID, 0b11111),
        flow.note("flu", "severe", MAX_ID),
        flow.reaction_menu(MAX_ID),
    ]
    data = [d for screen in screens for d in all_data(screen)]
    data += [d for row in check_in_keyboard(MAX_ID) for _, d in row]
    for item in data:
        assert len(item.encode()) <= 64
        assert flow.parse(item) is not None, item


def test_symptom_toggles_tick_what_is_picked_and_flip_one_bit() -> None:
    """Each toggle's data is the mask after pressing it; Done carries the mask as it is."""
    screen = flow.symptoms_question("skin", 5, 0b0101)
    labels = [label for row in screen.keyboard for label, _ in row]
    assert labels == [
        "✓ Redness",
        "Pain",
        "✓ Itching",
        "Swelling",
        "Done",
        "Allergic warning signs",
    ]
    assert all_data(screen) == [
        "checkin:pick:5:4",
        "checkin:pick:5:7",
        "checkin:pick:5:1",
        "checkin:pick:5:13",
        "checkin:done:5:5",
        "checkin:allergic:c5",
    ]
    assert screen.text == texts.CHECKIN_ASK_SKIN
    assert flow.symptoms_question("flu", 5, 0).text == texts.CHECKIN_ASK_FLU


def test_symptoms_and_their_label() -> None:
    assert flow.symptoms_of("flu", 0b10011) == ["fever", "headache", "tiredness"]
    assert flow.symptoms_label("flu", 0b10100) == "Muscle pain, tiredness"
    assert flow.valid_mask("skin", 15) and not flow.valid_mask("skin", 16)
    assert flow.valid_mask("flu", 31)


def test_severity_question_offers_three_levels_and_the_allergic_button() -> None:
    screen = flow.severity_question(8, 3)
    assert [label for row in screen.keyboard for label, _ in row] == [
        "Mild",
        "Moderate",
        "Severe",
        texts.BUTTON_ALLERGIC,
    ]


@pytest.mark.parametrize("group", ["skin", "flu"])
@pytest.mark.parametrize("severity", ["mild", "moderate", "severe"])
def test_the_note_is_label_based_and_ends_with_no_medical_advice(group: str, severity: str) -> None:
    """Severe asks to contact the MS team today; every note ends with the disclaimer."""
    screen = flow.note(group, severity, 1)
    assert screen.text.startswith(
        texts.CHECKIN_SKIN_NOTE if group == "skin" else texts.CHECKIN_FLU_NOTE
    )
    assert (texts.CHECKIN_SEVERE in screen.text) == (severity == "severe")
    assert "MS team" in screen.text
    assert screen.text.endswith(texts.NOT_MEDICAL_ADVICE)
    assert all_data(screen) == ["checkin:allergic:c1"]


def test_safety_texts_follow_the_wording_rules() -> None:
    """Allergic signs → emergency services; the rest → the MS team; disclaimer last."""
    for sign in texts.ALLERGIC_SIGNS.split(", "):
        assert sign in texts.CHECKIN_URGENT
    for text in (texts.CHECKIN_URGENT, texts.REACTION_STILL_THERE, texts.REACTION_NO_DOSE):
        assert "emergency services" in text
        assert text.endswith(texts.NOT_MEDICAL_ADVICE)
    assert texts.REACTION_GONE.endswith(texts.NOT_MEDICAL_ADVICE)
    assert "MS team" in texts.REACTION_BEFORE_DOSE


def test_reaction_menu_has_no_all_good() -> None:
    screen = flow.reaction_menu(4)
    assert screen.text == "Which reaction do you want to report after dose 4?"
    assert all_data(screen) == ["checkin:skin:d4", "checkin:flu:d4", "checkin:allergic:d4"]


def test_dose_reminders_mention_a_reaction_after_the_last_dose() -> None:
    """Heads-up, dose reminder and follow-ups ask to tell the MS team; the prep does not."""
    now = datetime(2026, 1, 10, 9, tzinfo=UTC)
    last = DoseRecord(1, 1, 1, date(2026, 1, 3), None)
    facts = ReminderFacts(
        settings=ReminderSettings(),
        open_dose=PlannedDose(2, date(2026, 1, 10)),
        suggested_site=None,
        last_dose=last,
        broadcast_text=None,
        now=now,
        reaction_after_last_dose=True,
    )
    mention = texts.REACTION_BEFORE_DOSE.format(number=1)
    for kind in ReminderKind.HEADS_UP, ReminderKind.DOSE, ReminderKind.FOLLOW_UP:
        text = render(Reminder(1, 1, kind, 2, now, ReminderStatus.CLAIMED), facts).text
        assert mention in text and text.endswith(texts.NOT_MEDICAL_ADVICE), kind
        assert text.count(texts.NOT_MEDICAL_ADVICE) == 1
    prep = render(Reminder(1, 1, ReminderKind.PREP, 2, now, ReminderStatus.CLAIMED), facts)
    assert mention not in prep.text
    quiet = replace(facts, reaction_after_last_dose=False)
    dose = render(Reminder(1, 1, ReminderKind.DOSE, 2, now, ReminderStatus.CLAIMED), quiet)
    assert mention not in dose.text


def test_history_lines_show_what_was_answered_about_each_dose() -> None:
    """Beside each dose: all good, the reaction with its details and severity, or unanswered."""
    at = datetime(2026, 1, 3, 12, tzinfo=UTC)
    answered = CheckInStatus.ANSWERED
    check_ins = [
        CheckIn(1, 1, 1, at, at, ("skin:redness", "skin:itching"), "moderate", False, answered),
        CheckIn(2, 1, 1, at, at, ("allergic",), None, True, answered),
        CheckIn(3, 1, 2, at, at, ("good",), None, False, answered),
        CheckIn(4, 1, 3, at, None, (), None, False, CheckInStatus.UNANSWERED),
        CheckIn(5, 1, 4, at, None, (), None, False, CheckInStatus.PENDING),
        CheckIn(6, 1, 5, at, at, ("flu", "follow_up:gone"), None, False, answered),
    ]
    history = "\n".join(
        [
            "Your recent doses:",
            *(f"• Dose {n}: Sat 3 Jan · on time · left thigh" for n in (6, 5, 4, 3, 2, 1)),
        ]
    )
    assert flow.with_check_ins(history, check_ins).splitlines() == [
        "Your recent doses:",
        "• Dose 6: Sat 3 Jan · on time · left thigh",
        "• Dose 5: Sat 3 Jan · on time · left thigh · flu-like",
        "• Dose 4: Sat 3 Jan · on time · left thigh",
        "• Dose 3: Sat 3 Jan · on time · left thigh · check-in not answered",
        "• Dose 2: Sat 3 Jan · on time · left thigh · all good",
        "• Dose 1: Sat 3 Jan · on time · left thigh · skin: redness, itching (moderate); "
        "allergic warning signs",
    ]
    assert flow.with_check_ins(texts.HISTORY_EMPTY, check_ins) == texts.HISTORY_EMPTY
