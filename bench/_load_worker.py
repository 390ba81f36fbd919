"""The comparison bots for `bench/load.py`: `python -m bot` with another rate limiter.

Everything else is the real bot (settings, migrations, handlers, dispatcher); only the
`TelegramRateLimiter` that `bot/app.py` installs is replaced, as `BENCH_LIMITER` says:
`none` (requests go out unthrottled) or `aio` (python-telegram-bot's
`AIORateLimiter(max_retries=0)`, what the bot used before). Run as `python -m bench._load_worker`.
"""

from __future__ import annotations

import os
from typing import Any


def _no_rate_limiter(*args: Any, **kwargs: Any) -> None:
    return None  # ApplicationBuilder.rate_limiter(None): requests go out unthrottled


def main() -> int:
    from telegram.ext import AIORateLimiter

    import bot.app
    from bot.cli import main as bot_main

    choice = os.environ.get("BENCH_LIMITER", "none")
    replacements: dict[str, Any] = {
        "none": _no_rate_limiter,
        "aio": lambda **_: AIORateLimiter(max_retries=0),
    }
    bot.app.TelegramRateLimiter = replacements[choice]
    return bot_main([])


if __name__ == "__main__":
    raise SystemExit(main())
