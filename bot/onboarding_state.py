"""Onboarding's state: the steps, the answers given so far, and how they are stored.

`bot.onboarding_flow` moves from one state to the next; this module only holds it and turns it
into the conversation store's step name and JSON (`dump`, `load`), refusing anything stored
that does not fit together (`is_consistent`).
"""

from __future__ import annotations

import enum
import functools
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

STEP_PREFIX = "onboarding"
"""Conversation steps are stored as `onboarding:<step>`; typed text is routed by this prefix."""


class Step(enum.StrEnum):
    FIRST_INJECTION = "first_injection"
    FIRST_DOSE_DATE = "first_dose_date"
    LAST_DOSE_DATE = "last_dose_date"
    LAST_DOSE_NUMBER = "last_dose_number"
    LATER_DOSE_NUMBER = "later_dose_number"
    REMINDER_TIME = "reminder_time"
    TIME_ZONE = "time_zone"
    CHOOSE_ZONE = "choose_zone"
    CONFIRM_ZONE = "confirm_zone"
    WHO_INJECTS = "who_injects"
    SUMMARY = "summary"

    @property
    def code(self) -> str:
        """The short name the step's buttons carry (callback data is at most 64 bytes)."""
        return _CODES[self]


_CODES: dict[Step, str] = {
    Step.FIRST_INJECTION: "fi",
    Step.FIRST_DOSE_DATE: "fd",
    Step.LAST_DOSE_DATE: "ld",
    Step.LAST_DOSE_NUMBER: "ln",
    Step.LATER_DOSE_NUMBER: "lx",
    Step.REMINDER_TIME: "rt",
    Step.TIME_ZONE: "tz",
    Step.CHOOSE_ZONE: "zc",
    Step.CONFIRM_ZONE: "zk",
    Step.WHO_INJECTS: "wi",
    Step.SUMMARY: "sm",
}


# --- the stored answers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayAnswer:
    """A date as the patient gave it: a calendar date, or "N days from the moment I answered"."""

    day: date | None = None
    offset: int = 0
    answered_at: datetime | None = None

    def __post_init__(self) -> None:
        if (self.day is None) == (self.answered_at is None):
            raise ValueError("a day answer is either a date or an offset from an instant")

    @classmethod
    def relative(cls, offset: int, answered_at: datetime) -> DayAnswer:
        return cls(offset=offset, answered_at=answered_at.astimezone(UTC))

    def resolve(self, zone: ZoneInfo) -> date:
        """The calendar date meant, in the patient's time zone."""
        if self.day is not None:
            return self.day
        assert self.answered_at is not None
        return self.answered_at.astimezone(zone).date() + timedelta(days=self.offset)

    def to_json(self) -> dict[str, Any]:
        if self.day is not None:
            return {"day": self.day.isoformat()}
        assert self.answered_at is not None
        return {"offset": self.offset, "at": self.answered_at.isoformat()}

    @classmethod
    def from_json(cls, value: object) -> DayAnswer | None:
        if not isinstance(value, Mapping):
            return None
        try:
            if "day" in value:
                return cls(day=date.fromisoformat(str(value["day"])))
            offset = value["offset"]
            at = datetime.fromisoformat(str(value["at"]))
            if not isinstance(offset, int) or isinstance(offset, bool) or abs(offset) > 366:
                return None
            if at.utcoffset() is None or not 2000 <= at.year <= 9000:
                return None
            return cls.relative(offset, at)
        except (KeyError, ValueError, TypeError, OverflowError):
            return None


@dataclass(frozen=True, slots=True)
class Answers:
    """What the patient has answered so far; None means not answered yet."""

    on_treatment: bool | None = None
    first_dose: DayAnswer | None = None
    last_dose: DayAnswer | None = None
    last_dose_number: int | None = None
    reminder_time: time | None = None
    time_zone: str | None = None
    caregiver_injects: bool | None = None
    zone_candidates: tuple[str, ...] = ()  # while choosing between several zones
    pending_zone: str | None = None  # while confirming a zone

    @property
    def dates_done(self) -> bool:
        if self.on_treatment is None:
            return False
        if not self.on_treatment:
            return self.first_dose is not None
        return self.last_dose is not None and self.last_dose_number is not None


@dataclass(frozen=True, slots=True)
class OnboardingState:
    """The step waiting for an answer, the answers, and the message whose buttons are live."""

    step: Step
    answers: Answers = field(default_factory=Answers)
    question_message_id: int | None = None


def first_state() -> OnboardingState:
    """Right after consent: ask whether the first injection has happened."""
    return OnboardingState(Step.FIRST_INJECTION)


