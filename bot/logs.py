"""Logging set-up: one handler on the root logger whose output never contains a bot token.

httpx logs every request URL (token included) at INFO and python-telegram-bot logs it at
DEBUG, so redaction happens on the final formatted line, tracebacks included.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

REDACTED = "<bot-token>"
# Anything shaped like a Telegram bot token, even one we were not told about.
TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")


class RedactingFormatter(logging.Formatter):
    """A formatter that blanks out known secrets and anything shaped like a bot token."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_SHAPE.sub(REDACTED, text)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


NOISY_LOGGERS = ("httpx", "apscheduler")


def configure_logging(
    level: str, *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Install the redacting handler on the root logger (replacing earlier handlers)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Noise at INFO, still there (redacted) at DEBUG: httpx's request lines, and APScheduler's
    # "Running job ... executed successfully" for the dispatch and broadcast ticks, a line
    # every few seconds for ever that would bury the lines that matter.
    quiet = logging.WARNING if logging.getLevelName(level) != logging.DEBUG else logging.NOTSET
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    return handler
