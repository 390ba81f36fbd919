"""The SQLAlchemy tables. Only storage sees these rows; repositories hand out domain objects.

Enums are stored as their `.value` strings and instants as aware UTC (`UtcDateTime`), so the
same schema works on SQLite and PostgreSQL. Changing anything here needs a new migration.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from storage.types import UtcDateTime

# Deterministic constraint names, so later (batch) migrations can refer to them on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STATUS_LENGTH = 16
KIND_LENGTH = 32
SITE_LENGTH = 32
LAST_ERROR_LENGTH = 300


def utc_now() -> datetime:
    """Bookkeeping timestamps (created_at, updated_at); facts take their instant as an argument."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every `Mapped[datetime]` is an instant: there is no naive DateTime column anywhere.
    type_annotation_map: ClassVar[dict[Any, TypeEngine[Any]]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class PatientRow(Base):
    __tablename__ = "patients"
    __table_args__ = (Index(None, "status"), Index(None, "plan_extend_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    time_zone: Mapped[str] = mapped_column(String(64))
    reminder_time: Mapped[time]
    quiet_start: Mapped[time]
    quiet_end: Mapped[time]
    heads_up_enabled: Mapped[bool] = mapped_column(server_default=true())
    prep_enabled: Mapped[bool] = mapped_column(server_default=true())
    check_in_delay_minutes: Mapped[int] = mapped_column(server_default=sql_text("360"))
    maintenance_mode: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    first_dose_date: Mapped[date | None]
    caregiver_injects: Mapped[bool] = mapped_column(server_default=false())
    excluded_sites: Mapped[list[str]]  # InjectionSite values, sorted
    language: Mapped[str] = mapped_column(String(16), server_default=sql_text("'en'"))
    consented_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    unreachable_since: Mapped[datetime | None]
    # When the stored plan needs its next follow-ups written (`scheduling.planner.plan_window`);
    # None: every reminder the plan wants is stored. Set by every replan.
    plan_extend_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class DoseRow(Base):
    __tablename__ = "doses"
    __table_args__ = (UniqueConstraint("patient_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    number: Mapped[int]
    planned_on: Mapped[date | None]
    injected_on: Mapped[date]  # the patient's local calendar date
    injected_at: Mapped[datetime | None]
    site: Mapped[str | None] = mapped_column(String(SITE_LENGTH))
    lot_number: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)


class BroadcastRow(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_telegram_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    total: Mapped[int] = mapped_column(server_default=sql_text("0"))
    # The admin's "N of M sent" message (in the admin's chat), edited until the end.
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)


class ReminderRow(Base):
    """The outbox: one message the dispatcher will send once `due_at` has passed."""

    __tablename__ = "reminders"
    __table_args__ = (
        # Every index here is written on each insert, and a dose press inserts a whole plan:
        # only indexes some query needs (migration 004 dropped (status, due_at)).
        # The claim (storage/outbox.py) runs one query per priority level: status = ? AND
        # priority = ? AND due_at <= now ORDER BY due_at LIMIT n, a range scan that stops after
        # n rows, with no sort, however many rows are due or pending in the future (migration 002).
        # `next_due_at` probes it once per level too.
        Index(None, "status", "priority", "due_at"),
        Index(None, "patient_id", "status"),
        # Broadcast progress, and the ON DELETE CASCADE from broadcasts: both look up
        # `broadcast_id = ?`, which implies the predicate. Partial, so plan reminders (no
        # broadcast, nearly every row) never touch it.
        Index(
            None,
            "broadcast_id",
            "status",
            sqlite_where=sql_text("broadcast_id IS NOT NULL"),
            postgresql_where=sql_text("broadcast_id IS NOT NULL"),
        ),
        # /stats' "sent today": a range scan over today's sent rows, not the whole history.
        # Partial, so planned rows never touch it (migration 005).
        Index(
            None,
            "status",
            "sent_at",
            sqlite_where=sql_text("status = 'sent'"),
            postgresql_where=sql_text("status = 'sent'"),
        ),
        # /overdue and /stats: a patient's dose reminders by dose number, one probe per
        # patient. Partial: one entry per dose, not per follow-up (migration 006).
        Index(
            None,
            "patient_id",
            "dose_number",
            sqlite_where=sql_text("kind = 'dose'"),
            postgresql_where=sql_text("kind = 'dose'"),
        ),
        # A broadcast never goes twice to one patient (NULLs do not collide).
        UniqueConstraint("patient_id", "broadcast_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    dose_number: Mapped[int | None]
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    priority: Mapped[int]
    attempts: Mapped[int] = mapped_column(default=0, server_default=sql_text("0"))
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    last_error: Mapped[str | None] = mapped_column(String(LAST_ERROR_LENGTH))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class CheckInRow(Base):
    __tablename__ = "check_ins"
    __table_args__ = (Index(None, "patient_id", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    dose_number: Mapped[int | None]
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    answers: Mapped[list[str]]  # e.g. "skin:redness"
    severity: Mapped[str | None] = mapped_column(String(STATUS_LENGTH))
    urgent: Mapped[bool] = mapped_column(server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ConversationStateRow(Base):
    """Where a user is in a multi-step conversation (onboarding), so a restart loses nothing."""

    __tablename__ = "conversation_states"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AuditLogRow(Base):
    """What an admin did. `target` names internal ids ("patient:42"), never personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    admin_telegram_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]]
