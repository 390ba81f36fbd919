"""The update processor: different chats at once, one chat's updates one at a time, in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update

from bot.rate_limit import replying_to
from bot.update_order import PerChatUpdateProcessor


def update_in(chat_id: int, update_id: int) -> Update:
    chat = Chat(id=chat_id, type=Chat.PRIVATE)
    message = Message(message_id=update_id, date=datetime.now(UTC), chat=chat, text="hi")
    return Update(update_id, message=message)


class Recorder:
    """Handlers that take a while and note when each one started and finished."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, int | None]] = []
        self.running = 0
        self.most_running = 0

    async def handle(self, update: Update, seconds: float = 0.02) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        self.events.append(("start", update.update_id, replying_to.get()))
        await asyncio.sleep(seconds)
        self.events.append(("end", update.update_id, replying_to.get()))
        self.running -= 1


async def feed(
    processor: PerChatUpdateProcessor, recorder: Recorder, updates: list[Update]
) -> None:
    """As python-telegram-bot does with concurrent updates: one task per update, in order."""
    await asyncio.gather(
        *(
            asyncio.create_task(processor.process_update(update, recorder.handle(update)))
            for update in updates
        )
    )


async def test_one_chats_updates_run_one_at_a_time_in_order() -> None:
    """Five quick taps of one patient are handled strictly one after the other."""
    processor, recorder = PerChatUpdateProcessor(concurrency=8), Recorder()
    await feed(processor, recorder, [update_in(5, n) for n in range(1, 6)])

    assert recorder.most_running == 1
    assert [(kind, n) for kind, n, _ in recorder.events] == [
        (kind, n) for n in range(1, 6) for kind in ("start", "end")
    ]


async def test_different_chats_run_at_the_same_time() -> None:
    """Eight patients pressing at once are handled together, up to the concurrency."""
    processor, recorder = PerChatUpdateProcessor(concurrency=4), Recorder()
    await feed(processor, recorder, [update_in(100 + n, n) for n in range(1, 9)])

    assert recorder.most_running == 4
    assert len(processor._chats) == 0  # nothing kept once every chat is done


async def test_a_busy_chat_does_not_hold_up_the_others() -> None:
    """A patient's backlog waits for its own turn, not for a free place others need."""
    processor, recorder = PerChatUpdateProcessor(concurrency=2), Recorder()
    backlog = [update_in(5, n) for n in range(1, 11)]
    others = [update_in(6, 11), update_in(7, 12)]
    await feed(processor, recorder, [*backlog, *others])

    starts = [n for kind, n, _ in recorder.events if kind == "start"]
    # Chat 5 holds one place at a time, so chats 6 and 7 start long before its backlog ends.
    assert starts.index(11) < 3 and starts.index(12) < 4, starts


async def test_the_handler_knows_which_chat_it_answers() -> None:
    """The rate limiter tells replies from outbound messages by this mark."""
    processor, recorder = PerChatUpdateProcessor(), Recorder()
    await feed(processor, recorder, [update_in(5, 1), update_in(6, 2)])

    marks = {(n, chat) for _, n, chat in recorder.events}
    assert marks == {(1, 5), (2, 6)}
    assert replying_to.get() is None  # reset afterwards
