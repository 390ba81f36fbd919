"""The ports the dispatcher talks to the world through (implemented in storage/ and bot/)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Returns the current instant as an aware UTC datetime; injected so tests move time."""

    def __call__(self) -> datetime: ...
