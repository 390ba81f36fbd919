"""The dispatcher's claim index: (status, priority, due_at) on the reminder outbox.

The claim runs one query per priority level, each a range scan on this index that stops after
the batch is full. The (status, due_at) index stays for `next_due_at`.

Revision ID: 002
Revises: 001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "002"
down_revision: str | Sequence[str] | None = "001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_reminders_status_priority_due_at"),
        "reminders",
        ["status", "priority", "due_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_status_priority_due_at"), table_name="reminders")
