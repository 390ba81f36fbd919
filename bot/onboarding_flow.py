"""Onboarding as a pure state machine: each step's question, and how answers move on.

No Telegram and no I/O: handlers load an `OnboardingState` from the conversation store
(`bot.onboarding_state`, which also holds the steps and answers), call `press`, `type_text` or
`share_location` with the clock's `now`, save the new state and render the `Outcome`. Button
data is `onb:<step code>:<value>` and must fit the step that is waiting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.onboarding_state import (
    Answers,
    DayAnswer,
    OnboardingState,
    Step,
    first_missing_step,
    known_zone,
)
from bot.parsing import DateAmbiguous, DateOk, Prefer, parse_date, parse_time
from bot.zones import match_time_zone, zone_from_location
from scheduling.model import Course, InjectionSite, MaintenanceMode, PlannedDose
from scheduling.regimen import mid_treatment_course, upcoming_doses
from scheduling.sites import suggest_site

CALLBACK_PREFIX = "onb:"
AGREE = "onb:agree"

Button = tuple[str, str]  # (label, callback data)
Keyboard = tuple[tuple[Button, ...], ...]

FIRST_DOSE_MAX_DAYS_BACK = 30
FIRST_DOSE_MAX_DAYS_AHEAD = 365
LAST_DOSE_MAX_DAYS_BACK = 365
LATER_DOSE_NUMBERS = range(4, 201)
NOT_SURE_DOSE_NUMBER = 4  # every dose from 4 on is monthly, so the count only labels them
SUMMARY_DOSE_COUNT = 4
REMINDER_TIMES = (time(8), time(9), time(12), time(18), time(20))

# Quick day buttons are offsets from the day the patient taps, resolved in their time zone once
# it is known: before that, "today" in UTC may be yesterday or tomorrow for them.
FIRST_DOSE_OFFSETS = (0, 1, 2, 3, 7)
LAST_DOSE_OFFSETS = (0, -1)


# Summary buttons that reopen a step; after it is answered the summary comes straight back.
_CHANGES: dict[str, tuple[str, Step]] = {
    "date": (texts.BUTTON_CHANGE_DATE, Step.FIRST_INJECTION),
    "time": (texts.BUTTON_CHANGE_TIME, Step.REMINDER_TIME),
    "zone": (texts.BUTTON_CHANGE_ZONE, Step.TIME_ZONE),
    "who": (texts.BUTTON_CHANGE_WHO, Step.WHO_INJECTS),
}
CONFIRM = "ok"


# --- what the bot says --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    """A message that waits for an answer: text, inline buttons, or the location keyboard."""

    text: str
    buttons: Keyboard = ()
    share_location: bool = False  # a reply keyboard with a "share my location" button

    def with_prefix(self, prefix: str) -> Question:
        return replace(self, text=f"{prefix}\n\n{self.text}")


@dataclass(frozen=True, slots=True)
class Finished:
    """Everything confirmed: what the handler writes in one transaction."""

    time_zone: str
    reminder_time: time
    caregiver_injects: bool
    first_dose_date: date | None = None  # not on treatment yet
    last_dose_on: date | None = None  # already on treatment
    last_dose_number: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an answer leads to, in the order the handler renders it.

    `answered` is shown under the answered question (its buttons go); `notice` is a message of
    its own (it also hides the location keyboard when `remove_reply_keyboard`); `question` is
    sent last and its buttons become the live ones. With no `question` and no `finished`, the
    live question stays as it is (an error the patient can correct by typing again).
    """

    state: OnboardingState
    answered: str | None = None
    notice: str | None = None
    remove_reply_keyboard: bool = False
    question: Question | None = None
    finished: Finished | None = None
    missed: bool = False  # the input answered nothing; the step and answers are unchanged


def has_inline_buttons(step: Step) -> bool:
    """Whether the question of `step` carries inline buttons (the time zone one does not)."""
    return step is not Step.TIME_ZONE


def _data(step: Step, value: str) -> str:
    return f"{CALLBACK_PREFIX}{step.code}:{value}"


def _offset_label(offset: int) -> str:
    labels = {0: texts.BUTTON_TODAY, 1: texts.BUTTON_TOMORROW, -1: texts.BUTTON_YESTERDAY}
    if offset in labels:
        return labels[offset]
    return texts.BUTTON_IN_A_WEEK if offset == 7 else texts.BUTTON_IN_DAYS.format(days=offset)


