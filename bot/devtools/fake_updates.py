"""The fake server's update queue with Telegram's long-polling rules, and its change signal."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

from bot.devtools.fake_models import ApiError, JSONDict

T = TypeVar("T")

# Updates Telegram leaves out unless allowed_updates asks for them.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Changes:
    """Wakes every waiter whenever the fake's state changes, so nobody polls with sleep."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()
        self.closed = False

    def notify(self) -> None:
        """Something changed: every waiter re-checks its condition."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    def close(self) -> None:
        """The server is stopping: waiters that check `closed` give up now."""
        self.closed = True
        self.notify()

    async def wait_for(self, predicate: Callable[[], T | None], seconds: float | None) -> T:
        """Wait until `predicate()` is truthy and return it; TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds):
            while not (result := predicate()):
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)
            return result


class UpdateQueue:
    """Updates the bot has not confirmed, served by getUpdates or drained by the webhook poster."""

    def __init__(self, changes: Changes, first_update_id: int = 100_000_001) -> None:
        self._changes = changes
        self._next_id = first_update_id
        self._updates: list[JSONDict] = []
        self._allowed: list[str] = []
        self._poll_generation = 0

    @property
    def pending(self) -> list[JSONDict]:
        """Unconfirmed updates, oldest first."""
        return list(self._updates)

    def put(self, kind: str, payload: JSONDict) -> int:
        """Queue an update of `kind` (e.g. "message"); returns its update_id."""
        update = self.new_update(kind, payload)
        self._updates.append(update)
        self._changes.notify()
        return int(update["update_id"])

    def new_update(self, kind: str, payload: JSONDict) -> JSONDict:
        """An update with the next update_id, not queued (for a one-off webhook post)."""
        update_id = self._next_id
        self._next_id += 1
        return {"update_id": update_id, kind: payload}

    def confirm(self, update_id: int) -> None:
        """The bot took this update (its webhook answered 2xx): never send it again."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]
        self._changes.notify()

    def set_allowed(self, allowed_updates: list[str] | None) -> None:
        """Telegram keeps the last list it was given (by getUpdates or setWebhook)."""
        if allowed_updates is not None:
            self._allowed = list(allowed_updates)

    def drop_all(self) -> None:
        """Forget every pending update (drop_pending_updates)."""
        self._updates.clear()

    async def poll(
        self, offset: int, limit: int, seconds: float, allowed_updates: list[str] | None
    ) -> list[JSONDict]:
        """getUpdates: confirm below `offset`, then wait up to `seconds` for something to send."""
        self.set_allowed(allowed_updates)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        # Like Telegram, a new getUpdates ends the one still waiting (two bot instances).
        self._poll_generation += 1
        generation = self._poll_generation
        self._changes.notify()

        def done() -> bool:
            superseded = generation != self._poll_generation
            return superseded or self._changes.closed or bool(self.deliverable())

        with contextlib.suppress(TimeoutError):
            await self._changes.wait_for(done, seconds)
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self.deliverable()[: min(max(limit, 1), 100)]

    def deliverable(self) -> list[JSONDict]:
        """Pending updates of the kinds the bot asked for, oldest first."""

        def wanted(update: JSONDict) -> bool:
            kind = next(key for key in update if key != "update_id")
            return kind in self._allowed if self._allowed else kind not in _OPT_IN_UPDATES

        return [update for update in self._updates if wanted(update)]
