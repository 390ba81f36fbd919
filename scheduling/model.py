"""Domain types shared by every layer: the facts about a patient and what the plan derives.

Frozen dataclasses and enums only. Instants are aware UTC datetimes; calendar dates are the
patient's local dates; wall-clock times are naive `time` values read in the patient's zone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta


def require_utc(instant: datetime, name: str = "instant") -> datetime:
    """Return `instant` if it is aware; normalised to UTC. Naive datetimes are a bug."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {instant!r}")
    return instant.astimezone(UTC)


class MaintenanceMode(enum.StrEnum):
    """How doses after Week 4 are spaced (CLINICAL.md: both readings exist in practice)."""

    MONTHLY = "monthly"  # same date each calendar month
    EVERY_4_WEEKS = "every_4_weeks"  # 28 days, as in the trials


class InjectionSite(enum.StrEnum):
    """The six injection zones. Arm zones only when a caregiver injects (CLINICAL.md)."""

    LEFT_THIGH = "left_thigh"
    RIGHT_THIGH = "right_thigh"
    LEFT_ABDOMEN = "left_abdomen"
    RIGHT_ABDOMEN = "right_abdomen"
    LEFT_UPPER_ARM = "left_upper_arm"
    RIGHT_UPPER_ARM = "right_upper_arm"

    @property
    def is_arm(self) -> bool:
        return self in (InjectionSite.LEFT_UPPER_ARM, InjectionSite.RIGHT_UPPER_ARM)


class PatientStatus(enum.StrEnum):
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    PAUSED = "paused"
    UNREACHABLE = "unreachable"


class ReminderKind(enum.StrEnum):
    """What a reminder is for. The order of `DELIVERY_PRIORITY` decides who goes first."""

    HEADS_UP = "heads_up"  # the day before
    PREP = "prep"  # take the pen out of the fridge
    DOSE = "dose"  # the dose is due now
    FOLLOW_UP = "follow_up"  # not confirmed yet / overdue
    CHECK_IN = "check_in"  # how are you after the injection?
    CHECK_IN_NUDGE = "check_in_nudge"  # the check-in was not answered
    REACTION_FOLLOW_UP = "reaction_follow_up"  # are the symptoms gone?
    BROADCAST = "broadcast"  # an admin's message to every patient


# Lower number = sent first when more is due than Telegram lets through (DESIGN.md).
DELIVERY_PRIORITY: dict[ReminderKind, int] = {
    ReminderKind.DOSE: 0,
    ReminderKind.FOLLOW_UP: 0,
    ReminderKind.PREP: 1,
    ReminderKind.HEADS_UP: 2,
    ReminderKind.CHECK_IN: 2,
    ReminderKind.CHECK_IN_NUDGE: 2,
    ReminderKind.REACTION_FOLLOW_UP: 2,
    ReminderKind.BROADCAST: 9,
}


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    HELD = "held"  # the patient blocked the bot: kept, not sent, until they come back
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"


