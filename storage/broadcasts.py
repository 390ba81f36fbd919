"""Broadcasts: an admin's message to every patient, delivered through the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BroadcastRow


class BroadcastRepository:
    """Broadcasts, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def text_of(self, broadcast_id: int) -> str | None:
        """The text of a broadcast, or None if there is no such broadcast."""
        text: str | None = await self._session.scalar(
            select(BroadcastRow.text).where(BroadcastRow.id == broadcast_id)
        )
        return text
