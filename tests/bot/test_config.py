"""Settings: read from the environment, validated with messages that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, main
from bot.config import ConfigError, load_settings

FAKE_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "BOT_TOKEN",
        "DATABASE_URL",
        "ADMIN_IDS",
        "TELEGRAM_API_BASE_URL",
        "TELEGRAM_API_FILE_URL",
        "WEBHOOK_URL",
        "LOG_LEVEL",
        "DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's folder


def test_defaults_use_sqlite_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """DATABASE_URL unset means a SQLite file under ./data/."""
    settings = load_settings()
    assert settings.effective_database_url == "sqlite+aiosqlite:///data/kesimpta.db"
    assert settings.admin_ids == frozenset()
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.effective_file_url == "https://api.telegram.org/file/bot"


def test_environment_and_dotenv_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values come from the environment or from a .env file in the working directory."""
    (tmp_path / ".env").write_text(f"BOT_TOKEN={FAKE_TOKEN}\nADMIN_IDS=42, 7\n")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.token == FAKE_TOKEN
    assert settings.admin_ids == frozenset({42, 7})
    assert settings.effective_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.log_level == "DEBUG"


def test_missing_token_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    """Starting without BOT_TOKEN says how to get one, and exits with the config code."""
    assert main(["run"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "BOT_TOKEN is not set" in err
    assert "@BotFather" in err


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("BOT_TOKEN", "not-a-token", "BOT_TOKEN does not look like"),
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
    ],
)
def test_malformed_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    """A malformed setting stops start-up with a message naming it (never echoing a token)."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert expected in str(error.value)
    if variable == "BOT_TOKEN":
        assert value not in str(error.value)
