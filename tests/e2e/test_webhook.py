"""Webhook mode: `python -m bot` as a process, with the fake Bot API posting updates to it."""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.config import ConfigError, load_settings
from tests.e2e.processes import (
    REAL_LOOKING_TOKEN,
    FakeProcess,
    bot_environment,
    fake_bot_api_process,
    start_bot,
    stop,
)

PATIENT_ID = 5550002
WEBHOOK_SECRET = "s3cret_Webhook-token_for-tests"


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def calls(fake: FakeProcess, method: str) -> list[dict[str, Any]]:
    """Every call of `method` the fake received, oldest first."""
    with urllib.request.urlopen(f"http://127.0.0.1:{fake.port}/_control/calls") as response:
        return [call for call in json.load(response) if call["method"] == method]


def bot_texts(history: dict[str, Any]) -> list[str]:
    return [m.get("text", "") for m in history["messages"] if m.get("from_bot")]


def test_python_m_bot_receives_updates_by_webhook_and_rejects_a_wrong_secret(
    tmp_path: Path,
) -> None:
    """WEBHOOK_URL set: setWebhook with the secret, updates arrive by POST, others get 403."""
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}/telegram"
    log_path = tmp_path / "bot.log"
    with fake_bot_api_process() as fake:
        environment = bot_environment(
            fake,
            f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            LOG_LEVEL="DEBUG",
            WEBHOOK_URL=webhook_url,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        bot = start_bot(environment, log_path, cwd=tmp_path)
        try:
            fake.control("add_user", user_id=PATIENT_ID, first_name="Ann")
            fake.control("send_text", user_id=PATIENT_ID, text="/start")
            history = fake.chat(PATIENT_ID, after=0, timeout=30)
            assert texts.WELCOME in bot_texts(history), history

            [set_webhook] = calls(fake, "setWebhook")
            assert set_webhook["params"]["url"] == webhook_url
            assert set_webhook["params"]["secret_token"] == WEBHOOK_SECRET
            assert calls(fake, "getUpdates") == []  # no long polling alongside

            # Forged requests: PTB answers 403 before the update reaches any handler.
            wrong = fake.control(
                "post_to_webhook", user_id=PATIENT_ID, text="/help", secret_token="not-it"
            )
            missing = fake.control("post_to_webhook", user_id=PATIENT_ID, text="/help")
            assert (wrong["status"], missing["status"]) == (403, 403)

            # A genuine /help afterwards: updates are handled in order, so once its answer is
            # there, an answer to either forged /help would be there too.
            outputs = fake.chat(PATIENT_ID)["outputs"]
            fake.control("send_text", user_id=PATIENT_ID, text="/help")
            history = fake.chat(PATIENT_ID, after=outputs, timeout=30)
            assert history["outputs"] == outputs + 1, history
            assert bot_texts(history).count(texts.HELP) == 1, history
        finally:
            exit_code = stop(bot)
        # PTB leaves the webhook set on stop, so Telegram keeps updates for the next start.
        assert calls(fake, "deleteWebhook") == []
    log = log_path.read_text()
    assert exit_code == 0, log[-3000:]
    assert "setWebhook" in log  # DEBUG really logged the call and its parameters...
    assert WEBHOOK_SECRET not in log  # ...without the secret
    assert REAL_LOOKING_TOKEN.split(":", 1)[1] not in log
    assert not re.search(r"\bCRITICAL\b", log), log[-3000:]


@pytest.fixture
def webhook_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_LISTEN", "WEBHOOK_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return monkeypatch


def test_webhook_settings_default_to_a_local_listener(
    webhook_environment: pytest.MonkeyPatch,
) -> None:
    """The webhook server listens on loopback:8443 behind a proxy; its path is the URL's."""
    webhook_environment.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    webhook_environment.setenv("WEBHOOK_SECRET", WEBHOOK_SECRET)
    settings = load_settings()
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8443)
    assert settings.webhook_path == "/telegram"
    assert WEBHOOK_SECRET not in repr(settings)


def test_webhook_url_without_secret_is_a_config_error(
    webhook_environment: pytest.MonkeyPatch,
) -> None:
    """WEBHOOK_URL alone is refused: every webhook request must carry a secret."""
    webhook_environment.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is required with WEBHOOK_URL"):
        load_settings()


@pytest.mark.parametrize("secret", ["has spaces in it", "ümlaut", "x" * 257])
def test_malformed_webhook_secret_is_named_not_echoed(
    webhook_environment: pytest.MonkeyPatch, secret: str
) -> None:
    """A secret Telegram would refuse is named in the error, and never shown."""
    webhook_environment.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    webhook_environment.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET must be 1-256 characters") as error:
        load_settings()
    assert secret not in str(error.value)
