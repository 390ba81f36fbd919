"""The audit log: appended, read newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.audit import AuditLog

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ADMIN = 9_000_000_001


async def test_latest_entries_come_newest_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Ordered by when it happened, not by insertion; same instant: the later entry first."""
    async with sessions.begin() as session:
        log = AuditLog(session)
        middle = await log.append(ADMIN, "pause", target="patient:2", at=START + timedelta(hours=1))
        oldest = await log.append(ADMIN, "erase", target="patient:1", at=START)
        newest = await log.append(
            ADMIN,
            "broadcast",
            target="broadcast:1",
            details={"recipients": 2},
            at=START + timedelta(hours=2),
        )
        tied = await log.append(ADMIN, "resume", target="patient:2", at=START + timedelta(hours=2))

    async with sessions() as session:
        log = AuditLog(session)
        assert await log.latest() == [tied, newest, middle, oldest]
        assert await log.latest(2) == [tied, newest]
    assert newest.details == {"recipients": 2}
    assert newest.admin_telegram_id == ADMIN


async def test_an_entry_is_stamped_now_when_no_time_is_given(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    before = datetime.now(UTC)
    async with sessions.begin() as session:
        entry = await AuditLog(session).append(ADMIN, "export")
    assert before <= entry.at <= datetime.now(UTC)
    assert entry.target is None
    assert entry.details == {}
