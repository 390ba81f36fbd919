"""Where a user is in a multi-step conversation (onboarding), kept across restarts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationStateRow, utc_now


@dataclass(frozen=True, slots=True)
class ConversationState:
    """The step a user is on and the answers collected so far (JSON-serialisable values)."""

    telegram_user_id: int
    step: str
    data: Mapping[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


def to_conversation_state(row: ConversationStateRow) -> ConversationState:
    return ConversationState(
        telegram_user_id=row.telegram_user_id,
        step=row.step,
        data=dict(row.data),
        updated_at=row.updated_at,
    )


class ConversationStateRepository:
    """Conversation states keyed by Telegram user id, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, telegram_user_id: int) -> ConversationState | None:
        row = await self._session.get(ConversationStateRow, telegram_user_id)
        return None if row is None else to_conversation_state(row)

    async def set(
        self, telegram_user_id: int, step: str, data: Mapping[str, Any] | None = None
    ) -> ConversationState:
        """Replace the user's state with `step` and `data`."""
        row = await self._session.get(ConversationStateRow, telegram_user_id)
        if row is None:
            row = ConversationStateRow(telegram_user_id=telegram_user_id)
            self._session.add(row)
        row.step = step
        row.data = dict(data or {})
        # onupdate fires only when a column changed; a repeated step still counts as activity.
        row.updated_at = utc_now()
        await self._session.flush()
        return to_conversation_state(row)

    async def clear(self, telegram_user_id: int) -> bool:
        """Forget the user's state. False if there was none."""
        row = await self._session.get(ConversationStateRow, telegram_user_id)
        if row is None:
            return False
        await self._session.delete(row)
        await self._session.flush()
        return True