class CheckInStatus(enum.StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    UNANSWERED = "unanswered"  # the nudge went unanswered too


class DoseSource(enum.StrEnum):
    """How an injection came to be recorded."""

    REMINDER = "reminder"  # a button under a reminder
    LOG = "log"  # /log, after the fact
    ONBOARDING = "onboarding"  # "my last dose was dose N on D"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A local wall-clock window in which nothing but dose reminders is sent.

    `start == end` means no quiet hours. The window may wrap past midnight (22:00-08:00).
    """

    start: time = time(22, 0)
    end: time = time(8, 0)

    def __contains__(self, wall: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """A patient's choices that shape when reminders go out."""

    time_zone: str = "UTC"
    reminder_time: time = time(9, 0)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    heads_up: bool = True
    prep: bool = True
    check_in_delay: timedelta = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class InjectedDose:
    """A dose that was actually injected: the fact the whole plan is counted from."""

    number: int
    injected_on: date  # the patient's local calendar date of the injection
    injected_at: datetime | None = None  # aware UTC instant, when known
    site: InjectionSite | None = None

    def __post_init__(self) -> None:
        if self.number < 1:
            raise ValueError("dose numbers start at 1")
        if self.injected_at is not None:
            require_utc(self.injected_at, "injected_at")


@dataclass(frozen=True, slots=True)
class Course:
    """Everything the regimen needs: the mode, the planned Week 0 and the doses injected.

    `injected` holds consecutive dose numbers in order. For a patient who joined mid-treatment
    it starts at the dose they reported ("my last dose was dose N on D"); `first_dose_date` is
    then irrelevant. With nothing injected, dose 1 is due on `first_dose_date`.
    """

    mode: MaintenanceMode = MaintenanceMode.MONTHLY
    first_dose_date: date | None = None
    injected: tuple[InjectedDose, ...] = ()

    def __post_init__(self) -> None:
        if not self.injected and self.first_dose_date is None:
            raise ValueError("a course needs a first-dose date or an injected dose")
        numbers = [dose.number for dose in self.injected]
        expected = list(range(numbers[0], numbers[0] + len(numbers))) if numbers else []
        if numbers != expected:
            raise ValueError(f"injected dose numbers must be consecutive, got {numbers}")
        dates = [dose.injected_on for dose in self.injected]
        if dates != sorted(dates):
            raise ValueError("injected doses must be in date order")


@dataclass(frozen=True, slots=True)
class PlannedDose:
    """A dose not injected yet, and the local date it is due."""

    number: int
    due_on: date


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One message the plan wants sent, keyed by (kind, dose_number, due_at).

    `expires_at` is when the message stops being worth sending (a prep reminder after the dose
    time, a check-in more than 24 h after the injection, a follow-up once the next one is due):
    the dispatcher cancels rather than sends it late.
    """

    kind: ReminderKind
    dose_number: int
    due_at: datetime
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        require_utc(self.due_at, "due_at")
        if self.expires_at is not None:
            require_utc(self.expires_at, "expires_at")
            if self.expires_at <= self.due_at:
                raise ValueError("a reminder must expire after it is due")

    @property
    def key(self) -> tuple[ReminderKind, int, datetime]:
        return (self.kind, self.dose_number, self.due_at)


@dataclass(frozen=True, slots=True)
class Reminder:
    """A row of the outbox, as the dispatcher and the notifier see it."""

    id: int
    patient_id: int
    kind: ReminderKind
    dose_number: int | None
    due_at: datetime
    status: ReminderStatus
    expires_at: datetime | None = None
    attempts: int = 0
    lease_until: datetime | None = None
    telegram_message_id: int | None = None
    broadcast_id: int | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient as the rest of the system sees them (no ORM rows leave storage)."""

    id: int
    telegram_user_id: int
    chat_id: int
    status: PatientStatus
    settings: ReminderSettings
    mode: MaintenanceMode = MaintenanceMode.MONTHLY
    first_dose_date: date | None = None
    caregiver_injects: bool = False
    excluded_sites: frozenset[InjectionSite] = frozenset()
    language: str = "en"
    consented_at: datetime | None = None
    snoozed_until: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A patient's answer about reactions after a dose."""

    id: int
    patient_id: int
    dose_number: int | None
    asked_at: datetime | None
    answered_at: datetime | None
    answers: tuple[str, ...] = ()
    severity: str | None = None
    urgent: bool = False
    status: CheckInStatus = CheckInStatus.PENDING


@dataclass(frozen=True, slots=True)
class DoseRecord:
    """A stored dose with everything recorded about it (storage returns these)."""

    id: int
    patient_id: int
    number: int
    injected_on: date
    injected_at: datetime | None
    planned_on: date | None = None
    site: InjectionSite | None = None
    lot_number: str | None = None
    source: DoseSource = DoseSource.REMINDER

    def as_injected(self) -> InjectedDose:
        return InjectedDose(self.number, self.injected_on, self.injected_at, self.site)
