"""The onboarding state machine, without Telegram: each step, validation, the summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import onboarding_flow as flow
from bot import onboarding_state, texts
from bot.onboarding_flow import Outcome
from bot.onboarding_state import Answers, DayAnswer, OnboardingState, Step

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)  # Friday; 12:00 in London, 23:00 in Sydney
TODAY = date(2026, 1, 2)

NEW_PATIENT = Answers(
    on_treatment=False,
    first_dose=DayAnswer(day=date(2026, 1, 3)),
    reminder_time=time(9),
    time_zone="Europe/London",
    caregiver_injects=False,
)
NEW_PATIENT_DATA = onboarding_state.dump(OnboardingState(Step.SUMMARY, NEW_PATIENT))[1]
ON_TREATMENT = Answers(
    on_treatment=True,
    last_dose=DayAnswer(day=date(2025, 12, 15)),
    last_dose_number=6,
    reminder_time=time(9),
    time_zone="Europe/London",
    caregiver_injects=False,
)


def data_of(question: flow.Question, label: str) -> str:
    matches = [data for row in question.buttons for text, data in row if text == label]
    assert len(matches) == 1, f"{label!r} not in {question.buttons}"
    return matches[0]


def press(state: OnboardingState, label: str, now: datetime = NOW) -> Outcome:
    """Press the button labelled `label` on the step's question."""
    outcome = flow.press(state, data_of(flow.question(state, now=now), label), now=now)
    assert outcome is not None
    return outcome


def typed(state: OnboardingState, text: str, now: datetime = NOW) -> Outcome:
    return flow.type_text(state, text, now=now)


def at(step: Step, answers: Answers = NEW_PATIENT) -> OnboardingState:
    state = OnboardingState(step, answers)
    assert onboarding_state.is_consistent(state)
    return state


STATES_AT_EVERY_STEP = [
    onboarding_state.first_state(),
    at(Step.FIRST_DOSE_DATE, Answers(on_treatment=False)),
    at(Step.LAST_DOSE_DATE, Answers(on_treatment=True)),
    at(Step.LAST_DOSE_NUMBER, replace(ON_TREATMENT, last_dose_number=None)),
    at(Step.LATER_DOSE_NUMBER, replace(ON_TREATMENT, last_dose_number=None)),
    at(Step.REMINDER_TIME, replace(NEW_PATIENT, reminder_time=None, time_zone=None)),
    at(Step.TIME_ZONE, replace(NEW_PATIENT, time_zone=None, caregiver_injects=None)),
    at(
        Step.CHOOSE_ZONE,
        replace(NEW_PATIENT, time_zone=None, zone_candidates=("America/New_York", "UTC")),
    ),
    at(Step.CONFIRM_ZONE, replace(NEW_PATIENT, time_zone=None, pending_zone="Asia/Kolkata")),
    at(Step.WHO_INJECTS, replace(NEW_PATIENT, caregiver_injects=None)),
    at(Step.SUMMARY, NEW_PATIENT),
    at(Step.SUMMARY, ON_TREATMENT),
]


# --- the path through the steps ---------------------------------------------------------------


def test_consent_leads_to_the_first_injection_question() -> None:
    """After consent the first question is whether the first injection has happened."""
    question = flow.question(onboarding_state.first_state(), now=NOW)
    assert question.text == texts.ASK_FIRST_INJECTION
    assert [label for row in question.buttons for label, _ in row] == [
        texts.BUTTON_NOT_YET,
        texts.BUTTON_ALREADY_ON,
    ]


def test_not_yet_asks_for_the_planned_first_dose_date() -> None:
    """ "Not yet" asks for Week 0, saying it is given with a healthcare professional."""
    outcome = press(onboarding_state.first_state(), texts.BUTTON_NOT_YET)
    assert outcome.state.step is Step.FIRST_DOSE_DATE
    assert outcome.answered == texts.BUTTON_NOT_YET
    assert outcome.question is not None
    assert "healthcare professional" in outcome.question.text
    labels = [label for row in outcome.question.buttons for label, _ in row]
    assert labels == ["Today", "Tomorrow", "In 2 days", "In 3 days", "In a week"]


