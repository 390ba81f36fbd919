"""One greenlet for a whole unit of database work.

SQLAlchemy's asyncio layer runs each call on an `AsyncSession` (an execute, a commit, a close)
in a greenlet of its own, started for that call (`greenlet_spawn`), and its driver awaits
whatever the database driver needs awaited. Starting and driving that greenlet costs about
30 us a call: more than SQLite itself takes for most of our statements, and a button press
makes a dozen such calls (bench/load.py).

`in_one_greenlet(work)` runs the coroutine `work` inside one such greenlet instead, and the
sessions `storage.db.session_factory` makes notice it (`in_greenlet()`): their execute, commit
and close call their sync session directly, in that greenlet. What needs awaiting is awaited
as before: what the database driver waits for goes through `await_` to the event loop's side,
and so does whatever `work` itself awaits (a lock, a sleep, a task), by the loop here that
drives `work` as its task would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy.util.concurrency import await_, greenlet_spawn

T = TypeVar("T")


async def in_one_greenlet(work: Coroutine[Any, Any, T]) -> T:
    """The result of the coroutine `work`, run inside one SQLAlchemy greenlet (see above).

    Behaves as `await work`: its exceptions propagate, and a cancellation of the calling task
    reaches `work` as a CancelledError at the await it is suspended in.
    """
    result: T = await greenlet_spawn(_drive, work)
    return result


def _drive(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to its end in the current greenlet: each time it suspends, wait for what it
    waits for on the event loop's side (`await_`), then resume it, as its task would."""
    resume: Callable[[Any], Any] = work.send
    value: Any = None
    while True:
        try:
            waited_for = resume(value)
        except StopIteration as done:
            result: T = done.value
            return result
        try:
            await_(_until_done(waited_for))
        except BaseException as error:  # a cancellation of the task, mostly: into `work`
            resume, value = work.throw, error
        else:
            resume, value = work.send, None


async def _until_done(waited_for: Any) -> None:
    """Wait for what a coroutine suspended on (what it yielded to its task) to be done; the
    coroutine reads the outcome itself when it is resumed."""
    if waited_for is None:  # a bare yield (`asyncio.sleep(0)`): one turn of the loop
        await asyncio.sleep(0)
        return
    waited_for._asyncio_future_blocking = False  # as the task does before it waits
    try:
        await asyncio.wait((waited_for,))
    except asyncio.CancelledError:
        waited_for.cancel()  # as a cancelled task cancels the future its coroutine waits for
        raise
