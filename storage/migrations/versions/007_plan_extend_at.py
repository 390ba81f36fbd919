"""Follow-ups stored a few days at a time: when each patient's plan needs extending.

A dose's follow-ups were all written when the dose was planned (21 rows, up to 8 weeks
ahead), and nearly all were deleted again when the dose was recorded on the day. The plan now
stores them a few days at a time (`scheduling.planner.plan_window`); `plan_extend_at` says when
the next ones must be written, and the dispatcher's pass looks it up through this index.

Plans stored before this revision keep all their follow-ups (nothing is lost): the column is
empty until the patient's next replan.

Revision ID: 007
Revises: 006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "007"
down_revision: str | Sequence[str] | None = "006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("plan_extend_at", sa.DateTime(timezone=True)))
    op.create_index(op.f("ix_patients_plan_extend_at"), "patients", ["plan_extend_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_patients_plan_extend_at"), table_name="patients")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("plan_extend_at")