def test_on_treatment_asks_for_the_last_dose_date_then_its_number() -> None:
    """Already on Kesimpta: the last injection's date, then which dose it was."""
    outcome = press(onboarding_state.first_state(), texts.BUTTON_ALREADY_ON)
    assert outcome.state.step is Step.LAST_DOSE_DATE
    outcome = press(outcome.state, texts.BUTTON_YESTERDAY)
    assert outcome.state.step is Step.LAST_DOSE_NUMBER
    assert outcome.state.answers.last_dose == DayAnswer.relative(-1, NOW)
    outcome = press(outcome.state, "2nd")
    assert outcome.state.step is Step.REMINDER_TIME
    assert outcome.state.answers.last_dose_number == 2


def test_fourth_or_later_asks_which_number_and_not_sure_counts_from_4() -> None:
    """ "4th or later" asks for the number; "Not sure" means 4 (every later dose is monthly)."""
    state = at(Step.LAST_DOSE_NUMBER, replace(ON_TREATMENT, last_dose_number=None))
    later = press(state, "4th or later")
    assert later.state.step is Step.LATER_DOSE_NUMBER
    assert press(later.state, texts.BUTTON_NOT_SURE).state.answers.last_dose_number == 4
    assert typed(later.state, "12th").state.answers.last_dose_number == 12
    assert typed(later.state, "dose 9").state.answers.last_dose_number == 9


@pytest.mark.parametrize("text", ["0", "3", "201", "lots", "4.5", "-6"])
def test_an_impossible_later_dose_number_changes_nothing(text: str) -> None:
    """The number after "4th or later" is 4 to 200; anything else gets an example back."""
    state = at(Step.LATER_DOSE_NUMBER, replace(ON_TREATMENT, last_dose_number=None))
    outcome = typed(state, text)
    assert outcome == Outcome(state, notice=texts.NUMBER_NOT_UNDERSTOOD, missed=True)


def test_typed_answers_to_button_questions_are_understood() -> None:
    """Typing a button's words works too: "no", "yes", "2", "my wife", "I do"."""
    assert typed(onboarding_state.first_state(), "no").state.step is Step.FIRST_DOSE_DATE
    assert typed(onboarding_state.first_state(), "Yes").state.step is Step.LAST_DOSE_DATE
    number_step = at(Step.LAST_DOSE_NUMBER, replace(ON_TREATMENT, last_dose_number=None))
    assert typed(number_step, "2").state.answers.last_dose_number == 2
    assert typed(number_step, "6").state.answers.last_dose_number == 6
    who = at(Step.WHO_INJECTS, replace(NEW_PATIENT, caregiver_injects=None))
    assert typed(who, "my wife").state.answers.caregiver_injects is True
    assert typed(who, "I do").state.answers.caregiver_injects is False


def test_an_unclear_answer_to_a_button_question_asks_again() -> None:
    """Words that fit no button: the question again with a hint; nothing changes."""
    state = onboarding_state.first_state()
    outcome = typed(state, "maybe?")
    assert outcome.state == state and outcome.missed
    assert outcome.question is not None
    assert outcome.question.text == f"{texts.TAP_A_BUTTON}\n\n{texts.ASK_FIRST_INJECTION}"


# --- dates ----------------------------------------------------------------------------------------


def test_day_buttons_are_counted_in_the_patients_own_time_zone() -> None:
    """ "Today" pressed at 22:00 UTC means the next calendar day in Sydney, where it is 09:00."""
    late = datetime(2026, 1, 2, 22, 0, tzinfo=UTC)
    state = at(Step.FIRST_DOSE_DATE, Answers(on_treatment=False))
    answer = press(state, texts.BUTTON_TODAY, now=late).state.answers.first_dose
    assert answer is not None
    assert answer.resolve(ZoneInfo("Australia/Sydney")) == date(2026, 1, 3)
    assert answer.resolve(ZoneInfo("Europe/London")) == date(2026, 1, 2)


