"""`in_one_greenlet`: a coroutine run inside one SQLAlchemy greenlet behaves as if awaited, and
the sessions' statements inside it run in that greenlet (none started per statement)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import greenlet
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scheduling.model import Patient
from storage.db import Database, default_sqlite_url, upgrade_database
from storage.greenlets import in_one_greenlet
from storage.inline_sqlite import BULK_PARAMETERS
from storage.models import PatientRow
from storage.patients import PatientRepository

# --- as if awaited --------------------------------------------------------------------------


async def test_the_result_is_the_coroutines() -> None:
    async def work(value: int) -> int:
        return value * 2

    assert await in_one_greenlet(work(21)) == 42


async def test_an_exception_propagates_as_raised() -> None:
    class Refused(Exception):
        pass

    async def work() -> None:
        raise Refused("no")

    with pytest.raises(Refused, match="no"):
        await in_one_greenlet(work())


async def test_awaits_inside_suspend_and_let_other_tasks_run() -> None:
    """A sleep, an event another task sets, a bare yield and a future: each suspends `work`
    for real, and the other task runs meanwhile."""
    loop = asyncio.get_running_loop()
    happened: list[str] = []
    ready = asyncio.Event()
    answer: asyncio.Future[str] = loop.create_future()

    async def other() -> None:
        happened.append("other started")
        ready.set()
        await asyncio.sleep(0.01)
        answer.set_result("from the other task")

    async def work() -> str:
        happened.append("work started")
        task = asyncio.create_task(other())
        await asyncio.sleep(0)  # a bare yield
        await ready.wait()
        happened.append("work saw the event")
        got = await answer
        await task
        return got

    assert await in_one_greenlet(work()) == "from the other task"
    assert happened == ["work started", "other started", "work saw the event"]


async def test_an_exception_set_on_an_awaited_future_is_raised_where_it_is_awaited() -> None:
    loop = asyncio.get_running_loop()
    failing: asyncio.Future[None] = loop.create_future()
    loop.call_later(0.01, failing.set_exception, LookupError("gone"))

    async def work() -> str:
        try:
            await failing
        except LookupError as error:
            return f"caught {error}"
        return "not raised"

    assert await in_one_greenlet(work()) == "caught gone"


async def test_a_cancelled_task_cancels_the_work_where_it_waits() -> None:
    """As a task's cancellation does: the future the work waits for is cancelled, and the
    work sees a CancelledError where it waits."""
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def work() -> None:
        try:
            await never
        except asyncio.CancelledError:
            seen.append("cancelled inside")
            raise
        finally:
            seen.append("cleaned up")

    task = asyncio.create_task(in_one_greenlet(work()))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled inside", "cleaned up"]
    assert never.cancelled()


# --- sessions inside ------------------------------------------------------------------------


def greenlets_of_statements(engine: AsyncEngine) -> list[Any]:
    """The greenlet each statement of `engine` runs in, from now on."""
    seen: list[Any] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(*args: Any) -> None:
        seen.append(greenlet.getcurrent())

    return seen


async def test_statements_inside_run_in_its_one_greenlet(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    make_patient: Callable[[int], Awaitable[Patient]],
) -> None:
    """On SQLite and PostgreSQL: the statements a session executes, and its commit, inside
    `in_one_greenlet` run in the greenlet `work` runs in; outside it, each in one of its own."""
    await make_patient(7)
    seen = greenlets_of_statements(engine)
    where: list[Any] = []

    async def work() -> str:
        where.append(greenlet.getcurrent())
        async with sessions.begin() as session:
            await session.execute(sa.update(PatientRow).values(language="de"))
            language = await session.execute(sa.select(PatientRow.language))
            return str(language.scalar_one())

    assert await in_one_greenlet(work()) == "de"
    assert len(seen) == 2 and all(running is where[0] for running in seen)
    assert where[0] is not greenlet.getcurrent()

    seen.clear()
    async with sessions.begin() as session:
        await session.execute(sa.select(PatientRow.language))
    assert len(seen) == 1 and seen[0] is not greenlet.getcurrent()


async def test_a_transaction_inside_commits_or_rolls_back_as_outside(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def create(telegram_user_id: int, *, fail: bool) -> None:
        async with sessions.begin() as session:
            await PatientRepository(session).create(telegram_user_id, telegram_user_id)
            if fail:
                raise RuntimeError("a handler failed half-way")

    await in_one_greenlet(create(1, fail=False))
    with pytest.raises(RuntimeError):
        await in_one_greenlet(create(2, fail=True))
    async with sessions() as session:
        stored = await session.scalars(sa.select(PatientRow.telegram_user_id))
        assert list(stored) == [1]


async def test_inline_sqlite_transactions_queue_for_the_connection_from_inside(
    tmp_path: Path,
) -> None:
    """While a session holds the one connection across a real wait, transactions inside
    `in_one_greenlet` wait for it (the pool's queue, awaited from their greenlet), then all
    commit; a bulk statement among them goes to the worker thread and back."""
    url = default_sqlite_url(tmp_path)
    await upgrade_database(url)
    database = Database.connect(url)
    release = asyncio.Event()
    try:

        async def holder() -> None:
            async with database.sessions.begin() as session:
                await PatientRepository(session).create(telegram_user_id=1, chat_id=1)
                await release.wait()

        async def create(telegram_user_id: int) -> None:
            async with database.sessions.begin() as session:
                await PatientRepository(session).create(telegram_user_id, telegram_user_id)

        async def bulk() -> bool:
            async with database.sessions.begin() as session:
                numbers = list(range(1, BULK_PARAMETERS + 2))
                result = await session.execute(sa.select(sa.literal(0).not_in(numbers)))
                return bool(result.scalar_one())

        holding = asyncio.create_task(holder())
        await asyncio.sleep(0.01)
        waiting = [asyncio.create_task(in_one_greenlet(create(n))) for n in range(2, 22)]
        counting = asyncio.create_task(in_one_greenlet(bulk()))
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in [*waiting, counting])
        release.set()
        await asyncio.gather(holding, *waiting)
        assert await counting is True
        async with database.sessions() as session:
            stored = await session.scalars(sa.select(PatientRow.telegram_user_id))
            assert sorted(stored) == list(range(1, 22))
    finally:
        await database.dispose()
