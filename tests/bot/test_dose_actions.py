"""The pure rules behind the dose buttons and /log: snooze instants, button data, the log flow."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import dose_actions as actions
from bot import log_flow as flow
from bot import texts
from bot.reminder_messages import dose_keyboard
from scheduling.model import (
    DoseRecord,
    InjectionSite,
    MaintenanceMode,
    Patient,
    PatientStatus,
    ReminderSettings,
)
from scheduling.wallclock import local_instant

NEW_YORK = ReminderSettings(time_zone="America/New_York", reminder_time=time(9))
NY = ZoneInfo("America/New_York")


def ny(day: date, wall: time) -> datetime:
    return local_instant(day, wall, NY)


def test_snooze_adds_15_minutes_1_hour_or_3_hours() -> None:
    now = ny(date(2026, 3, 2), time(9))
    assert actions.snooze_until("15m", now=now, settings=NEW_YORK) == ny(
        date(2026, 3, 2), time(9, 15)
    )
    assert actions.snooze_until("1h", now=now, settings=NEW_YORK) == ny(date(2026, 3, 2), time(10))
    assert actions.snooze_until("3h", now=now, settings=NEW_YORK) == ny(date(2026, 3, 2), time(12))


def test_this_evening_is_19_local_unless_it_is_already_evening() -> None:
    """19:00 in the patient's zone; from 18:00 on (less than an hour left) it is +3 h."""
    morning = ny(date(2026, 3, 2), time(9))
    assert actions.snooze_until("eve", now=morning, settings=NEW_YORK) == ny(
        date(2026, 3, 2), time(19)
    )
    late = ny(date(2026, 3, 2), time(18, 30))
    assert actions.snooze_until("eve", now=late, settings=NEW_YORK) == ny(
        date(2026, 3, 2), time(21, 30)
    )


def test_not_today_is_tomorrow_at_the_reminder_time_across_a_clock_change() -> None:
    """Pressed on the Saturday before the US spring-forward: Sunday 09:00 EDT (13:00 UTC)."""
    now = ny(date(2026, 3, 7), time(22))
    until = actions.not_today_until(now=now, settings=NEW_YORK)
    assert until == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert actions.when_text(until, now=now, settings=NEW_YORK) == "Sun 8 Mar 09:00"


def test_the_reminders_own_buttons_parse_and_fit_in_64_bytes() -> None:
    biggest = 10**18 - 1
    for label_rows in (
        dose_keyboard(biggest, InjectionSite.LEFT_THIGH),
        actions.snooze_keyboard(biggest),
    ):
        for row in label_rows:
            for _, data in row:
                assert len(data.encode()) <= 64
                assert actions.parse_button(data) is not None
    parsed = actions.parse_button(f"dose:site:{biggest}:right_upper_arm")
    assert parsed == actions.DoseButton(actions.SITE, biggest, "right_upper_arm")


@given(st.text(max_size=80))
def test_any_callback_data_parses_or_is_refused(data: str) -> None:
    button = actions.parse_button(data)
    if button is not None:
        assert button.reminder_id >= 0


def _patient(caregiver: bool = False) -> Patient:
    return Patient(
        id=1,
        telegram_user_id=7,
        chat_id=7,
        status=PatientStatus.ACTIVE,
        settings=ReminderSettings(time_zone="Europe/London"),
        mode=MaintenanceMode.MONTHLY,
        first_dose_date=date(2026, 1, 3),
        caregiver_injects=caregiver,
        excluded_sites=frozenset({InjectionSite.LEFT_ABDOMEN}),
    )


def test_the_zone_picker_offers_only_allowed_zones() -> None:
    """No arms unless a caregiver injects; excluded zones are never offered."""
    alone = [label for row in actions.elsewhere_keyboard(5, _patient()) for label, _ in row]
    assert alone == ["left thigh", "right thigh", "right lower abdomen", texts.BUTTON_BACK]
    helped = [label for row in actions.elsewhere_keyboard(5, _patient(True)) for label, _ in row]
    assert "left outer upper arm" in helped and "left lower abdomen" not in helped


def _dose(
    number: int, injected_on: date, planned_on: date | None, site: InjectionSite | None
) -> DoseRecord:
    return DoseRecord(
        id=number,
        patient_id=1,
        number=number,
        injected_on=injected_on,
        injected_at=None,
        planned_on=planned_on,
        site=site,
    )


