"""`kesimpta-bot backup/restore/check` and start-up refusals, as real processes."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from storage.db import upgrade_database
from tests.e2e.processes import (
    REAL_LOOKING_TOKEN,
    FakeProcess,
    bot_environment,
    fake_bot_api_process,
    start_bot,
    stop,
    wait_until,
)

TOKEN_SECRET = REAL_LOOKING_TOKEN.split(":", 1)[1]


def kesimpta_bot(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def environment_for(fake: FakeProcess | None, data_dir: Path, **extra: str) -> dict[str, str]:
    if fake is None:
        fake = FakeProcess(process=None, port=closed_port())  # type: ignore[arg-type]
    return bot_environment(
        fake, f"sqlite+aiosqlite:///{data_dir / 'kesimpta.db'}", DATA_DIR=str(data_dir), **extra
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def fake_calls(fake: FakeProcess) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{fake.port}/_control/calls") as response:
        return [call["method"] for call in json.load(response)]


class RowWriter(threading.Thread):
    """Commits one row at a time into the database until stopped, like a busy bot."""

    def __init__(self, database: Path) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.committed = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self.database, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE IF NOT EXISTS probe_rows (id INTEGER PRIMARY KEY)")
        connection.commit()
        while not self.stopping.is_set():
            connection.execute("INSERT INTO probe_rows DEFAULT VALUES")
            connection.commit()
            self.committed += 1
        connection.close()


def probe_ids(database: Path) -> list[int]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM probe_rows ORDER BY id")]


def test_backup_while_writing_then_restore_loses_no_row(tmp_path: Path) -> None:
    """A backup taken mid-writes has every row committed before it began; restore returns them."""
    data_dir = tmp_path / "data"
    environment = environment_for(None, data_dir)
    database = data_dir / "kesimpta.db"
    asyncio.run(upgrade_database(f"sqlite+aiosqlite:///{database}"))
    writer = RowWriter(database)
    writer.start()
    try:
        wait_until(lambda: writer.committed >= 200, what="the writer to get going")
        committed_before = writer.committed
        result = kesimpta_bot(environment, "backup", str(tmp_path / "copy.db"))
        committed_after = writer.committed
    finally:
        writer.stopping.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    assert committed_after > committed_before  # the writes really overlapped the backup
    copied = probe_ids(tmp_path / "copy.db")
    assert len(copied) >= committed_before
    assert copied == list(range(1, len(copied) + 1))  # a consistent prefix, no holes

    result = kesimpta_bot(environment, "restore", str(tmp_path / "copy.db"))

    assert result.returncode == 0, result.stderr
    assert probe_ids(database) == copied
    kept = probe_ids(data_dir / "kesimpta.db.before-restore")
    assert len(kept) == writer.committed


def test_restore_and_a_second_bot_are_refused_while_the_bot_runs(tmp_path: Path) -> None:
    """The running bot holds DATA_DIR: restore changes nothing, a second bot will not start."""
    data_dir = tmp_path / "data"
    with fake_bot_api_process() as fake:
        environment = environment_for(fake, data_dir)
        bot = start_bot(environment, tmp_path / "bot.log", cwd=tmp_path)
        try:
            wait_until(lambda: "setMyCommands" in fake_calls(fake), what="the bot to start")
            # The dispatcher's first pass writes the heartbeat Docker's health check reads.
            wait_until(
                lambda: kesimpta_bot(environment, "health").returncode == 0,
                what="the running bot to report healthy",
            )
            assert kesimpta_bot(environment, "backup", str(tmp_path / "copy.db")).returncode == 0
            database = data_dir / "kesimpta.db"
            inode = database.stat().st_ino

            refused = kesimpta_bot(environment, "restore", str(tmp_path / "copy.db"))
            second = kesimpta_bot(environment)

            assert bot.poll() is None  # the first bot is unharmed
        finally:
            stop(bot)
    assert refused.returncode != 0
    assert "the bot is running" in refused.stderr
    assert "stop it first" in refused.stderr
    assert database.stat().st_ino == inode
    assert not (data_dir / "kesimpta.db.before-restore").exists()
    assert second.returncode != 0
    assert "already running" in second.stderr
    assert "Traceback" not in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1


def test_check_passes_on_a_good_configuration(tmp_path: Path) -> None:
    """Fake Bot API and a migrated SQLite: exit 0, a line each, never the token."""
    data_dir = tmp_path / "data"
    with fake_bot_api_process() as fake:
        environment = environment_for(fake, data_dir)
        assert kesimpta_bot(environment, "migrate").returncode == 0
        result = kesimpta_bot(environment, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    for topic in ("settings", "data directory", "database", "telegram"):
        assert f"ok       {topic}:" in result.stdout
    assert "getMe answered: @" in result.stdout
    assert TOKEN_SECRET not in result.stdout + result.stderr


def test_check_fails_on_bad_configurations(tmp_path: Path) -> None:
    """No token (78), Telegram unreachable (69), database folder impossible: all non-zero."""
    (tmp_path / "a-file").write_text("")
    with fake_bot_api_process() as fake:
        no_token = kesimpta_bot(environment_for(fake, tmp_path / "d1", BOT_TOKEN=""), "check")
        unreachable = kesimpta_bot(environment_for(None, tmp_path / "d2"), "check")
        bad_folder = environment_for(fake, tmp_path / "d3")
        bad_folder["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'x.db'}"
        not_a_folder = kesimpta_bot(bad_folder, "check")
        bad_folder["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'x.db'}"
        missing_folder = kesimpta_bot(bad_folder, "check")
    assert no_token.returncode == 78
    assert "BOT_TOKEN is not set" in no_token.stdout
    assert unreachable.returncode == 69
    assert "PROBLEM  telegram" in unreachable.stdout
    assert not_a_folder.returncode != 0
    assert "PROBLEM  database folder" in not_a_folder.stdout
    assert missing_folder.returncode != 0
    assert "does not exist" in missing_folder.stdout
    for result in (no_token, unreachable, not_a_folder, missing_folder):
        assert TOKEN_SECRET not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_start_up_errors_are_one_line_without_a_traceback(tmp_path: Path) -> None:
    """Unreachable PostgreSQL and an unwritable DATA_DIR stop the bot in one readable line."""
    (tmp_path / "a-file").write_text("")
    port = closed_port()
    postgres = environment_for(None, tmp_path / "data")
    postgres["DATABASE_URL"] = f"postgresql+asyncpg://kesimpta:s3cret@127.0.0.1:{port}/kesimpta"
    unwritable = environment_for(None, tmp_path / "a-file" / "data")
    started = time.monotonic()
    results = [kesimpta_bot(postgres), kesimpta_bot(unwritable)]
    assert time.monotonic() - started < 30
    assert f"cannot reach the database at 127.0.0.1:{port}/kesimpta" in results[0].stderr
    assert "s3cret" not in results[0].stderr
    assert "DATA_DIR" in results[1].stderr
    assert "not writable" in results[1].stderr
    for result in results:
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