def test_typed_relative_dates_are_kept_relative_and_calendar_dates_are_kept_as_they_are() -> None:
    """ "tomorrow" moves with the patient's today like a button; "5 Jan" is 5 Jan anywhere."""
    state = at(Step.FIRST_DOSE_DATE, Answers(on_treatment=False))
    assert typed(state, "tomorrow").state.answers.first_dose == DayAnswer.relative(1, NOW)
    assert typed(state, "5 Jan").state.answers.first_dose == DayAnswer(day=date(2026, 1, 5))
    assert typed(state, "05.01.2026").state.answers.first_dose == DayAnswer(day=date(2026, 1, 5))


@pytest.mark.parametrize(
    ("text", "notice"),
    [
        ("31.02.2026", texts.DATE_IMPOSSIBLE),
        ("soonish", texts.DATE_NOT_UNDERSTOOD),
        ("2025-11-01", texts.DATE_TOO_FAR_BACK.format(days=30)),
        ("2027-02-01", texts.DATE_TOO_FAR_AHEAD),
    ],
)
def test_a_first_dose_date_must_be_real_recent_and_within_a_year(text: str, notice: str) -> None:
    """The planned Week 0 is at most ~30 days back and at most a year ahead."""
    state = at(Step.FIRST_DOSE_DATE, Answers(on_treatment=False))
    assert typed(state, text) == Outcome(state, notice=notice, missed=True)


@pytest.mark.parametrize(
    ("text", "notice"),
    [
        ("2026-01-05", texts.DATE_IN_FUTURE),
        ("2024-06-01", texts.DATE_TOO_FAR_BACK.format(days=365)),
    ],
)
def test_a_last_injection_is_not_in_the_future_nor_absurdly_old(text: str, notice: str) -> None:
    """The last injection was given: not ahead of today, not more than a year back."""
    state = at(Step.LAST_DOSE_DATE, Answers(on_treatment=True))
    assert typed(state, text) == Outcome(state, notice=notice, missed=True)


def test_an_ambiguous_date_offers_both_readings_as_buttons() -> None:
    """03/02/2026 is 3 Feb or 2 Mar: both are asked, with the step's own buttons."""
    state = at(Step.FIRST_DOSE_DATE, Answers(on_treatment=False))
    outcome = typed(state, "03/02/2026")
    assert outcome.state == state and not outcome.missed
    assert outcome.question is not None
    assert outcome.question.text == "Did you mean Tue 3 Feb or Mon 2 Mar?"
    assert outcome.question.buttons == (
        (("Tue 3 Feb", "onb:fd:2026-02-03"), ("Mon 2 Mar", "onb:fd:2026-03-02")),
    )
    chosen = flow.press(state, "onb:fd:2026-03-02", now=NOW)
    assert chosen is not None
    assert chosen.state.answers.first_dose == DayAnswer(day=date(2026, 3, 2))


def test_an_ambiguous_date_with_one_fitting_reading_takes_that_one() -> None:
    """For a last injection a reading in the future cannot be meant: the other one is taken;
    when neither reading fits, the reason is given."""
    state = at(Step.LAST_DOSE_DATE, Answers(on_treatment=True))
    # 01/02/2026: 1 Feb is ahead, 2 Jan is today: only today fits.
    assert typed(state, "01/02/2026").state.answers.last_dose == DayAnswer(day=date(2026, 1, 2))
    # 03/04/2026: 3 Apr and 4 Mar are both ahead.
    assert typed(state, "03/04/2026").notice == texts.DATE_IN_FUTURE
    # 12/30/2025 has one real reading only (30 Dec).
    assert typed(state, "12/30/2025").state.answers.last_dose == DayAnswer(day=date(2025, 12, 30))


