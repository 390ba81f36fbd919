"""Helpers to run the fake Bot API and the real bot as separate processes, and drive them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Shaped like a real token (35 characters after the colon) so the log check is meaningful.
REAL_LOOKING_TOKEN = "7012345678:AAFakeTokenShapedLikeARealOne_12345"
STARTUP_TIMEOUT = 30.0


@dataclass(slots=True)
class FakeProcess:
    process: subprocess.Popen[str]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def control(self, action: str, **body: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/_control/{action}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.load(response)
            return result

    def chat(self, chat_id: int, *, after: int = -1, timeout: float = 10) -> dict[str, Any]:
        """The chat's history, first waiting (up to `timeout`) for more than `after` outputs."""
        query = f"?after={after}&timeout={timeout}" if after >= 0 else ""
        url = f"http://127.0.0.1:{self.port}/_control/chat/{chat_id}{query}"
        with urllib.request.urlopen(url, timeout=timeout + 10) as response:
            result: dict[str, Any] = json.load(response)
            return result


@contextmanager
def fake_bot_api_process(token: str = REAL_LOOKING_TOKEN) -> Iterator[FakeProcess]:
    """The fake Bot API as its own process, on a free loopback port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.devtools.fake_bot_api", "--port", "0", "--token", token],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("FAKE_BOT_API_PORT="):
            raise RuntimeError(f"the fake Bot API did not start: {line!r}")
        yield FakeProcess(process, int(line.split("=", 1)[1]))
    finally:
        stop(process)


def bot_environment(fake: FakeProcess, database_url: str, **extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "TELEGRAM_", "DATABASE_", "ADMIN_", "WEBHOOK_"))
    }
    environment.update(
        BOT_TOKEN=REAL_LOOKING_TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    environment.update(extra)
    return environment


def start_bot(environment: Mapping[str, str], log_path: Path, cwd: Path) -> subprocess.Popen[str]:
    """`python -m bot` with its log (stderr and stdout) going to `log_path`."""
    log = log_path.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        env=dict(environment),
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str], timeout: float = 15) -> int:
    """SIGTERM, then SIGKILL if it does not end in time; returns the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode


def wait_until(condition: Any, timeout: float = STARTUP_TIMEOUT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")
