"""/log as a small state machine: date, (a check if within 7 days of the last dose), time, site.

Pure: every function takes the facts it needs (`LogFacts`, built by the handler from the
patient, their doses and the clock) and returns an `Outcome` for the handler to render. State
is stored as `log:<step>` plus JSON data, so a restart resumes at the same question.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any

from bot import texts
from bot.dose_actions import site_picker
from bot.parsing import DateAmbiguous, DateOk, parse_date, parse_time
from bot.reminder_messages import Keyboard, site_name
from scheduling.model import InjectionSite

STEP_PREFIX = "log"
CALLBACK_PREFIX = "log:"
CANCEL = "log:cancel"
LOG_TIMES = (time(8), time(9), time(12), time(18), time(20))
DAY_OFFSETS = (0, 1, 2, 3)  # today, yesterday, 2 and 3 days ago
MIN_GAP_DAYS = 7  # a second dose sooner than this asks for confirmation (issue 5)
MAX_DAYS_BACK = 365
UNKNOWN = "unknown"


class LogStep(enum.StrEnum):
    DATE = "date"
    GAP = "gap"  # "your last dose was N days ago. Record another one?"
    TIME = "time"
    SITE = "site"


@dataclass(frozen=True, slots=True)
class LastDose:
    number: int
    injected_on: date


@dataclass(frozen=True, slots=True)
class LogFacts:
    """What the flow needs to know about the patient now."""

    today: date  # the patient's local date
    now_wall: time  # the patient's local wall time
    reminder_time: time
    last_dose: LastDose | None
    sites: tuple[InjectionSite, ...]  # the zones this patient may use


@dataclass(frozen=True, slots=True)
class LogState:
    step: LogStep
    number: int  # the dose being logged: the one due when /log started
    day: date | None = None
    wall: time | None = None
    question_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """Everything needed to record the injection."""

    number: int
    day: date
    wall: time
    site: InjectionSite | None


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an answer leads to. `state` None: the flow ended (finished or cancelled)."""

    state: LogState | None
    question: Question | None = None
    notice: str | None = None
    answered: str | None = None  # shown under the answered question
    finished: LogEntry | None = None


# --- storage ------------------------------------------------------------------------------------


def dump(state: LogState) -> tuple[str, dict[str, Any]]:
    data: dict[str, Any] = {"number": state.number}
    if state.day is not None:
        data["day"] = state.day.isoformat()
    if state.wall is not None:
        data["wall"] = f"{state.wall:%H:%M}"
    if state.question_message_id is not None:
        data["question"] = state.question_message_id
    return f"{STEP_PREFIX}:{state.step.value}", data


def load(step_name: str, data: Mapping[str, Any]) -> LogState | None:
    """The stored state, or None if it is not a /log state or does not hold together."""
    prefix, _, name = step_name.partition(":")
    if prefix != STEP_PREFIX or name not in {step.value for step in LogStep}:
        return None
    try:
        number = data["number"]
        day = date.fromisoformat(data["day"]) if "day" in data else None
        wall = time.fromisoformat(data["wall"]) if "wall" in data else None
        question = data.get("question")
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(number, int) or number < 1:
        return None
    if question is not None and not isinstance(question, int):
        return None
    step = LogStep(name)
    if (step is not LogStep.DATE and day is None) or (step is LogStep.SITE and wall is None):
        return None
    return LogState(step, number, day, wall, question)


# --- questions ----------------------------------------------------------------------------------


def _cancel_row() -> tuple[tuple[str, str], ...]:
    return ((texts.BUTTON_CANCEL, CANCEL),)


def _day_label(offset: int) -> str:
    if offset == 0:
        return texts.BUTTON_TODAY
    return texts.BUTTON_YESTERDAY if offset == 1 else texts.BUTTON_DAYS_AGO.format(days=offset)


def question(state: LogState, facts: LogFacts) -> Question:
    """The message that asks the waiting step's question."""
    if state.step is LogStep.DATE:
        days = [
            (_day_label(offset), f"{CALLBACK_PREFIX}date:{facts.today - timedelta(days=offset)}")
            for offset in DAY_OFFSETS
        ]
        rows = tuple(tuple(days[index : index + 2]) for index in range(0, len(days), 2))
        return Question(texts.ASK_LOG_DATE.format(number=state.number), (*rows, _cancel_row()))
    if state.step is LogStep.GAP:
        assert state.day is not None and facts.last_dose is not None
        return Question(
            _gap_text(state.day, facts.last_dose, facts),
            (
                (
                    (texts.BUTTON_RECORD_IT, f"{CALLBACK_PREFIX}gap:yes"),
                    (texts.BUTTON_DONT_RECORD, f"{CALLBACK_PREFIX}gap:no"),
                ),
            ),
        )
    if state.step is LogStep.TIME:
        times = [(f"{t:%H:%M}", f"{CALLBACK_PREFIX}time:{t:%H%M}") for t in LOG_TIMES]
        return Question(
            texts.ASK_LOG_TIME,
            (
                tuple(times[:3]),
                tuple(times[3:]),
                ((texts.BUTTON_DONT_REMEMBER, f"{CALLBACK_PREFIX}time:{UNKNOWN}"),),
                _cancel_row(),
            ),
        )
    data = {site: f"{CALLBACK_PREFIX}site:{site.value}" for site in facts.sites}
    extra: Keyboard = (
        ((texts.BUTTON_DONT_REMEMBER, f"{CALLBACK_PREFIX}site:{UNKNOWN}"),),
        _cancel_row(),
    )
    return Question(texts.ASK_LOG_SITE, site_picker(facts.sites, data, extra))