def test_a_date_is_checked_again_once_the_time_zone_is_known() -> None:
    """Before the zone is known "today" may be UTC's ±1 day; the summary checks the real one."""
    almost_too_old = replace(
        NEW_PATIENT, first_dose=DayAnswer(day=TODAY - timedelta(days=31)), time_zone=None
    )
    confirming = at(Step.CONFIRM_ZONE, replace(almost_too_old, pending_zone="Europe/London"))
    outcome = press(confirming, texts.BUTTON_YES)
    assert outcome.state.step is Step.FIRST_DOSE_DATE
    assert outcome.state.answers.first_dose is None
    assert outcome.question is not None
    assert outcome.question.text.startswith(texts.DATE_TOO_FAR_BACK.format(days=30))


# --- time and zone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9", time(9)), ("7:30", time(7, 30)), ("7.30pm", time(19, 30)), ("19:30", time(19, 30))],
)
def test_reminder_times_can_be_typed(text: str, expected: time) -> None:
    """9, 7:30, 7.30pm and 19:30 are all understood; the time zone question follows."""
    state = STATES_AT_EVERY_STEP[5]
    outcome = typed(state, text)
    assert outcome.state.answers.reminder_time == expected
    assert outcome.state.step is Step.TIME_ZONE


def test_a_time_that_is_not_one_gets_an_example() -> None:
    """ "25:00" is no time of day: an example comes back and nothing changes."""
    state = STATES_AT_EVERY_STEP[5]
    assert typed(state, "25:00") == Outcome(state, notice=texts.TIME_NOT_UNDERSTOOD, missed=True)


def test_the_time_zone_question_offers_to_share_a_location() -> None:
    """The zone question carries the location keyboard and no inline buttons."""
    question = flow.question(STATES_AT_EVERY_STEP[6], now=NOW)
    assert question.share_location and question.buttons == ()
    assert not flow.has_inline_buttons(Step.TIME_ZONE)


def test_a_shared_location_is_confirmed_with_the_local_time() -> None:
    """A location in Sydney: the zone and the time there, then "Is that right?"."""
    outcome = flow.share_location(STATES_AT_EVERY_STEP[6], -33.87, 151.21, now=NOW)
    assert outcome.state.step is Step.CONFIRM_ZONE
    assert outcome.state.answers.pending_zone == "Australia/Sydney"
    assert outcome.remove_reply_keyboard
    assert outcome.notice == (
        f"{texts.LOCATION_USED}\nAustralia/Sydney: your time now is 23:00 on Fri 2 Jan."
    )
    assert outcome.question is not None and outcome.question.text == texts.IS_THAT_RIGHT
    confirmed = press(outcome.state, texts.BUTTON_YES)
    assert confirmed.state.answers.time_zone == "Australia/Sydney"
    assert confirmed.state.step is Step.WHO_INJECTS


def test_a_location_at_sea_asks_for_a_city() -> None:
    """No land there: ask for a city, keep the location keyboard."""
    state = STATES_AT_EVERY_STEP[6]
    outcome = flow.share_location(state, 0.0, -30.0, now=NOW)
    assert outcome == Outcome(state, notice=texts.LOCATION_ZONE_NOT_FOUND, missed=True)


def test_a_typed_place_with_several_zones_offers_them_as_buttons() -> None:
    """ "USA": one button per zone with its local time, and "None of these"."""
    outcome = typed(STATES_AT_EVERY_STEP[6], "USA")
    assert outcome.state.step is Step.CHOOSE_ZONE
    assert outcome.remove_reply_keyboard
    assert outcome.question is not None
    labels = [label for row in outcome.question.buttons for label, _ in row]
    assert labels[0] == "America/New_York (now 07:00)"
    assert labels[-1] == texts.BUTTON_NONE_OF_THESE
    chosen = press(outcome.state, "America/New_York (now 07:00)")
    assert chosen.state.answers.time_zone == "America/New_York"
    assert chosen.state.answers.zone_candidates == ()
    again = press(outcome.state, texts.BUTTON_NONE_OF_THESE)
    assert again.state.step is Step.TIME_ZONE
    assert again.question is not None and again.question.share_location


