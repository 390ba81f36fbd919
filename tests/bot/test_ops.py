"""Operating the bot: backup, restore, the instance lock, start-up checks and health."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.ops import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_TEMPFAIL,
    EXIT_UNAVAILABLE,
    EXIT_UNHEALTHY,
    OpsError,
    backup,
    check,
    copy_to,
    exclusive_data_dir,
    health,
    heartbeat_path,
    prepare_start,
    restore,
    touch_heartbeat,
    verify_database,
)
from storage.db import current_revision, head_revision, upgrade_database

TOKEN = "7012345678:AAFakeTokenShapedLikeARealOne_12345"


def settings_in(data_dir: Path, **overrides: object) -> Settings:
    return load_settings(bot_token=TOKEN, data_dir=data_dir, database_url=None, **overrides)


def migrated(settings: Settings, revision: str = "head") -> Path:
    asyncio.run(upgrade_database(settings.effective_database_url, revision))
    return settings.data_dir / "kesimpta.db"


def add_rows(database: Path, count: int) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS probe_rows (id INTEGER PRIMARY KEY)")
        connection.executemany("INSERT INTO probe_rows DEFAULT VALUES", [()] * count)


def probe_count(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM probe_rows").fetchone()[0])


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_backup_then_restore_round_trips_every_row(tmp_path: Path) -> None:
    """A backup holds every committed row; restoring it brings them back and keeps the old file."""
    settings = settings_in(tmp_path / "data")
    database = migrated(settings)
    add_rows(database, 25)
    lines: list[str] = []
    assert backup(settings, tmp_path / "copy.db", lines.append) == EXIT_OK
    assert "integrity ok" in lines[0]
    assert any("probe_rows: 25 row(s)" in line for line in lines)
    add_rows(database, 5)  # written after the backup: gone after the restore, kept aside

    assert restore(settings, tmp_path / "copy.db", lines.append) == EXIT_OK

    assert probe_count(database) == 25
    assert probe_count(database.with_name("kesimpta.db.before-restore")) == 30


def test_backup_into_a_folder_names_the_file(tmp_path: Path) -> None:
    """Given a folder, the backup lands in it under a dated name."""
    settings = settings_in(tmp_path / "data")
    migrated(settings)
    (tmp_path / "backups").mkdir()
    assert backup(settings, tmp_path / "backups", lambda line: None) == EXIT_OK
    [copy] = (tmp_path / "backups").glob("kesimpta-*.db")
    assert copy.stat().st_size > 0


def test_restore_removes_a_stale_wal_and_upgrades_an_older_backup(tmp_path: Path) -> None:
    """A backup from an older release is migrated; the old database's -wal/-shm are gone."""
    old = settings_in(tmp_path / "old")
    migrated(old, "001")
    backup(old, tmp_path / "old.db", lambda line: None)
    settings = settings_in(tmp_path / "data")
    database = migrated(settings)
    stale_wal = database.with_name("kesimpta.db-wal")
    stale_wal.write_bytes(b"not a wal of the restored file")

    restore(settings, tmp_path / "old.db", lambda line: None)

    assert not stale_wal.exists()
    url = settings.effective_database_url
    assert asyncio.run(current_revision(url)) == head_revision()


def test_restore_is_refused_while_the_data_directory_is_locked(tmp_path: Path) -> None:
    """While a bot holds the lock, restore changes nothing and says why."""
    settings = settings_in(tmp_path / "data")
    database = migrated(settings)
    backup(settings, tmp_path / "copy.db", lambda line: None)
    before = database.read_bytes()
    with (
        exclusive_data_dir(settings.data_dir, "held by the test"),
        pytest.raises(OpsError, match="the bot is running") as refused,
    ):
        restore(settings, tmp_path / "copy.db", lambda line: None)
    assert refused.value.exit_code == EXIT_TEMPFAIL
    assert database.read_bytes() == before
    assert not database.with_name("kesimpta.db.before-restore").exists()


@pytest.mark.parametrize("content", [b"", b"SQLite format 3\x00 but then garbage" * 100])
def test_restore_refuses_a_file_that_is_not_a_database(tmp_path: Path, content: bytes) -> None:
    """Anything but an intact SQLite file with our schema is refused before any change."""
    settings = settings_in(tmp_path / "data")
    database = migrated(settings)
    (tmp_path / "junk.db").write_bytes(content)
    with pytest.raises(OpsError) as refused:
        restore(settings, tmp_path / "junk.db", lambda line: None)
    assert refused.value.exit_code == EXIT_CONFIG
    assert database.exists()
    assert not database.with_name("kesimpta.db.before-restore").exists()


