"""Check-ins: how the patient felt after a dose, as they answered it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import CheckIn, CheckInStatus, require_utc
from storage.models import CheckInRow
from storage.rows import by_value, table_values

SEVERITIES = ("mild", "moderate", "severe")

# Built once (see storage/patients.py): every replan reads a patient's check-ins.
_CHECK_INS = cast(Table, CheckInRow.__table__)
_CHECK_INS_OF = (
    select(*_CHECK_INS.c)
    .where(_CHECK_INS.c.patient_id == bindparam("patient_id"))
    .order_by(_CHECK_INS.c.asked_at, _CHECK_INS.c.id)
)
_CHECK_INS_FROM_DOSE = _CHECK_INS_OF.where(_CHECK_INS.c.dose_number >= bindparam("from_dose"))


def to_check_in(row: CheckInRow | Sequence[Any]) -> CheckIn:
    """A check-in from an ORM row, or from a Core row of the table's columns (read by
    position: `storage.rows`)."""
    (
        id_,
        patient_id,
        dose_number,
        asked_at,
        answered_at,
        status,
        answers,
        severity,
        urgent,
        _created_at,
    ) = table_values(row, _CHECK_INS)
    return CheckIn(
        id=id_,
        patient_id=patient_id,
        dose_number=dose_number,
        asked_at=asked_at,
        answered_at=answered_at,
        answers=tuple(answers),
        severity=severity,
        urgent=urgent,
        status=_STATUSES[status],
    )


_STATUSES = by_value(CheckInStatus)


class CheckInRepository:
    """Check-ins, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self, patient_id: int, *, dose_number: int | None, asked_at: datetime
    ) -> CheckIn:
        """A check-in asked at `asked_at`, waiting for the patient's answer."""
        row = CheckInRow(
            patient_id=patient_id,
            dose_number=dose_number,
            asked_at=require_utc(asked_at, "asked_at"),
            status=CheckInStatus.PENDING.value,
            answers=[],
            urgent=False,
        )
        self._session.add(row)
        await self._session.flush()
        return to_check_in(row)

    async def get(self, check_in_id: int) -> CheckIn | None:
        row = await self._session.get(CheckInRow, check_in_id)
        return None if row is None else to_check_in(row)

    async def answer(
        self,
        check_in_id: int,
        *,
        answers: Sequence[str],
        answered_at: datetime,
        severity: str | None = None,
        urgent: bool = False,
    ) -> CheckIn | None:
        """Store the answers (a later answer replaces an earlier one). None: no such check-in."""
        if severity is not None and severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
        row = await self._session.get(CheckInRow, check_in_id)
        if row is None:
            return None
        row.answers = list(answers)
        row.answered_at = require_utc(answered_at, "answered_at")
        row.severity = severity
        row.urgent = urgent
        row.status = CheckInStatus.ANSWERED.value
        await self._session.flush()
        return to_check_in(row)

    async def mark_unanswered(self, check_in_id: int) -> bool:
        """Close a check-in nobody answered. False if it was answered or closed already."""
        result = await self._session.execute(
            update(CheckInRow)
            .where(
                CheckInRow.id == check_in_id,
                CheckInRow.status == CheckInStatus.PENDING.value,
            )
            .values(status=CheckInStatus.UNANSWERED.value)
            .execution_options(synchronize_session="fetch")
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def status(self, check_in_id: int) -> CheckInStatus | None:
        row = await self._session.get(CheckInRow, check_in_id)
        return None if row is None else CheckInStatus(row.status)

    async def latest_pending(self, patient_id: int) -> CheckIn | None:
        """The most recent check-in still waiting for an answer."""
        row = await self._session.scalar(
            select(CheckInRow)
            .where(
                CheckInRow.patient_id == patient_id,
                CheckInRow.status == CheckInStatus.PENDING.value,
            )
            .order_by(CheckInRow.asked_at.desc(), CheckInRow.id.desc())
            .limit(1)
        )
        return None if row is None else to_check_in(row)

    async def list_for_patient(self, patient_id: int) -> list[CheckIn]:
        """A patient's check-ins, oldest first."""
        result = await self._session.execute(_CHECK_INS_OF, {"patient_id": patient_id})
        return [to_check_in(row) for row in result]

    async def list_from_dose(self, patient_id: int, from_dose: int) -> list[CheckIn]:
        """A patient's check-ins about dose `from_dose` and later ones, oldest first: what a
        replan needs, not the years before (a check-in a month)."""
        result = await self._session.execute(
            _CHECK_INS_FROM_DOSE, {"patient_id": patient_id, "from_dose": from_dose}
        )
        return [to_check_in(row) for row in result]

    async def list_for_dose(self, patient_id: int, dose_number: int) -> list[CheckIn]:
        """The check-ins and reports about one dose, oldest first."""
        rows = await self._session.scalars(
            select(CheckInRow)
            .where(CheckInRow.patient_id == patient_id, CheckInRow.dose_number == dose_number)
            .order_by(CheckInRow.asked_at, CheckInRow.id)
        )
        return [to_check_in(row) for row in rows]

    async def revise(
        self,
        check_in_id: int,
        *,
        answers: Sequence[str],
        severity: str | None,
        urgent: bool,
    ) -> CheckIn | None:
        """Refine an answered check-in (which symptoms, how bad); `answered_at` stays the first
        answer's, so the reaction's follow-up keeps its morning. None: no such check-in."""
        if severity is not None and severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
        row = await self._session.get(CheckInRow, check_in_id)
        if row is None:
            return None
        row.answers = list(answers)
        row.severity = severity
        row.urgent = urgent
        await self._session.flush()
        return to_check_in(row)


# --- what the answers say -----------------------------------------------------------------------
# Answers are short strings: "good", a group ("skin", "flu", "allergic"), a group's symptom
# ("skin:redness"), and the reaction follow-up's answer ("follow_up:gone" / "follow_up:still").

ALL_GOOD = "good"
ALLERGIC = "allergic"
FOLLOW_UP_PREFIX = "follow_up:"


def reports_reaction(check_in: CheckIn) -> bool:
    """Whether an answered check-in reports any reaction (anything but "all good")."""
    return check_in.status is CheckInStatus.ANSWERED and any(
        answer != ALL_GOOD and not answer.startswith(FOLLOW_UP_PREFIX)
        for answer in check_in.answers
    )


def followed_up(check_in: CheckIn) -> bool:
    """Whether the patient answered "are the symptoms gone?" for this report."""
    return any(answer.startswith(FOLLOW_UP_PREFIX) for answer in check_in.answers)


def reaction_reported(check_ins: Sequence[CheckIn], dose_number: int) -> bool:
    """Whether a reaction was reported about dose `dose_number`."""
    return any(c.dose_number == dose_number and reports_reaction(c) for c in check_ins)