def test_an_unknown_place_changes_nothing() -> None:
    """A place the tz database does not know: try a bigger city."""
    state = STATES_AT_EVERY_STEP[6]
    assert typed(state, "Atlantis") == Outcome(state, notice=texts.ZONE_NOT_FOUND, missed=True)


def test_no_at_the_zone_confirmation_asks_for_the_zone_again() -> None:
    """ "No, change it" goes back to the zone question, with the location keyboard."""
    outcome = press(STATES_AT_EVERY_STEP[8], texts.BUTTON_NO)
    assert outcome.state.step is Step.TIME_ZONE
    assert outcome.state.answers.pending_zone is None


def test_a_caregiver_enables_the_upper_arm() -> None:
    """Who injects is stored; a caregiver is what allows the outer upper arm later."""
    state = STATES_AT_EVERY_STEP[9]
    outcome = press(state, texts.BUTTON_CAREGIVER)
    assert outcome.state.answers.caregiver_injects is True
    assert outcome.state.step is Step.SUMMARY


# --- the summary ----------------------------------------------------------------------------------


def test_the_summary_of_a_new_patient_lists_the_loading_doses() -> None:
    """Week 0, 1, 2 and 4 with weekdays, the time and zone, and the first site."""
    assert flow.summary_text(NEW_PATIENT, now=NOW) == (
        "Here is your plan:\n"
        "• Dose 1: Sat 3 Jan\n• Dose 2: Sat 10 Jan\n• Dose 3: Sat 17 Jan\n• Dose 4: Sat 31 Jan"
        "\n\nReminders at 09:00 (Europe/London). First site: left thigh.\n\nIs this right?"
    )


def test_the_summary_of_a_patient_on_treatment_counts_from_the_last_dose() -> None:
    """Dose 6 on 15 Dec: dose 7 a month later, then monthly."""
    assert flow.summary_text(ON_TREATMENT, now=NOW) == (
        "Your last dose: dose 6 on Mon 15 Dec 2025.\nNext doses:\n"
        "• Dose 7: Thu 15 Jan\n• Dose 8: Sun 15 Feb\n• Dose 9: Sun 15 Mar\n• Dose 10: Wed 15 Apr"
        "\n\nReminders at 09:00 (Europe/London). Next site: left thigh.\n\nIs this right?"
    )


def test_an_overdue_next_dose_is_shown_as_overdue_alone() -> None:
    """Last dose 2 months ago: the next one was due; later ones count from when it is taken."""
    late = replace(ON_TREATMENT, last_dose=DayAnswer(day=date(2025, 11, 1)))
    text = flow.summary_text(late, now=NOW)
    assert "• Dose 7: was due Mon 1 Dec 2025 (32 days ago)." in text
    assert "Dose 8" not in text


@pytest.mark.parametrize(
    ("label", "step"),
    [
        (texts.BUTTON_CHANGE_DATE, Step.FIRST_INJECTION),
        (texts.BUTTON_CHANGE_TIME, Step.REMINDER_TIME),
        (texts.BUTTON_CHANGE_ZONE, Step.TIME_ZONE),
        (texts.BUTTON_CHANGE_WHO, Step.WHO_INJECTS),
    ],
)
def test_a_change_from_the_summary_goes_to_that_step_and_straight_back(
    label: str, step: Step
) -> None:
    """Each change button opens its step; answering it shows the summary again."""
    changing = press(at(Step.SUMMARY), label)
    assert changing.state.step is step
    state = changing.state
    if step is Step.FIRST_INJECTION:
        state = press(state, texts.BUTTON_NOT_YET).state
        state = press(state, texts.BUTTON_IN_A_WEEK).state
    elif step is Step.REMINDER_TIME:
        state = press(state, "20:00").state
    elif step is Step.TIME_ZONE:
        state = typed(state, "Paris").state
        state = press(state, texts.BUTTON_YES).state
    else:
        state = press(state, texts.BUTTON_CAREGIVER).state
    assert state.step is Step.SUMMARY