def first_missing_step(answers: Answers) -> Step:
    """The first step without an answer, or the summary when everything is answered."""
    if answers.on_treatment is None:
        return Step.FIRST_INJECTION
    if not answers.on_treatment and answers.first_dose is None:
        return Step.FIRST_DOSE_DATE
    if answers.on_treatment and answers.last_dose is None:
        return Step.LAST_DOSE_DATE
    if answers.on_treatment and answers.last_dose_number is None:
        return Step.LAST_DOSE_NUMBER
    if answers.reminder_time is None:
        return Step.REMINDER_TIME
    if answers.time_zone is None:
        return Step.TIME_ZONE
    if answers.caregiver_injects is None:
        return Step.WHO_INJECTS
    return Step.SUMMARY


def is_consistent(state: OnboardingState) -> bool:
    """Whether the step can be waiting given the answers (every earlier step answered)."""
    answers, step = state.answers, state.step
    if step is Step.FIRST_INJECTION:
        return True
    if step is Step.FIRST_DOSE_DATE:
        return answers.on_treatment is False
    if step is Step.LAST_DOSE_DATE:
        return answers.on_treatment is True
    if step in (Step.LAST_DOSE_NUMBER, Step.LATER_DOSE_NUMBER):
        return answers.on_treatment is True and answers.last_dose is not None
    if not answers.dates_done:
        return False
    if step in (Step.REMINDER_TIME, Step.TIME_ZONE):
        return step is Step.REMINDER_TIME or answers.reminder_time is not None
    if answers.reminder_time is None:
        return False
    if step is Step.CHOOSE_ZONE:
        return len(answers.zone_candidates) >= 2 and all(map(known_zone, answers.zone_candidates))
    if step is Step.CONFIRM_ZONE:
        return answers.pending_zone is not None and known_zone(answers.pending_zone)
    if answers.time_zone is None:
        return False
    return step is Step.WHO_INJECTS or first_missing_step(answers) is Step.SUMMARY


# --- storage -----------------------------------------------------------------------------------


def storage_step(step: Step) -> str:
    return f"{STEP_PREFIX}:{step.value}"


def dump(state: OnboardingState) -> tuple[str, dict[str, Any]]:
    """The conversation step name and JSON data to store."""
    answers = state.answers
    data: dict[str, Any] = {
        "on_treatment": answers.on_treatment,
        "first_dose": answers.first_dose.to_json() if answers.first_dose else None,
        "last_dose": answers.last_dose.to_json() if answers.last_dose else None,
        "last_dose_number": answers.last_dose_number,
        "reminder_time": answers.reminder_time.strftime("%H:%M") if answers.reminder_time else None,
        "time_zone": answers.time_zone,
        "caregiver_injects": answers.caregiver_injects,
        "zone_candidates": list(answers.zone_candidates),
        "pending_zone": answers.pending_zone,
        "question_message_id": state.question_message_id,
    }
    return storage_step(state.step), data


def load(step_name: str, data: Mapping[str, Any]) -> OnboardingState:
    """The state stored as `dump` wrote it; never raises.

    Anything unreadable is dropped, and a step the answers do not support falls back to the
    first unanswered one, so a damaged or older row still leads somewhere sensible.
    """
    answers = Answers(
        on_treatment=_bool(data.get("on_treatment")),
        first_dose=DayAnswer.from_json(data.get("first_dose")),
        last_dose=DayAnswer.from_json(data.get("last_dose")),
        last_dose_number=_dose_number(data.get("last_dose_number")),
        reminder_time=_stored_time(data.get("reminder_time")),
        time_zone=_zone_or_none(data.get("time_zone")),
        caregiver_injects=_bool(data.get("caregiver_injects")),
        zone_candidates=_zones(data.get("zone_candidates")),
        pending_zone=_zone_or_none(data.get("pending_zone")),
    )
    message_id = data.get("question_message_id")
    state = OnboardingState(
        _step_from_name(step_name) or first_missing_step(answers),
        answers,
        message_id if isinstance(message_id, int) and not isinstance(message_id, bool) else None,
    )
    if not is_consistent(state):
        state = replace(state, step=first_missing_step(answers), question_message_id=None)
    return state


def _step_from_name(name: str) -> Step | None:
    prefix, _, value = name.partition(":")
    if prefix != STEP_PREFIX:
        return None
    try:
        return Step(value)
    except ValueError:
        return None


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _dose_number(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 200:
        return value
    return None


def _stored_time(value: object) -> time | None:
    if not isinstance(value, str):
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


@functools.cache
def _available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def known_zone(name: str) -> bool:
    # A set lookup, not ZoneInfo(name): that raises IsADirectoryError for "Europe".
    return name in _available_zones()


def _zone_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and known_zone(value) else None


def _zones(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(zone for zone in value if isinstance(zone, str) and known_zone(zone))
