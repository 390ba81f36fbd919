"""Fewer index writes per reminder row: every index on the outbox costs page writes on each
insert, and a dose press inserts a whole plan of rows.

- (status, due_at) goes: its only reader, `next_due_at`, now asks the (status, priority,
  due_at) index once per priority level instead.
- (broadcast_id, status) becomes partial, WHERE broadcast_id IS NOT NULL: plan reminders
  (nearly every row) have no broadcast and no longer touch it. Broadcast progress counts and
  the ON DELETE CASCADE from broadcasts look rows up by `broadcast_id = ?`, which implies the
  predicate, so they still use it on SQLite and PostgreSQL.

Revision ID: 004
Revises: 003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "004"
down_revision: str | Sequence[str] | None = "003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_BROADCAST = "broadcast_id IS NOT NULL"


def upgrade() -> None:
    op.drop_index(op.f("ix_reminders_status_due_at"), table_name="reminders")
    op.drop_index(op.f("ix_reminders_broadcast_id_status"), table_name="reminders")
    op.create_index(
        op.f("ix_reminders_broadcast_id_status"),
        "reminders",
        ["broadcast_id", "status"],
        sqlite_where=sa.text(HAS_BROADCAST),
        postgresql_where=sa.text(HAS_BROADCAST),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_broadcast_id_status"), table_name="reminders")
    op.create_index(
        op.f("ix_reminders_broadcast_id_status"), "reminders", ["broadcast_id", "status"]
    )
    op.create_index(op.f("ix_reminders_status_due_at"), "reminders", ["status", "due_at"])