def test_confirming_gives_everything_to_write_with_dates_resolved() -> None:
    """Confirm: the zone, time, caregiver and the first-dose date as a calendar date."""
    answers = replace(NEW_PATIENT, first_dose=DayAnswer.relative(1, NOW))
    outcome = press(at(Step.SUMMARY, answers), texts.BUTTON_CONFIRM)
    assert outcome.finished == flow.Finished(
        time_zone="Europe/London",
        reminder_time=time(9),
        caregiver_injects=False,
        first_dose_date=date(2026, 1, 3),
    )
    on_treatment = press(at(Step.SUMMARY, ON_TREATMENT), texts.BUTTON_CONFIRM)
    assert on_treatment.finished is not None
    assert on_treatment.finished.last_dose_on == date(2025, 12, 15)
    assert on_treatment.finished.last_dose_number == 6


def test_a_summary_confirmed_too_late_asks_for_the_date_again() -> None:
    """Confirmed 40 days after "today" was tapped: Week 0 is too far back now."""
    answers = replace(NEW_PATIENT, first_dose=DayAnswer.relative(0, NOW))
    outcome = press(at(Step.SUMMARY, answers), texts.BUTTON_CONFIRM, now=NOW + timedelta(days=40))
    assert outcome.finished is None
    assert outcome.state.step is Step.FIRST_DOSE_DATE


def test_typed_text_never_confirms_the_summary() -> None:
    """Starting reminders takes a tap on the summary; a typed "yes" asks for the tap."""
    state = at(Step.SUMMARY)
    outcome = typed(state, "yes")
    assert outcome.finished is None and outcome.missed and outcome.state == state


# --- buttons that do not fit ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "onb:wi:me",  # another step's button
        "onb:fd:+5",  # an offset the question never offered
        "onb:fd:2031-01-01",  # a date outside the range
        "onb:fd:2026-02-30",
        "onb:fd:",
        "onb:",
        "dose:done:1",
        "",
    ],
)
def test_stale_or_forged_buttons_are_refused(data: str) -> None:
    """Data that does not fit the waiting step gives None: the handler says "no longer valid"."""
    state = at(Step.FIRST_DOSE_DATE, Answers(on_treatment=False))
    assert flow.press(state, data, now=NOW) is None


def test_a_forged_zone_index_is_refused() -> None:
    """Choosing zone 7 of 2 is not possible."""
    state = STATES_AT_EVERY_STEP[7]
    assert flow.press(state, "onb:zc:7", now=NOW) is None
    assert flow.press(state, "onb:zc:-1", now=NOW) is None


@pytest.mark.parametrize("state", STATES_AT_EVERY_STEP, ids=lambda s: s.step.value)
def test_every_button_fits_in_64_bytes_and_answers_its_own_step(state: OnboardingState) -> None:
    """Callback data stays within Telegram's 64 bytes, and each button is accepted."""
    question = flow.question(state, now=NOW)
    for row in question.buttons:
        for _, data in row:
            assert len(data.encode()) <= 64
            assert data.startswith(f"onb:{state.step.code}:")
            assert flow.press(state, data, now=NOW) is not None


# --- storage --------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES_AT_EVERY_STEP, ids=lambda s: s.step.value)
def test_a_stored_state_reads_back_the_same(state: OnboardingState) -> None:
    """dump then load is the identity (the step survives a restart)."""
    state = replace(state, question_message_id=42)
    step, data = onboarding_state.dump(state)
    assert step == f"onboarding:{state.step.value}"
    assert onboarding_state.load(step, data) == state