def _day_buttons(step: Step, offsets: tuple[int, ...]) -> Keyboard:
    buttons = [(_offset_label(offset), _data(step, f"{offset:+d}")) for offset in offsets]
    return tuple(tuple(buttons[index : index + 2]) for index in range(0, len(buttons), 2))


def _time_buttons() -> Keyboard:
    buttons = [(f"{t:%H:%M}", _data(Step.REMINDER_TIME, f"{t:%H%M}")) for t in REMINDER_TIMES]
    return (tuple(buttons[:3]), tuple(buttons[3:]))


def _zone_now(zone: str, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(zone))


def _zone_statement(zone: str, now: datetime) -> str:
    local = _zone_now(zone, now)
    return texts.ZONE_LOCAL_TIME.format(
        zone=zone,
        local_time=f"{local:%H:%M}",
        local_day=texts.day_label(local.date(), today=local.date()),
    )


def _yes_no(step: Step) -> Keyboard:
    return (((texts.BUTTON_YES, _data(step, "yes")), (texts.BUTTON_NO, _data(step, "no"))),)


def question(state: OnboardingState, *, now: datetime) -> Question:
    """The message that asks the waiting step's question."""
    step, answers = state.step, state.answers
    if step is Step.FIRST_INJECTION:
        return Question(
            texts.ASK_FIRST_INJECTION,
            (
                (
                    (texts.BUTTON_NOT_YET, _data(step, "no")),
                    (texts.BUTTON_ALREADY_ON, _data(step, "yes")),
                ),
            ),
        )
    if step is Step.FIRST_DOSE_DATE:
        return Question(texts.ASK_FIRST_DOSE_DATE, _day_buttons(step, FIRST_DOSE_OFFSETS))
    if step is Step.LAST_DOSE_DATE:
        return Question(texts.ASK_LAST_DOSE_DATE, _day_buttons(step, LAST_DOSE_OFFSETS))
    if step is Step.LAST_DOSE_NUMBER:
        values = ("1", "2", "3", "4+")
        row = tuple(
            (label, _data(step, value))
            for label, value in zip(texts.BUTTONS_DOSE_NUMBER, values, strict=True)
        )
        return Question(texts.ASK_LAST_DOSE_NUMBER, (row,))
    if step is Step.LATER_DOSE_NUMBER:
        return Question(
            texts.ASK_LATER_DOSE_NUMBER,
            (((texts.BUTTON_NOT_SURE, _data(step, str(NOT_SURE_DOSE_NUMBER))),),),
        )
    if step is Step.REMINDER_TIME:
        return Question(texts.ASK_REMINDER_TIME, _time_buttons())
    if step is Step.TIME_ZONE:
        return Question(texts.ASK_TIME_ZONE, share_location=True)
    if step is Step.CHOOSE_ZONE:
        rows = tuple(
            ((_zone_choice_label(zone, now), _data(step, str(index))),)
            for index, zone in enumerate(answers.zone_candidates)
        )
        return Question(
            texts.CHOOSE_TIME_ZONE, (*rows, ((texts.BUTTON_NONE_OF_THESE, _data(step, "none")),))
        )
    if step is Step.CONFIRM_ZONE:
        assert answers.pending_zone is not None
        return Question(
            f"{_zone_statement(answers.pending_zone, now)} {texts.IS_THAT_RIGHT}", _yes_no(step)
        )
    if step is Step.WHO_INJECTS:
        return Question(
            texts.ASK_WHO_INJECTS,
            (
                (
                    (texts.BUTTON_I_DO, _data(step, "me")),
                    (texts.BUTTON_CAREGIVER, _data(step, "caregiver")),
                ),
            ),
        )
    return Question(summary_text(answers, now=now), _summary_buttons())


def _zone_choice_label(zone: str, now: datetime) -> str:
    return texts.ZONE_CHOICE.format(zone=zone, local_time=f"{_zone_now(zone, now):%H:%M}")


def _summary_buttons() -> Keyboard:
    step = Step.SUMMARY
    changes = [(label, _data(step, key)) for key, (label, _) in _CHANGES.items()]
    return (
        ((texts.BUTTON_CONFIRM, _data(step, CONFIRM)),),
        (changes[0], changes[1]),
        (changes[2], changes[3]),
    )