def test_history_says_on_time_late_early_or_unknown() -> None:
    doses = [
        _dose(6, date(2025, 12, 15), None, None),
        _dose(7, date(2026, 1, 18), date(2026, 1, 15), InjectionSite.RIGHT_THIGH),
        _dose(8, date(2026, 2, 17), date(2026, 2, 18), InjectionSite.LEFT_THIGH),
    ]
    now = datetime(2026, 2, 20, 12, tzinfo=UTC)
    assert actions.history_text(doses, now=now, settings=ReminderSettings()) == (
        "Your recent doses:\n"
        "• Dose 8: Tue 17 Feb · 1 day early · left thigh\n"
        "• Dose 7: Sun 18 Jan · 3 days late · right thigh\n"
        "• Dose 6: Mon 15 Dec 2025 · noted at set-up · site not noted"
    )


def test_history_shows_the_last_ten() -> None:
    doses = [_dose(n, date(2026, 1, n), date(2026, 1, n), None) for n in range(1, 13)]
    now = datetime(2026, 1, 20, tzinfo=UTC)
    lines = actions.history_text(doses, now=now, settings=ReminderSettings()).splitlines()
    assert lines[1].startswith("• Dose 12:") and lines[10].startswith("• Dose 3:")
    assert lines[-1] == "Showing the last 10 of 12 doses."


# --- /log flow ---------------------------------------------------------------------------------

FACTS = flow.LogFacts(
    today=date(2026, 1, 10),
    now_wall=time(12),
    reminder_time=time(9),
    last_dose=flow.LastDose(2, date(2026, 1, 5)),
    sites=(InjectionSite.LEFT_THIGH, InjectionSite.RIGHT_THIGH),
)


def test_log_state_round_trips_and_bad_data_is_ignored() -> None:
    state = flow.LogState(flow.LogStep.SITE, 3, date(2026, 1, 9), time(8, 15), 42)
    assert flow.load(*flow.dump(state)) == state
    assert flow.load("log:site", {"number": 3, "day": "2026-01-09"}) is None  # no time
    assert flow.load("log:date", {"number": "3"}) is None
    assert flow.load("log:nope", {"number": 3}) is None
    assert flow.load("onboarding:date", {"number": 3}) is None


def test_a_date_within_7_days_of_the_last_dose_asks_first() -> None:
    start = flow.start(3, FACTS)
    assert start.state is not None
    outcome = flow.type_text(start.state, "yesterday", FACTS)
    assert outcome.state is not None and outcome.state.step is flow.LogStep.GAP
    assert outcome.question is not None
    assert outcome.question.text == (
        "Your last dose (dose 2) was on Mon 5 Jan, 4 days before this one. Record another one?"
    )
    later = flow.type_text(start.state, "today", FACTS)
    assert later.question is not None and "5 days ago" in later.question.text


def test_a_date_a_week_after_the_last_dose_goes_straight_to_the_time() -> None:
    facts = flow.LogFacts(
        today=date(2026, 1, 13),
        now_wall=time(12),
        reminder_time=time(9),
        last_dose=flow.LastDose(2, date(2026, 1, 5)),
        sites=(InjectionSite.LEFT_THIGH,),
    )
    start = flow.start(3, facts)
    assert start.state is not None
    outcome = flow.press(start.state, "log:date:2026-01-12", facts)
    assert outcome is not None and outcome.state is not None
    assert outcome.state.step is flow.LogStep.TIME


@settings(max_examples=300)
@given(
    step=st.sampled_from(list(flow.LogStep)),
    text=st.text(max_size=60),
    data=st.one_of(st.text(max_size=70), st.sampled_from(["log:cancel", "log:gap:yes"])),
)
def test_any_text_or_button_at_any_step_gives_an_outcome(
    step: flow.LogStep, text: str, data: str
) -> None:
    """Nothing typed or pressed raises; a finished entry is never in the future."""
    state = flow.LogState(step, 3, date(2026, 1, 8), time(8), 1)
    typed = flow.type_text(state, text, FACTS)
    assert typed.state is not None or typed.finished is not None
    pressed = flow.press(state, data, FACTS)
    if pressed is not None and pressed.finished is not None:
        assert pressed.finished.day <= FACTS.today
