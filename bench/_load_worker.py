"""The comparison bots for `bench/load.py`: `python -m bot` with another rate limiter.

Everything else is the real bot (settings, migrations, handlers, dispatcher); only the
`AIORateLimiter(max_retries=0)` that `bot/app.py` installs is replaced: by no limiter, or with
`BENCH_OVERALL_MAX_RATE=R` in the environment by `AIORateLimiter(max_retries=0,
overall_max_rate=R)`. Run as `python -m bench._load_worker`.
"""

from __future__ import annotations

import os
from typing import Any


def _no_rate_limiter(*args: Any, **kwargs: Any) -> None:
    return None  # ApplicationBuilder.rate_limiter(None): requests go out unthrottled


def main() -> int:
    import functools

    from telegram.ext import AIORateLimiter

    import bot.app
    from bot.cli import main as bot_main

    rate = os.environ.get("BENCH_OVERALL_MAX_RATE")
    replacement: Any = (
        _no_rate_limiter
        if rate is None
        else functools.partial(AIORateLimiter, overall_max_rate=float(rate))
    )
    bot.app.AIORateLimiter = replacement
    return bot_main([])


if __name__ == "__main__":
    raise SystemExit(main())
