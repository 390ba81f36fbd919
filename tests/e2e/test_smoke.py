"""Smoke test: the real entry point `python -m bot` as a process, against the fake as a process."""

from __future__ import annotations

import re
from pathlib import Path

from bot import texts
from tests.e2e.processes import (
    REAL_LOOKING_TOKEN,
    bot_environment,
    fake_bot_api_process,
    start_bot,
    stop,
)

PATIENT_ID = 5550001


def test_python_m_bot_answers_start_and_never_logs_the_token(tmp_path: Path) -> None:
    """`python -m bot` at DEBUG: answers /start, stops cleanly on SIGTERM, token never logged."""
    log_path = tmp_path / "bot.log"
    with fake_bot_api_process() as fake:
        environment = bot_environment(
            fake, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", LOG_LEVEL="DEBUG"
        )
        bot = start_bot(environment, log_path, cwd=tmp_path)
        try:
            fake.control("add_user", user_id=PATIENT_ID, first_name="Ann")
            fake.control("send_text", user_id=PATIENT_ID, text="/start")
            history = fake.chat(PATIENT_ID, after=0, timeout=30)
            bot_texts = [m["text"] for m in history["messages"] if m.get("from_bot")]
            assert texts.WELCOME in bot_texts, history
        finally:
            exit_code = stop(bot)
    log = log_path.read_text()
    assert exit_code == 0, log[-3000:]
    assert "getUpdates" in log  # DEBUG really logged the requests...
    assert REAL_LOOKING_TOKEN not in log  # ...without the token
    token_secret = REAL_LOOKING_TOKEN.split(":", 1)[1]
    assert token_secret not in log
    assert not re.search(r"\bCRITICAL\b", log), log[-3000:]