def _gap_text(day: date, last: LastDose, facts: LogFacts) -> str:
    days = (day - last.injected_on).days
    if days == 0:
        gap = texts.LOG_GAP_SAME_DAY
    elif day == facts.today:
        gap = texts.days_ago(days)
    else:
        gap = texts.LOG_GAP_BEFORE.format(days_text="1 day" if days == 1 else f"{days} days")
    return texts.LOG_GAP_QUESTION.format(
        number=last.number, day=texts.day_label(last.injected_on, today=facts.today), gap=gap
    )


def start(number: int, facts: LogFacts) -> Outcome:
    """/log: ask for the date of dose `number` (the one due now)."""
    state = LogState(LogStep.DATE, number)
    return Outcome(state, question=question(state, facts))


# --- answers ------------------------------------------------------------------------------------


def press(state: LogState, data: str, facts: LogFacts) -> Outcome | None:
    """A button of the live question, or None if it is not one of its buttons."""
    if data == CANCEL and state.step is not LogStep.GAP:
        return Outcome(None, notice=texts.LOG_CANCELLED, answered=texts.BUTTON_CANCEL)
    prefix, _, rest = data.partition(":")
    code, _, value = rest.partition(":")
    if f"{prefix}:" != CALLBACK_PREFIX or code != state.step.value:
        return None
    if state.step is LogStep.DATE:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return _answer_date(state, day, texts.day_label(day, today=facts.today), facts)
    if state.step is LogStep.GAP:
        if value == "no":
            return Outcome(None, notice=texts.LOG_CANCELLED, answered=texts.BUTTON_DONT_RECORD)
        if value != "yes":
            return None
        return _ask(replace(state, step=LogStep.TIME), facts, answered=texts.BUTTON_RECORD_IT)
    if state.step is LogStep.TIME:
        if value == UNKNOWN:
            return _answer_time(state, None, texts.BUTTON_DONT_REMEMBER, facts)
        chosen = next((t for t in LOG_TIMES if f"{t:%H%M}" == value), None)
        return None if chosen is None else _answer_time(state, chosen, f"{chosen:%H:%M}", facts)
    if value == UNKNOWN:
        return _finish(state, None, texts.BUTTON_DONT_REMEMBER)
    site = next((site for site in facts.sites if site.value == value), None)
    return None if site is None else _finish(state, site, site_name(site))


def type_text(state: LogState, text: str, facts: LogFacts) -> Outcome:
    """Text typed while a /log step waits."""
    if state.step is LogStep.DATE:
        parsed = parse_date(text, today=facts.today, prefer="past")
        if isinstance(parsed, DateOk):
            return _answer_date(state, parsed.value, None, facts)
        if isinstance(parsed, DateAmbiguous):
            first, second = parsed.candidates
            labels = [texts.day_label(day, today=facts.today) for day in (first, second)]
            buttons = tuple(
                (label, f"{CALLBACK_PREFIX}date:{day}")
                for label, day in zip(labels, (first, second), strict=True)
            )
            ask = Question(
                texts.DATE_AMBIGUOUS.format(first=labels[0], second=labels[1]),
                (buttons, _cancel_row()),
            )
            return Outcome(state, question=ask)
        problem = (
            texts.DATE_IMPOSSIBLE
            if parsed.reason == "impossible date"
            else texts.DATE_NOT_UNDERSTOOD
        )
        return Outcome(state, notice=problem)
    if state.step is LogStep.TIME:
        wall = parse_time(text)
        if wall is None:
            return Outcome(state, notice=texts.TIME_NOT_UNDERSTOOD)
        return _answer_time(state, wall, None, facts)
    return Outcome(state, notice=texts.TAP_A_BUTTON)


def _ask(state: LogState, facts: LogFacts, *, answered: str | None) -> Outcome:
    return Outcome(state, question=question(state, facts), answered=answered)


def _answer_date(state: LogState, day: date, label: str | None, facts: LogFacts) -> Outcome:
    last = facts.last_dose
    if day > facts.today:
        return Outcome(state, notice=texts.LOG_DATE_IN_FUTURE)
    if (facts.today - day).days > MAX_DAYS_BACK:
        return Outcome(state, notice=texts.DATE_TOO_FAR_BACK.format(days=MAX_DAYS_BACK))
    if last is not None and day < last.injected_on:
        notice = texts.LOG_DATE_BEFORE_PREVIOUS.format(
            number=last.number, day=texts.day_label(last.injected_on, today=facts.today)
        )
        return Outcome(state, notice=notice)
    step = LogStep.TIME
    if last is not None and (day - last.injected_on).days < MIN_GAP_DAYS:
        step = LogStep.GAP
    return _ask(replace(state, step=step, day=day), facts, answered=label)


def _answer_time(state: LogState, wall: time | None, label: str | None, facts: LogFacts) -> Outcome:
    today = state.day == facts.today
    if wall is None:
        # "I don't remember": the reminder time, but never later than now.
        wall = facts.reminder_time
        if today and wall > facts.now_wall:
            wall = facts.now_wall.replace(second=0, microsecond=0)
    elif today and wall > facts.now_wall:
        return Outcome(state, notice=texts.LOG_TIME_IN_FUTURE)
    return _ask(replace(state, step=LogStep.SITE, wall=wall), facts, answered=label)


def _finish(state: LogState, site: InjectionSite | None, label: str) -> Outcome:
    assert state.day is not None and state.wall is not None  # load() guarantees both here
    return Outcome(
        None, answered=label, finished=LogEntry(state.number, state.day, state.wall, site)
    )
