"""/stats without scanning the sent history: a partial index on (status, sent_at) of sent rows.

"Reminders sent today" counted `status = 'sent' AND sent_at >= midnight` by reading every sent
reminder ever (the history grows by a few rows per patient per dose): 0.7 s with 400,000 sent
rows, all of it holding the bot's event loop. The index holds sent rows only, so planning a
reminder never touches it; the count becomes one range scan over today's rows. `status` leads
although it is constant in the index: SQLite's planner then sees two matching columns and
prefers it to the (status, priority, due_at) index.

Revision ID: 005
Revises: 004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "005"
down_revision: str | Sequence[str] | None = "004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENT = "status = 'sent'"


def upgrade() -> None:
    op.create_index(
        op.f("ix_reminders_status_sent_at"),
        "reminders",
        ["status", "sent_at"],
        sqlite_where=sa.text(SENT),
        postgresql_where=sa.text(SENT),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_status_sent_at"), table_name="reminders")
