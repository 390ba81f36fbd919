"""The ports the dispatcher talks to the world through (implemented in storage/ and bot/).

The dispatcher knows nothing of SQL or Telegram: a `ReminderStore` hands it due reminders
under a lease and records outcomes in groups; a `Notifier` delivers one reminder and reports
how it went by returning a message id or raising one of the `Delivery*` exceptions below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from scheduling.model import Reminder


class Clock(Protocol):
    """Returns the current instant as an aware UTC datetime; injected so tests move time."""

    def __call__(self) -> datetime: ...


# --- what a delivery can end in ------------------------------------------------------------


class DeliveryError(Exception):
    """A reminder could not be delivered; the subclass says what to do about it."""


class RetryLater(DeliveryError):
    """Telegram asked us to slow down (429): try again after `after`; not a fault."""

    def __init__(self, after: timedelta) -> None:
        super().__init__(f"retry after {after.total_seconds():g} s")
        self.after = after


class RecipientUnreachable(DeliveryError):
    """The patient blocked the bot or the chat is gone (403, chat not found)."""


class TransientFailure(DeliveryError):
    """A network error, a timeout or a 5xx: retry with back-off."""


class PermanentFailure(DeliveryError):
    """Telegram refused this message for good (a 400 other than chat not found)."""


class ReminderObsolete(DeliveryError):
    """The facts moved on (its dose was recorded meanwhile): cancel it, do not send it."""


class Notifier(Protocol):
    """Delivers one reminder; returns the Telegram message id of what was sent."""

    async def deliver(self, reminder: Reminder) -> int: ...


class Alerter(Protocol):
    """Tells the admins about something that needs a person (one short line, no health data)."""

    async def alert(self, text: str) -> None: ...


# --- outcomes the dispatcher records -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    reminder_id: int
    message_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Rescheduled:
    """Back to pending, due again at `due_at` (429, or a transient failure with back-off)."""

    reminder_id: int
    due_at: datetime
    attempts: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Failed:
    reminder_id: int
    error: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Cancelled:
    """Not sent because it went stale (its `expires_at` passed)."""

    reminder_id: int
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The patient blocked the bot: they become unreachable and all their rows are held."""

    reminder_id: int
    patient_id: int
    at: datetime


Outcome = Sent | Rescheduled | Failed | Cancelled | Unreachable


@dataclass(frozen=True, slots=True)
class PlansExtended:
    """What `ReminderStore.extend_plans` did: plans extended, and plans it could not extend
    (each logged and tried again later; their patients miss follow-ups until then)."""

    extended: int = 0
    failed: int = 0


class ReminderStore(Protocol):
    """The outbox as the dispatcher sees it."""

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta, worker: str
    ) -> Sequence[Reminder]:
        """Claim up to `limit` due reminders (pending and due, or claimed with an expired
        lease), most urgent priority first, then oldest first, leased to `worker` until
        `now + lease`. No row is handed to two workers at once."""
        ...

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        """Record a group of outcomes in one transaction."""
        ...

    async def extend_plans(self, *, now: datetime, limit: int) -> PlansExtended:
        """Write the reminders that plans left for later and that are near by `now`
        (`scheduling.planner.plan_window`), for up to `limit` patients, the longest waiting
        first."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending reminder falls due (None: nothing pending)."""
        ...
