"""/overdue and /stats without scanning the reminder history: a partial index of dose reminders.

"Overdue" is, per followed patient, a dose reminder due before the grace for a dose after
the last one recorded. It was answered by reading every dose reminder ever sent (one per
dose per patient, for years) and checking each against the doses. With this index (dose
reminders only, by patient and dose number) it is one probe per patient instead.

Revision ID: 006
Revises: 005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "006"
down_revision: str | Sequence[str] | None = "005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOSE = "kind = 'dose'"


def upgrade() -> None:
    op.create_index(
        op.f("ix_reminders_patient_id_dose_number"),
        "reminders",
        ["patient_id", "dose_number"],
        sqlite_where=sa.text(DOSE),
        postgresql_where=sa.text(DOSE),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_patient_id_dose_number"), table_name="reminders")
