"""The admin audit log: what an admin did, when, to which internal id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.model import require_utc
from storage.models import AuditLogRow, utc_now


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    admin_telegram_id: int
    action: str
    target: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def to_audit_entry(row: AuditLogRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        admin_telegram_id=row.admin_telegram_id,
        action=row.action,
        target=row.target,
        details=dict(row.details),
    )


class AuditLog:
    """Append-only: entries are never changed, and erasing a patient leaves them.

    So `target` and `details` name internal ids ("patient:42"), never names, Telegram ids or
    message text.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(
        self,
        admin_telegram_id: int,
        action: str,
        *,
        target: str | None = None,
        details: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        row = AuditLogRow(
            at=utc_now() if at is None else require_utc(at, "at"),
            admin_telegram_id=admin_telegram_id,
            action=action,
            target=target,
            details=dict(details or {}),
        )
        self._session.add(row)
        await self._session.flush()
        return to_audit_entry(row)

    async def latest(self, limit: int = 20) -> list[AuditEntry]:
        """The newest `limit` entries, newest first."""
        rows = await self._session.scalars(
            select(AuditLogRow).order_by(AuditLogRow.at.desc(), AuditLogRow.id.desc()).limit(limit)
        )
        return [to_audit_entry(row) for row in rows]