def planned_doses(answers: Answers, zone: ZoneInfo) -> list[PlannedDose]:
    """The next doses the answers lead to, each assumed injected on its due date."""
    return upcoming_doses(_course(answers, zone), SUMMARY_DOSE_COUNT)


def _course(answers: Answers, zone: ZoneInfo) -> Course:
    if answers.on_treatment:
        assert answers.last_dose is not None and answers.last_dose_number is not None
        return mid_treatment_course(
            answers.last_dose.resolve(zone), answers.last_dose_number, MaintenanceMode.MONTHLY
        )
    assert answers.first_dose is not None
    return Course(mode=MaintenanceMode.MONTHLY, first_dose_date=answers.first_dose.resolve(zone))


def summary_text(answers: Answers, *, now: datetime) -> str:
    """The plan the answers make: next doses with weekdays, reminder time, zone, first site."""
    assert answers.time_zone is not None and answers.reminder_time is not None
    zone = ZoneInfo(answers.time_zone)
    today = now.astimezone(zone).date()
    doses = planned_doses(answers, zone)
    if doses[0].due_on < today:
        first = doses[0]
        dose_lines = texts.SUMMARY_OVERDUE_LINE.format(
            number=first.number,
            day=texts.day_label(first.due_on, today=today),
            days_text=texts.days_ago((today - first.due_on).days),
        )
    else:
        dose_lines = "\n".join(
            texts.SUMMARY_DOSE_LINE.format(
                number=dose.number, day=texts.day_label(dose.due_on, today=today)
            )
            for dose in doses
        )
    site = suggest_site([], caregiver_injects=bool(answers.caregiver_injects))
    common = {
        "doses": dose_lines,
        "time": f"{answers.reminder_time:%H:%M}",
        "zone": answers.time_zone,
        "site": texts.SITE_NAMES[(site or InjectionSite.LEFT_THIGH).value],
    }
    if not answers.on_treatment:
        return texts.SUMMARY_NEW.format(**common)
    assert answers.last_dose is not None
    return texts.SUMMARY_ONGOING.format(
        last_number=answers.last_dose_number,
        last_day=texts.day_label(answers.last_dose.resolve(zone), today=today),
        **common,
    )


# --- answering ----------------------------------------------------------------------------------


def resume(state: OnboardingState, *, now: datetime) -> Outcome:
    """/start (or a first message after a restart) in the middle: the same question again."""
    return Outcome(state, question=question(state, now=now).with_prefix(texts.STEP_AGAIN))


def press(state: OnboardingState, data: str, *, now: datetime) -> Outcome | None:
    """A button of the live question was pressed; None when it does not fit the waiting step."""
    prefix, _, rest = data.partition(":")
    code, _, value = rest.partition(":")
    if f"{prefix}:" != CALLBACK_PREFIX or code != state.step.code:
        return None
    return _BUTTONS[state.step](state, value, now)


def type_text(state: OnboardingState, text: str, *, now: datetime) -> Outcome:
    """The patient typed `text` while the step waits. Never raises; a miss changes nothing."""
    return _TYPED[state.step](state, text[:500], now)


def share_location(
    state: OnboardingState, latitude: float, longitude: float, *, now: datetime
) -> Outcome:
    """The patient shared a location: only the time zone steps use it, and only for the zone."""
    if state.step not in (Step.TIME_ZONE, Step.CHOOSE_ZONE, Step.CONFIRM_ZONE):
        return _ask_again(state, now, texts.LOCATION_NOT_NEEDED)
    zone = zone_from_location(latitude, longitude)
    if zone is None:
        return _miss(state, texts.LOCATION_ZONE_NOT_FOUND)
    return _zone_found(state, [zone], now, via_location=True)


def _with_answers(state: OnboardingState, **changes: Any) -> Answers:
    return replace(state.answers, **changes)


def _ask_again(state: OnboardingState, now: datetime, prefix: str) -> Outcome:
    """The input does not answer a question that wants a tap: the question again, with a hint."""
    return Outcome(state, question=question(state, now=now).with_prefix(prefix), missed=True)


def _miss(state: OnboardingState, notice: str) -> Outcome:
    """The input does not answer; a short message says why, and the question stays live."""
    return Outcome(state, notice=notice, missed=True)


