"""Settings from environment variables (and a `.env` file), validated once at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
# Telegram's rule for setWebhook's secret_token, sent back in every webhook request.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    database_url: str | None = None
    data_dir: Path = Path("data")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    telegram_api_base_url: str = TELEGRAM_API_BASE_URL
    telegram_api_file_url: str | None = None
    # Unset: long polling. Set: the public HTTPS URL Telegram posts updates to (its path is
    # where the bot listens); a reverse proxy terminates TLS and forwards to listen:port.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    log_level: LogLevel = "INFO"
    dispatch_interval_seconds: float = Field(default=5.0, gt=0, le=300)
    # Urgent reaction reports alert the admins only when the deployment opts in (the
    # onboarding then tells patients so).
    alert_urgent_reactions: bool = False

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError:
                raise ValueError(
                    "must be Telegram user ids separated by commas, e.g. 12345,67890"
                ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("bot_token", "webhook_secret", "webhook_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_token_shape(self) -> Settings:
        token = self.bot_token.get_secret_value() if self.bot_token else None
        if token is not None and not TOKEN_PATTERN.match(token):
            # Never echo the token itself: it may be a real one with a typo.
            raise ValueError(
                "BOT_TOKEN does not look like a Telegram bot token "
                "(digits, a colon, then letters): copy it again from @BotFather"
            )
        return self

    @model_validator(mode="after")
    def _check_webhook(self) -> Settings:
        if self.webhook_url is None:
            return self
        url = urlsplit(self.webhook_url)
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ValueError(
                "WEBHOOK_URL must be the bot's public address, e.g. "
                "https://bot.example.org/telegram (unset it to use long polling)"
            )
        if self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET is required with WEBHOOK_URL: Telegram sends it with every "
                "update so the bot can reject anyone else (1-256 of A-Z a-z 0-9 _ -, e.g. "
                "from: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if not WEBHOOK_SECRET_PATTERN.match(self.webhook_secret.get_secret_value()):
            # Never echo the secret itself.
            raise ValueError(
                "WEBHOOK_SECRET must be 1-256 characters, only A-Z a-z 0-9 _ and - "
                "(Telegram's rule)"
            )
        return self

    @property
    def secret_values(self) -> list[str]:
        """The token and the webhook secret, for the log formatter to blank out."""
        secrets = (self.bot_token, self.webhook_secret)
        return [secret.get_secret_value() for secret in secrets if secret is not None]

    @property
    def webhook_path(self) -> str:
        """Where the webhook server listens: WEBHOOK_URL's path (a proxy forwards it as is)."""
        return "/" + urlsplit(self.webhook_url or "").path.strip("/")

    @property
    def token(self) -> str:
        """The bot token; only call this where Telegram is actually reached."""
        if self.bot_token is None:
            raise ConfigError(MISSING_TOKEN_MESSAGE)
        return self.bot_token.get_secret_value()

    @property
    def effective_database_url(self) -> str:
        """`DATABASE_URL`, or a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'kesimpta.db'}"

    @property
    def effective_file_url(self) -> str:
        """Where files are downloaded from: set, or derived from the API base URL."""
        if self.telegram_api_file_url:
            return self.telegram_api_file_url
        base = self.telegram_api_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"


MISSING_TOKEN_MESSAGE = (
    "BOT_TOKEN is not set. Create a bot with @BotFather in Telegram, then start it with\n"
    "  BOT_TOKEN=123456:ABC... kesimpta-bot\n"
    "or put the line BOT_TOKEN=... in a file named .env in this folder."
)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one readable `ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"]).upper() or "settings"
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}" if name != "settings" else message)
        raise ConfigError("Invalid settings:\n  " + "\n  ".join(lines)) from None