def test_a_damaged_stored_state_falls_back_to_the_first_unanswered_step() -> None:
    """A step the answers do not support (or junk data) restarts at the first missing answer."""
    assert (
        onboarding_state.load("onboarding:summary", {"on_treatment": False}).step
        is Step.FIRST_DOSE_DATE
    )
    assert onboarding_state.load("onboarding:nonsense", {}).step is Step.FIRST_INJECTION
    junk = {"on_treatment": "yes", "first_dose": {"offset": True}, "time_zone": "Mars/Base"}
    assert onboarding_state.load("onboarding:who_injects", junk) == onboarding_state.first_state()
    # A tz database folder is no zone (ZoneInfo("Europe") raises IsADirectoryError).
    folder = {**NEW_PATIENT_DATA, "time_zone": "Europe", "pending_zone": "Etc"}
    assert onboarding_state.load("onboarding:summary", folder).step is Step.TIME_ZONE


# --- properties -----------------------------------------------------------------------------------


def assert_valid(before: OnboardingState, outcome: Outcome) -> None:
    assert onboarding_state.is_consistent(outcome.state)
    flow.question(outcome.state, now=NOW)  # every reachable state can be asked
    if outcome.missed:
        assert outcome.state == before


@settings(max_examples=1000, deadline=None)
@given(state=st.sampled_from(STATES_AT_EVERY_STEP), text=st.text(max_size=80))
def test_any_text_at_any_step_leaves_a_valid_state(state: OnboardingState, text: str) -> None:
    """Whatever is typed: no exception, a consistent state, and a miss changes nothing."""
    assert_valid(state, flow.type_text(state, text, now=NOW))


@settings(max_examples=1000, deadline=None)
@given(
    state=st.sampled_from(STATES_AT_EVERY_STEP),
    data=st.one_of(
        st.text(max_size=64),
        st.builds(lambda rest: f"onb:{rest}", st.text(max_size=20)),
        st.builds(
            lambda code, rest: f"onb:{code}:{rest}",
            st.sampled_from([step.code for step in Step]),
            st.text(alphabet="+-0123456789:abcdefnoy", max_size=12),
        ),
    ),
)
def test_any_button_data_at_any_step_leaves_a_valid_state(
    state: OnboardingState, data: str
) -> None:
    """Forged data: refused (None) or a consistent next state; never an exception."""
    outcome = flow.press(state, data, now=NOW)
    if outcome is not None:
        assert_valid(state, outcome)


@settings(max_examples=200, deadline=None)
@given(
    state=st.sampled_from(STATES_AT_EVERY_STEP),
    latitude=st.floats(allow_nan=True, allow_infinity=True),
    longitude=st.floats(allow_nan=True, allow_infinity=True),
)
def test_any_location_at_any_step_leaves_a_valid_state(
    state: OnboardingState, latitude: float, longitude: float
) -> None:
    """Any coordinates, even impossible ones: a zone, or a request to type a city."""
    assert_valid(state, flow.share_location(state, latitude, longitude, now=NOW))


@settings(max_examples=200, deadline=None)
@given(
    step=st.text(max_size=30),
    data=st.dictionaries(
        st.sampled_from(
            [
                "on_treatment",
                "first_dose",
                "last_dose",
                "last_dose_number",
                "reminder_time",
                "time_zone",
                "caregiver_injects",
                "zone_candidates",
                "pending_zone",
                "question_message_id",
            ]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=5,
        ),
    ),
)
def test_loading_any_stored_data_gives_a_consistent_state(
    step: str, data: dict[str, object]
) -> None:
    """Whatever is in the conversation row, loading never raises and can be asked."""
    state = onboarding_state.load(step, data)
    assert onboarding_state.is_consistent(state)
    flow.question(state, now=NOW)
