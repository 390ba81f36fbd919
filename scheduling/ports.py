"""The ports the dispatcher talks to the world through (implemented in storage/ and bot/).

The dispatcher knows nothing of SQL or Telegram: a `ReminderStore` hands it due reminders
under a lease and records outcomes; a `Notifier` delivers one reminder and reports how it
went by returning a message id or raising one of the `Delivery*` exceptions below.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from scheduling.model import Reminder


class Clock(Protocol):
    """Returns the current instant as an aware UTC datetime; injected so tests move time."""

    def __call__(self) -> datetime: ...


class DeliveryError(Exception):
    """A reminder could not be delivered; the subclass says what to do about it."""


class RetryLater(DeliveryError):
    """Telegram asked us to slow down (429): try again after `after`, not counted as a fault."""

    def __init__(self, after: timedelta) -> None:
        super().__init__(f"retry after {after.total_seconds():g} s")
        self.after = after


class RecipientUnreachable(DeliveryError):
    """The patient blocked the bot or the chat is gone (403, chat not found)."""


class TransientFailure(DeliveryError):
    """A network error, a timeout or a 5xx: retry with back-off."""


class PermanentFailure(DeliveryError):
    """Telegram refused this message for good (a 400 other than chat not found)."""


class Notifier(Protocol):
    """Delivers one reminder; returns the Telegram message id of what was sent."""

    async def deliver(self, reminder: Reminder) -> int: ...


class Alerter(Protocol):
    """Tells the admins about something that needs a person (one short line, no health data)."""

    async def alert(self, text: str) -> None: ...


class ReminderStore(Protocol):
    """The outbox as the dispatcher sees it."""

    async def claim_due(
        self, *, now: datetime, limit: int, lease: timedelta, worker: str
    ) -> Sequence[Reminder]:
        """Claim up to `limit` due reminders (pending, or claimed with an expired lease) of
        reachable patients, most urgent first, leased to `worker` until `now + lease`."""
        ...

    async def mark_sent(self, reminder_id: int, *, message_id: int, now: datetime) -> None: ...

    async def reschedule(
        self, reminder_id: int, *, due_at: datetime, attempts: int, error: str | None
    ) -> None:
        """Put a claimed reminder back to pending, due again at `due_at`."""
        ...

    async def mark_failed(self, reminder_id: int, *, error: str, now: datetime) -> None: ...

    async def mark_cancelled(self, reminder_id: int, *, reason: str, now: datetime) -> None: ...

    async def mark_unreachable(self, patient_id: int, *, now: datetime) -> None:
        """The patient blocked the bot: stop their reminders (held, not lost)."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending reminder of a reachable patient falls due."""
        ...
