"""Failures the fake Bot API server can inject: scripted errors, slow answers, Telegram's limits."""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

# nginx in front of the real Bot API answers gateway errors with HTML, not JSON.
_NGINX_BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Fault:
    """What to answer instead of the real result. `status=None` means answer normally.

    `delay` seconds pass before the answer, to make clients time out. `raw_body` replaces the
    JSON error body (for gateway pages).
    """

    status: int | None = None
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    raw_body: str | None = None

    @classmethod
    def too_many_requests(cls, retry_after: int = 5) -> Fault:
        """429 flood control, as Telegram sends it."""
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    @classmethod
    def blocked(cls) -> Fault:
        """403: the patient blocked the bot."""
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def chat_not_found(cls) -> Fault:
        """400: the chat does not exist (or the bot never talked to it)."""
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def server_error(cls, status: int = 500, description: str = "Internal Server Error") -> Fault:
        """A 5xx with Telegram's JSON error body."""
        return cls(status, description)

    @classmethod
    def bad_gateway(cls) -> Fault:
        """502 with nginx's HTML page, which is what Telegram's front end really sends."""
        return cls(502, "Bad Gateway", raw_body=_NGINX_BAD_GATEWAY)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after `seconds`."""
        return cls(delay=seconds)


@dataclass
class FaultRule:
    """Apply `fault` to the next `times` calls of `method` (any method if None) to `chat_id`."""

    fault: Fault
    method: str | None = None
    chat_id: int | str | None = None
    times: int = 1
    used: int = 0

    def matches(self, method: str, chat_id: object) -> bool:
        """Whether this rule applies to a call."""
        if self.used >= self.times:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    @property
    def exhausted(self) -> bool:
        """Whether the rule has been applied `times` times."""
        return self.used >= self.times


@dataclass(frozen=True)
class RateLimit:
    """Telegram's documented flood limits: 30 messages/s overall, 1 message/s per chat."""

    per_second: int = 30
    per_chat_per_second: int = 1
    clock: Callable[[], float] = time.monotonic


@dataclass
class RateLimiter:
    """Sliding one-second windows over accepted sends; counts what it refused."""

    limit: RateLimit
    accepted: int = 0
    refused: int = 0
    refused_by_chat: Counter[int | str] = field(default_factory=Counter)
    _overall: deque[float] = field(default_factory=deque, init=False, repr=False)
    _per_chat: dict[int | str, deque[float]] = field(default_factory=dict, init=False, repr=False)

    def admit(self, chat_id: int | str) -> int | None:
        """Record a send and return None, or return the retry_after (seconds) to answer."""
        now = self.limit.clock()
        chat_window = self._per_chat.setdefault(chat_id, deque())
        waits = [
            _wait(self._overall, self.limit.per_second, now),
            _wait(chat_window, self.limit.per_chat_per_second, now),
        ]
        longest = max(waits)
        if longest > 0:
            self.refused += 1
            self.refused_by_chat[chat_id] += 1
            # Telegram's retry_after is whole seconds and never 0.
            return max(1, math.ceil(longest))
        self._overall.append(now)
        chat_window.append(now)
        self.accepted += 1
        return None


def _wait(window: deque[float], allowed: int, now: float) -> float:
    """Seconds until `window` has room for one more event, after forgetting old ones."""
    while window and window[0] <= now - 1.0:
        window.popleft()
    if len(window) < allowed:
        return 0.0
    return window[0] + 1.0 - now