def _advance(answers: Answers, now: datetime, answered: str | None) -> Outcome:
    """Move to the first unanswered step (so a change from the summary returns to it)."""
    step = first_missing_step(answers)
    prefix = None
    if step is Step.SUMMARY:
        problem = _date_problem_now(answers, now)
        if problem is not None:
            step, prefix = problem
            answers = (
                replace(answers, first_dose=None)
                if step is Step.FIRST_DOSE_DATE
                else replace(answers, last_dose=None)
            )
    state = OnboardingState(step, replace(answers, zone_candidates=(), pending_zone=None))
    next_question = question(state, now=now)
    if prefix is not None:
        next_question = next_question.with_prefix(prefix)
    return Outcome(state, answered=answered, question=next_question)


# -- first injection

_NO_WORDS = frozenset({"no", "n", "nope", "not yet", "no not yet", "not yet no"})
_YES_WORDS = frozenset({"yes", "y", "yep", "yeah", "ok", "okay", "correct", "right", "yes it is"})


def _words(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.casefold()))


def _press_first_injection(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    if value not in ("yes", "no"):
        return None
    return _answer_first_injection(state, on_treatment=value == "yes", now=now)


def _answer_first_injection(
    state: OnboardingState, *, on_treatment: bool, now: datetime
) -> Outcome:
    # Every answer here asks the date again: it depends on which path this is.
    answers = _with_answers(
        state, on_treatment=on_treatment, first_dose=None, last_dose=None, last_dose_number=None
    )
    label = texts.BUTTON_ALREADY_ON if on_treatment else texts.BUTTON_NOT_YET
    return _advance(answers, now, label)


def _type_first_injection(state: OnboardingState, text: str, now: datetime) -> Outcome:
    words = _words(text)
    if words in _NO_WORDS or words == _words(texts.BUTTON_NOT_YET):
        return _answer_first_injection(state, on_treatment=False, now=now)
    if words in _YES_WORDS or words == _words(texts.BUTTON_ALREADY_ON):
        return _answer_first_injection(state, on_treatment=True, now=now)
    return _ask_again(state, now, texts.TAP_A_BUTTON)


# -- dates


def _zone_of(answers: Answers) -> ZoneInfo | None:
    return ZoneInfo(answers.time_zone) if answers.time_zone else None


def _today_range(answers: Answers, now: datetime) -> tuple[date, date]:
    """The patient's possible "today": exact once the zone is known, else UTC's ±1 day."""
    zone = _zone_of(answers)
    if zone is not None:
        today = now.astimezone(zone).date()
        return today, today
    today = now.astimezone(UTC).date()
    return today - timedelta(days=1), today + timedelta(days=1)


def _date_problem(step: Step, day: date, earliest: date, latest: date) -> str | None:
    """Why `day` cannot answer `step`, given the range "today" may be in; None if it can."""
    if step is Step.FIRST_DOSE_DATE:
        if day < earliest - timedelta(days=FIRST_DOSE_MAX_DAYS_BACK):
            return texts.DATE_TOO_FAR_BACK.format(days=FIRST_DOSE_MAX_DAYS_BACK)
        if day > latest + timedelta(days=FIRST_DOSE_MAX_DAYS_AHEAD):
            return texts.DATE_TOO_FAR_AHEAD
        return None
    if day > latest:
        return texts.DATE_IN_FUTURE
    if day < earliest - timedelta(days=LAST_DOSE_MAX_DAYS_BACK):
        return texts.DATE_TOO_FAR_BACK.format(days=LAST_DOSE_MAX_DAYS_BACK)
    return None


def _date_problem_now(answers: Answers, now: datetime) -> tuple[Step, str] | None:
    """Re-check the date once the zone is known (or time has passed since it was given)."""
    zone = _zone_of(answers)
    assert zone is not None
    today = now.astimezone(zone).date()
    if answers.on_treatment:
        assert answers.last_dose is not None
        step, day = Step.LAST_DOSE_DATE, answers.last_dose.resolve(zone)
    else:
        assert answers.first_dose is not None
        step, day = Step.FIRST_DOSE_DATE, answers.first_dose.resolve(zone)
    problem = _date_problem(step, day, today, today)
    return None if problem is None else (step, problem)


def _answer_date(state: OnboardingState, day: DayAnswer, label: str, now: datetime) -> Outcome:
    if state.step is Step.FIRST_DOSE_DATE:
        return _advance(_with_answers(state, first_dose=day), now, label)
    return _advance(_with_answers(state, last_dose=day), now, label)


def _press_date(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    offsets = FIRST_DOSE_OFFSETS if state.step is Step.FIRST_DOSE_DATE else LAST_DOSE_OFFSETS
    if re.fullmatch(r"[+-][0-9]{1,3}", value):
        offset = int(value)
        if offset not in offsets:
            return None
        return _answer_date(state, DayAnswer.relative(offset, now), _offset_label(offset), now)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    earliest, latest = _today_range(state.answers, now)
    if _date_problem(state.step, day, earliest, latest) is not None:
        return None
    return _answer_date(state, DayAnswer(day=day), texts.day_label(day, today=latest), now)


def _type_date(state: OnboardingState, text: str, now: datetime) -> Outcome:
    prefer: Prefer = "nearest" if state.step is Step.FIRST_DOSE_DATE else "past"
    earliest, latest = _today_range(state.answers, now)
    today = now.astimezone(_zone_of(state.answers) or UTC).date()
    parsed = parse_date(text, today=today, prefer=prefer)
    if isinstance(parsed, DateAmbiguous):
        fitting = [
            day
            for day in parsed.candidates
            if _date_problem(state.step, day, earliest, latest) is None
        ]
        if len(fitting) == 2:
            first, second = (texts.day_label(day, today=today) for day in fitting)
            buttons = tuple(
                (texts.day_label(day, today=today), _data(state.step, day.isoformat()))
                for day in fitting
            )
            ambiguity = Question(
                texts.DATE_AMBIGUOUS.format(first=first, second=second), (buttons,)
            )
            return Outcome(state, question=ambiguity)
        if not fitting:
            problem = _date_problem(state.step, parsed.candidates[0], earliest, latest)
            return _miss(state, problem or texts.DATE_NOT_UNDERSTOOD)
        # Only one reading fits this question ("03/04" when April 3 is still ahead): take it.
        parsed = DateOk(fitting[0])
    if not isinstance(parsed, DateOk):
        notice = (
            texts.DATE_IMPOSSIBLE
            if parsed.reason == "impossible date"
            else texts.DATE_NOT_UNDERSTOOD
        )
        return _miss(state, notice)
    day = parsed.value
    problem = _date_problem(state.step, day, earliest, latest)
    if problem is not None:
        return _miss(state, problem)
    # A date that moves with "today" ("tomorrow", "in 3 days") is kept relative to this moment,
    # like the buttons, so it means the patient's own today once their zone is known.
    shifted = parse_date(text, today=today + timedelta(days=1), prefer=prefer)
    if isinstance(shifted, DateOk) and shifted.value - day == timedelta(days=1):
        answer = DayAnswer.relative((day - today).days, now)
    else:
        answer = DayAnswer(day=day)
    return _answer_date(state, answer, texts.day_label(day, today=today), now)


# -- which dose

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}


def _typed_number(text: str) -> int | None:
    if re.search(r"[-−]\s*[0-9]", text):  # "-6" is no dose number
        return None
    words = _words(text)
    if words in _ORDINALS:
        return _ORDINALS[words]
    match = re.fullmatch(r"(?:dose |number |no )?([0-9]{1,3})(?: ?(?:st|nd|rd|th))?", words)
    return int(match[1]) if match else None


def _answer_number(state: OnboardingState, number: int, label: str, now: datetime) -> Outcome:
    return _advance(_with_answers(state, last_dose_number=number), now, label)


def _press_dose_number(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    if value == "4+":
        later = OnboardingState(Step.LATER_DOSE_NUMBER, state.answers)
        return Outcome(
            later, answered=texts.BUTTONS_DOSE_NUMBER[3], question=question(later, now=now)
        )
    if value not in ("1", "2", "3"):
        return None
    number = int(value)
    return _answer_number(state, number, texts.BUTTONS_DOSE_NUMBER[number - 1], now)


def _type_dose_number(state: OnboardingState, text: str, now: datetime) -> Outcome:
    if _words(text) == _words(texts.BUTTONS_DOSE_NUMBER[3]):
        return _press_dose_number(state, "4+", now) or _ask_again(state, now, texts.TAP_A_BUTTON)
    number = _typed_number(text)
    if number is not None and (1 <= number <= 3 or number in LATER_DOSE_NUMBERS):
        return _answer_number(state, number, str(number), now)
    return _ask_again(state, now, texts.TAP_A_BUTTON)


def _press_later_number(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    if value != str(NOT_SURE_DOSE_NUMBER):
        return None
    return _answer_number(state, NOT_SURE_DOSE_NUMBER, texts.BUTTON_NOT_SURE, now)


def _type_later_number(state: OnboardingState, text: str, now: datetime) -> Outcome:
    if _words(text) == _words(texts.BUTTON_NOT_SURE):
        return _answer_number(state, NOT_SURE_DOSE_NUMBER, texts.BUTTON_NOT_SURE, now)
    number = _typed_number(text)
    if number is None or number not in LATER_DOSE_NUMBERS:
        return _miss(state, texts.NUMBER_NOT_UNDERSTOOD)
    return _answer_number(state, number, str(number), now)


# -- reminder time


def _press_time(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    chosen = next((t for t in REMINDER_TIMES if f"{t:%H%M}" == value), None)
    if chosen is None:
        return None
    return _advance(_with_answers(state, reminder_time=chosen), now, f"{chosen:%H:%M}")


def _type_time(state: OnboardingState, text: str, now: datetime) -> Outcome:
    chosen = parse_time(text)
    if chosen is None:
        return _miss(state, texts.TIME_NOT_UNDERSTOOD)
    return _advance(_with_answers(state, reminder_time=chosen), now, f"{chosen:%H:%M}")


# -- time zone


def _zone_found(
    state: OnboardingState, zones: list[str], now: datetime, *, via_location: bool = False
) -> Outcome:
    """One zone: confirm it with the local time. Several: choose. The location keyboard goes."""
    zones = [zone for zone in zones if known_zone(zone)]
    if not zones:
        return _miss(state, texts.ZONE_NOT_FOUND)
    if len(zones) == 1:
        confirming = OnboardingState(
            Step.CONFIRM_ZONE, _with_answers(state, pending_zone=zones[0], zone_candidates=())
        )
        statement = _zone_statement(zones[0], now)
        return Outcome(
            confirming,
            notice=f"{texts.LOCATION_USED}\n{statement}" if via_location else statement,
            remove_reply_keyboard=True,
            question=Question(texts.IS_THAT_RIGHT, _yes_no(Step.CONFIRM_ZONE)),
        )
    choosing = OnboardingState(
        Step.CHOOSE_ZONE, _with_answers(state, zone_candidates=tuple(zones), pending_zone=None)
    )
    return Outcome(
        choosing,
        notice=texts.ZONES_FOUND,
        remove_reply_keyboard=True,
        question=question(choosing, now=now),
    )


def _back_to_zone_question(state: OnboardingState, answered: str, now: datetime) -> Outcome:
    asking = OnboardingState(
        Step.TIME_ZONE, _with_answers(state, zone_candidates=(), pending_zone=None)
    )
    return Outcome(asking, answered=answered, question=question(asking, now=now))


def _type_zone(state: OnboardingState, text: str, now: datetime) -> Outcome:
    return _zone_found(state, match_time_zone(text), now)


def _press_zone_choice(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    candidates = state.answers.zone_candidates
    if value == "none":
        return _back_to_zone_question(state, texts.BUTTON_NONE_OF_THESE, now)
    if not re.fullmatch(r"[0-9]", value) or int(value) >= len(candidates):
        return None
    zone = candidates[int(value)]
    confirmed = _with_answers(state, time_zone=zone)
    return _advance(confirmed, now, _zone_choice_label(zone, now))


def _type_zone_choice(state: OnboardingState, text: str, now: datetime) -> Outcome:
    words = _words(text)
    if words == _words(texts.BUTTON_NONE_OF_THESE):
        return _back_to_zone_question(state, texts.BUTTON_NONE_OF_THESE, now)
    for zone in state.answers.zone_candidates:
        if words == _words(zone):
            return _advance(_with_answers(state, time_zone=zone), now, zone)
    return _type_zone(state, text, now)


def _press_zone_confirm(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    if value == "no":
        return _back_to_zone_question(state, texts.BUTTON_NO, now)
    if value != "yes" or state.answers.pending_zone is None:
        return None
    return _advance(
        _with_answers(state, time_zone=state.answers.pending_zone), now, texts.BUTTON_YES
    )


def _type_zone_confirm(state: OnboardingState, text: str, now: datetime) -> Outcome:
    words = _words(text)
    if words in _YES_WORDS:
        return _press_zone_confirm(state, "yes", now) or _ask_again(state, now, texts.TAP_A_BUTTON)
    if words in _NO_WORDS or words == _words(texts.BUTTON_NO):
        return _back_to_zone_question(state, texts.BUTTON_NO, now)
    return _type_zone(state, text, now)


# -- who injects

_ME_WORDS = frozenset({"me", "i", "myself", "self"})
_CAREGIVER_WORDS = frozenset(
    {
        "caregiver", "carer", "nurse", "partner", "wife", "husband", "mum", "mom", "mother",
        "dad", "father", "daughter", "son", "friend", "family", "someone", "somebody", "doctor",
    }
)  # fmt: skip


def _answer_who(state: OnboardingState, *, caregiver: bool, now: datetime) -> Outcome:
    label = texts.BUTTON_CAREGIVER if caregiver else texts.BUTTON_I_DO
    return _advance(_with_answers(state, caregiver_injects=caregiver), now, label)


def _press_who(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    if value not in ("me", "caregiver"):
        return None
    return _answer_who(state, caregiver=value == "caregiver", now=now)


def _type_who(state: OnboardingState, text: str, now: datetime) -> Outcome:
    words = set(_words(text).split())
    me, someone_else = bool(words & _ME_WORDS), bool(words & _CAREGIVER_WORDS)
    if me != someone_else and len(words) <= 6:  # "I do", "my wife": clear; both: ask again
        return _answer_who(state, caregiver=someone_else, now=now)
    return _ask_again(state, now, texts.TAP_A_BUTTON)


# -- summary


def _press_summary(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    if value in _CHANGES:
        label, step = _CHANGES[value]
        changing = OnboardingState(step, state.answers)
        return Outcome(changing, answered=label, question=question(changing, now=now))
    if value != CONFIRM:
        return None
    problem = _date_problem_now(state.answers, now)
    if problem is not None:  # time passed since the summary: the date no longer fits
        return _advance(state.answers, now, None)
    return Outcome(state, answered=texts.BUTTON_CONFIRM, finished=_finished(state.answers))


def _finished(answers: Answers) -> Finished:
    assert answers.time_zone is not None and answers.reminder_time is not None
    zone = ZoneInfo(answers.time_zone)
    common: dict[str, Any] = {
        "time_zone": answers.time_zone,
        "reminder_time": answers.reminder_time,
        "caregiver_injects": bool(answers.caregiver_injects),
    }
    if answers.on_treatment:
        assert answers.last_dose is not None
        return Finished(
            last_dose_on=answers.last_dose.resolve(zone),
            last_dose_number=answers.last_dose_number,
            **common,
        )
    assert answers.first_dose is not None
    return Finished(first_dose_date=answers.first_dose.resolve(zone), **common)


def _type_summary(state: OnboardingState, text: str, now: datetime) -> Outcome:
    # Starting reminders takes a tap on the summary itself, never a stray word.
    return _ask_again(state, now, texts.TAP_A_BUTTON)


def _no_buttons(state: OnboardingState, value: str, now: datetime) -> Outcome | None:
    return None  # the time zone question has no inline buttons


_BUTTONS: dict[Step, Callable[[OnboardingState, str, datetime], Outcome | None]] = {
    Step.FIRST_INJECTION: _press_first_injection,
    Step.FIRST_DOSE_DATE: _press_date,
    Step.LAST_DOSE_DATE: _press_date,
    Step.LAST_DOSE_NUMBER: _press_dose_number,
    Step.LATER_DOSE_NUMBER: _press_later_number,
    Step.REMINDER_TIME: _press_time,
    Step.TIME_ZONE: _no_buttons,
    Step.CHOOSE_ZONE: _press_zone_choice,
    Step.CONFIRM_ZONE: _press_zone_confirm,
    Step.WHO_INJECTS: _press_who,
    Step.SUMMARY: _press_summary,
}

_TYPED: dict[Step, Callable[[OnboardingState, str, datetime], Outcome]] = {
    Step.FIRST_INJECTION: _type_first_injection,
    Step.FIRST_DOSE_DATE: _type_date,
    Step.LAST_DOSE_DATE: _type_date,
    Step.LAST_DOSE_NUMBER: _type_dose_number,
    Step.LATER_DOSE_NUMBER: _type_later_number,
    Step.REMINDER_TIME: _type_time,
    Step.TIME_ZONE: _type_zone,
    Step.CHOOSE_ZONE: _type_zone_choice,
    Step.CONFIRM_ZONE: _type_zone_confirm,
    Step.WHO_INJECTS: _type_who,
    Step.SUMMARY: _type_summary,
}