def test_restore_refuses_a_sqlite_file_without_our_schema(tmp_path: Path) -> None:
    """Another application's SQLite file is not restored."""
    settings = settings_in(tmp_path / "data")
    migrated(settings)
    add_rows(tmp_path / "other.db", 1)
    with pytest.raises(OpsError, match="not a kesimpta-bot database"):
        restore(settings, tmp_path / "other.db", lambda line: None)


def test_postgres_backup_points_to_pg_dump_without_the_password(tmp_path: Path) -> None:
    """On PostgreSQL the backup command names pg_dump and fails rather than pretend."""
    settings = load_settings(
        bot_token=TOKEN,
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://kesimpta:s3cret@db.example:5433/kesimpta",
    )
    with pytest.raises(OpsError) as refused:
        backup(settings, tmp_path / "x", lambda line: None)
    message = str(refused.value)
    assert "pg_dump -h db.example -p 5433 -U kesimpta -d kesimpta" in message
    assert "s3cret" not in message
    assert refused.value.exit_code != 0


def test_a_second_instance_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    """Two bots on one data directory would answer everything twice: the second refuses."""
    settings = settings_in(tmp_path / "data")
    with (
        exclusive_data_dir(settings.data_dir, "held"),
        pytest.raises(OpsError, match="already running") as refused,
    ):
        prepare_start(settings)
    assert refused.value.exit_code == EXIT_TEMPFAIL


def test_start_refuses_an_unwritable_data_directory(tmp_path: Path) -> None:
    """A DATA_DIR that cannot hold files fails in one line (a file in the way, here)."""
    (tmp_path / "file").write_text("")
    with pytest.raises(OpsError, match=r"DATA_DIR .* is not writable") as refused:
        prepare_start(settings_in(tmp_path / "file" / "data"))
    assert refused.value.exit_code == EXIT_CONFIG


def test_start_names_an_unreachable_postgres_host_without_the_password(tmp_path: Path) -> None:
    """A refused PostgreSQL connection is one line naming host and port, never the password."""
    port = closed_port()
    settings = load_settings(
        bot_token=TOKEN,
        data_dir=tmp_path,
        database_url=f"postgresql+asyncpg://kesimpta:s3cret@127.0.0.1:{port}/kesimpta",
    )
    with pytest.raises(OpsError) as refused:
        prepare_start(settings)
    message = str(refused.value)
    assert f"127.0.0.1:{port}/kesimpta" in message
    assert "s3cret" not in message
    assert "\n" not in message
    assert refused.value.exit_code == EXIT_UNAVAILABLE


def test_check_without_a_token_is_a_settings_problem(tmp_path: Path) -> None:
    """No token: exit 78 and the BotFather hint."""
    lines: list[str] = []

    def load() -> Settings:
        return load_settings(bot_token="", data_dir=tmp_path)

    assert check(load, lines.append) == EXIT_CONFIG
    assert "BotFather" in "\n".join(lines)


def test_check_reports_malformed_settings(tmp_path: Path) -> None:
    """Settings that fail validation are reported, not raised."""
    lines: list[str] = []

    def load() -> Settings:
        raise ConfigError("Invalid settings:\n  ADMIN_IDS: must be Telegram user ids")

    assert check(load, lines.append) == EXIT_CONFIG
    assert "ADMIN_IDS" in "\n".join(lines)


def test_check_reports_an_unreachable_telegram_without_the_token(tmp_path: Path) -> None:
    """A closed port instead of Telegram: exit 69, and the token never printed."""
    lines: list[str] = []
    base_url = f"http://127.0.0.1:{closed_port()}/bot"
    settings = settings_in(tmp_path / "data", telegram_api_base_url=base_url)
    migrated(settings)

    assert check(lambda: settings, lines.append) == EXIT_UNAVAILABLE
    output = "\n".join(lines)
    assert "PROBLEM  telegram" in output
    assert "ok       database" in output
    assert TOKEN.split(":")[1] not in output


def test_health_follows_the_heartbeat(tmp_path: Path) -> None:
    """Fresh heartbeat: healthy (0); none, or older than 120 s: unhealthy (1)."""
    settings = settings_in(tmp_path)
    lines: list[str] = []
    assert health(settings, lines.append) == EXIT_UNHEALTHY
    assert "no heartbeat" in lines[-1]

    touch_heartbeat(tmp_path)
    assert health(settings, lines.append) == EXIT_OK

    old = time.time() - 121
    os.utime(heartbeat_path(tmp_path), (old, old))
    assert health(settings, lines.append) == EXIT_UNHEALTHY
    assert "121 s ago" in lines[-1]


