"""The composition root settles the heap before it starts serving updates."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

import bot.__main__ as main
import bot.app
import bot.logs
import bot.ops
from bot.config import Settings

TOKEN = "123456:" + "A" * 35


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """The collector as it was: these tests freeze the test process's own heap."""
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_settle_heap_freezes_what_lives_and_collects_what_does_not(restored_gc: None) -> None:
    garbage = _Cycle()
    gone = weakref.ref(garbage)
    del garbage  # unreachable, yet alive until a collection finds the cycle
    old_generations = gc.get_threshold()[1:]

    main.settle_heap()

    assert gone() is None, "start-up garbage is collected, not frozen"
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold() == (main.GC_YOUNG_THRESHOLD, *old_generations)


def test_start_settles_the_heap_before_serving(
    restored_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    class Application:
        def run_polling(self, **kwargs: Any) -> None:
            seen["frozen"] = gc.get_freeze_count()
            seen["young"] = gc.get_threshold()[0]

    monkeypatch.setattr(bot.ops, "prepare_start", lambda settings: None)
    monkeypatch.setattr(bot.logs, "configure_logging", lambda *args, **kwargs: None)
    monkeypatch.setattr(bot.app, "build_application", lambda *args, **kwargs: Application())

    assert main.start(Settings(bot_token=TOKEN)) == 0
    assert seen["frozen"] > 0 and seen["young"] == main.GC_YOUNG_THRESHOLD
