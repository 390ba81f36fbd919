"""The composition root: `python -m bot` (same as `kesimpta-bot`)."""

from __future__ import annotations

import logging

from bot.clock import system_clock
from bot.config import Settings

log = logging.getLogger("bot")


def start(settings: Settings) -> int:
    """Configure logging, build the application and run it until it is stopped."""
    from bot.app import allowed_updates, build_application
    from bot.logs import configure_logging
    from bot.ops import prepare_start

    token = settings.token  # fails with a clear message before anything starts
    prepare_start(settings)  # data dir writable, instance lock held, database reachable
    configure_logging(settings.log_level, secrets=[token, *settings.secret_values])
    application = build_application(settings, clock=system_clock)
    if settings.webhook_url:
        from bot.webhook import run_webhook

        run_webhook(application, settings)
        return 0
    log.info("starting (long polling)")
    application.run_polling(allowed_updates=allowed_updates())
    return 0


if __name__ == "__main__":
    from bot.cli import main

    raise SystemExit(main())
