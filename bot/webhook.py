"""Webhook mode: Telegram posts updates to WEBHOOK_URL; a reverse proxy forwards them here."""

from __future__ import annotations

import logging

from bot.app import BotApplication, allowed_updates
from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)


def run_webhook(application: BotApplication, settings: Settings) -> None:
    """Serve the webhook on WEBHOOK_LISTEN:WEBHOOK_PORT until SIGTERM or SIGINT.

    PTB registers the webhook with Telegram (setWebhook, with the secret) after `post_init`,
    and answers 403 to any request whose X-Telegram-Bot-Api-Secret-Token header is missing
    or wrong. On stop it leaves the webhook set, so Telegram keeps updates for the next start.
    """
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ConfigError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET")
    log.info(
        "starting (webhook on %s:%d%s)",
        settings.webhook_listen,
        settings.webhook_port,
        settings.webhook_path,
    )
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=settings.webhook_path,
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=allowed_updates(),
    )
