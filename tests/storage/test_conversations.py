"""Conversation state: where a user is in onboarding, kept in the database across restarts."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.conversations import ConversationStateRepository
from storage.db import Database

USER = 6_000_000_123


async def test_state_is_set_replaced_and_cleared(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        states = ConversationStateRepository(session)
        assert await states.get(USER) is None
        await states.set(USER, "time_zone", {"language": "en"})
        replaced = await states.set(USER, "reminder_time", {"language": "en", "tz": "UTC"})

    async with sessions() as session:
        stored = await ConversationStateRepository(session).get(USER)
    assert stored == replaced
    assert stored.step == "reminder_time"
    assert stored.data == {"language": "en", "tz": "UTC"}
    assert stored.updated_at is not None
    assert stored.updated_at.tzinfo is UTC

    async with sessions.begin() as session:
        states = ConversationStateRepository(session)
        assert await states.clear(USER) is True
        assert await states.clear(USER) is False
        assert await states.get(USER) is None


async def test_state_survives_a_restart(database_url: str) -> None:
    """A patient halfway through onboarding carries on where they were after a restart."""
    data = {"first_dose_date": "2025-03-03", "sites": ["left_thigh"], "caregiver": False}
    before = Database.connect(database_url)
    try:
        async with before.sessions.begin() as session:
            await ConversationStateRepository(session).set(USER, "reminder_time", data)
    finally:
        await before.dispose()

    after = Database.connect(database_url)
    try:
        async with after.sessions() as session:
            state = await ConversationStateRepository(session).get(USER)
    finally:
        await after.dispose()
    assert state is not None
    assert (state.step, state.data) == ("reminder_time", data)