def test_a_heartbeat_that_cannot_be_written_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The dispatcher never fails because of its heartbeat; the problem is logged once."""
    (tmp_path / "file").write_text("")
    for _ in range(3):
        touch_heartbeat(tmp_path / "file")
    assert len([r for r in caplog.records if "heartbeat" in r.getMessage()]) == 1


# --- copy-to: the refusals (the copy itself: tests/e2e/test_copy_to.py) ---------------------


@pytest.mark.parametrize(
    "target",
    [
        "sqlite+aiosqlite:////tmp/elsewhere.db",
        "mysql+aiomysql://user:pw@db.example/kesimpta",
        "postgresql+asyncpg://user:pw@db.example",  # no database name
        "not a url at all",
    ],
)
def test_copy_to_wants_a_postgres_database(tmp_path: Path, target: str) -> None:
    settings = settings_in(tmp_path / "data")
    migrated(settings)
    with pytest.raises(OpsError, match=r"PostgreSQL|database URL") as refused:
        copy_to(settings, target, lambda line: None)
    assert refused.value.exit_code == EXIT_CONFIG


def test_copy_to_needs_a_sqlite_database_to_copy(tmp_path: Path) -> None:
    target = "postgresql://kesimpta@127.0.0.1:5432/kesimpta"
    on_postgres = load_settings(bot_token=TOKEN, data_dir=tmp_path, database_url=target)
    with pytest.raises(OpsError, match="copy-to moves a SQLite database") as refused:
        copy_to(on_postgres, target, lambda line: None)
    assert refused.value.exit_code == EXIT_CONFIG
    with pytest.raises(OpsError, match="nothing to copy") as refused:
        copy_to(settings_in(tmp_path / "empty"), target, lambda line: None)
    assert refused.value.exit_code == EXIT_CONFIG


def test_copy_to_an_unreachable_server_says_so_without_the_password(tmp_path: Path) -> None:
    settings = settings_in(tmp_path / "data")
    migrated(settings)
    target = f"postgresql://kesimpta:s3cret@127.0.0.1:{closed_port()}/kesimpta"
    with pytest.raises(OpsError, match=r"cannot reach the database at 127\.0\.0\.1") as refused:
        copy_to(settings, target, lambda line: None)
    assert refused.value.exit_code == EXIT_UNAVAILABLE
    assert "s3cret" not in str(refused.value)


def test_copy_to_is_refused_while_the_bot_runs(tmp_path: Path) -> None:
    settings = settings_in(tmp_path / "data")
    migrated(settings)
    target = f"postgresql://kesimpta@127.0.0.1:{closed_port()}/kesimpta"
    with (
        exclusive_data_dir(settings.data_dir, "held by the test"),
        pytest.raises(OpsError, match="the bot is running") as refused,
    ):
        copy_to(settings, target, lambda line: None)
    assert refused.value.exit_code == EXIT_TEMPFAIL


def test_backup_keep_leaves_the_newest_backups_and_nothing_else_is_touched(
    tmp_path: Path,
) -> None:
    """A daily `backup FOLDER --keep 3` must not fill a small VPS's disk: after the new copy
    is verified, only the 3 newest backups stay; files not named like a backup stay too."""
    settings = settings_in(tmp_path / "data")
    migrated(settings)
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / f"kesimpta-2026010{day}-030000.db" for day in range(1, 6)]
    others = [folder / "notes.txt", folder / "kesimpta-before-upgrade.db"]
    for path in (*old, *others):
        path.write_text("x")
    lines: list[str] = []

    assert backup(settings, folder, lines.append, keep=3) == EXIT_OK

    backups = sorted(path.name for path in folder.iterdir() if path not in others)
    assert backups[:2] == [old[3].name, old[4].name]
    assert len(backups) == 3 and backups[2].startswith("kesimpta-2026")  # the new one
    verify_database(folder / backups[2])
    assert all(path.read_text() == "x" for path in others)
    assert "removed 3 older backup(s), kept the newest 3" in lines


@pytest.mark.parametrize("keep", [0, -1])
def test_backup_keep_needs_a_positive_count_and_a_folder(tmp_path: Path, keep: int) -> None:
    settings = settings_in(tmp_path / "data")
    migrated(settings)
    for destination, count in ((tmp_path, keep), (tmp_path / "one.db", 3)):
        with pytest.raises(OpsError, match="--keep N") as refused:
            backup(settings, destination, lambda line: None, keep=count)
        assert refused.value.exit_code == EXIT_CONFIG
    assert not any(tmp_path.glob("kesimpta-*.db")) and not (tmp_path / "one.db").exists()
