"""Operating the bot on a server: the instance lock, start-up checks, backup, restore, moving
to PostgreSQL, health.

The CLI subcommands in `bot/cli.py` are thin wrappers: each calls one function here, which
prints what it found line by line and returns an exit code (sysexits.h numbers).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_SOFTWARE = 70  # EX_SOFTWARE: a copy did not come out as the source (nothing was kept)
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: the database or Telegram cannot be reached
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: another instance holds the data directory; try later
EXIT_CONFIG = 78  # EX_CONFIG

LOCK_FILE = "kesimpta-bot.lock"
HEARTBEAT_FILE = "heartbeat"
HEARTBEAT_MAX_AGE_SECONDS = 120.0
BEFORE_RESTORE_SUFFIX = ".before-restore"
CHECK_TIMEOUT_SECONDS = 10.0

Print = Callable[[str], None]


class OpsError(Exception):
    """An operational problem with a one-line explanation and the exit code that goes with it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --- the instance lock -----------------------------------------------------------------------

# The running bot's lock, kept open for the life of the process (closing it would release it).
_held_locks: list[IO[str]] = []


def lock_path(data_dir: Path) -> Path:
    return data_dir / LOCK_FILE


def _try_lock(data_dir: Path) -> IO[str] | None:
    """The data directory's lock file, locked; None if another process holds it."""
    handle = lock_path(data_dir).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _holder_pid(data_dir: Path) -> str:
    try:
        pid = lock_path(data_dir).read_text().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


@contextlib.contextmanager
def exclusive_data_dir(data_dir: Path, refusal: str) -> Iterator[None]:
    """Hold the data directory's lock for the block; `OpsError(refusal)` if the bot holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = _try_lock(data_dir)
    if handle is None:
        raise OpsError(refusal + _holder_pid(data_dir), EXIT_TEMPFAIL)
    try:
        yield
    finally:
        handle.close()


# --- start-up checks -------------------------------------------------------------------------


def prepare_start(settings: Settings) -> None:
    """Fail fast, in one line each, on what would otherwise be a traceback later.

    Creates and probes the data directory, takes the instance lock (held until the process
    exits) and connects to the database once.
    """
    data_dir = settings.data_dir
    ensure_writable_directory(data_dir, "DATA_DIR")
    handle = _try_lock(data_dir)
    if handle is None:
        raise OpsError(
            f"another kesimpta-bot is already running with DATA_DIR={data_dir}"
            f"{_holder_pid(data_dir)}; stop it first (two bots would answer every message twice)",
            EXIT_TEMPFAIL,
        )
    try:
        _check_database_at_start(settings.effective_database_url)
    except OpsError:
        handle.close()
        raise
    _held_locks.append(handle)


def _check_database_at_start(url: str) -> None:
    sqlite_file = sqlite_path(url)
    if sqlite_file is not None:
        ensure_writable_directory(sqlite_file.parent, "the database folder (DATABASE_URL)")
    error = asyncio.run(probe_database(url))
    if error is not None:
        raise OpsError(
            f"cannot reach the database at {describe_database(url)}: {error}", EXIT_UNAVAILABLE
        )


def ensure_writable_directory(directory: Path, name: str) -> None:
    """Create `directory` if needed and prove a file can be written in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OpsError(f"{name} {directory} is not writable: {reason}", EXIT_CONFIG) from None


def sqlite_path(url: str) -> Path | None:
    """The SQLite file behind `url`; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def database_location(url: str) -> str:
    """Where the database is: the SQLite file, or host, port and name, never the password."""
    parsed: URL = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host}{port}/{parsed.database}"


def describe_database(url: str) -> str:
    """`database_location`, for messages about the configured database."""
    return f"{database_location(url)} (DATABASE_URL)"


def _reason(error: BaseException) -> str:
    message = str(error).strip().splitlines()
    return message[0] if message else type(error).__name__


async def probe_database(url: str) -> str | None:
    """Connect and run `SELECT 1`; the reason it failed, or None."""
    from storage.db import create_engine

    engine = create_engine(url)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:.0f} s"
    except Exception as error:  # any driver error means "unreachable" here
        return _reason(error.__cause__ or error)
    finally:
        await engine.dispose()
    return None


# --- check -----------------------------------------------------------------------------------


@dataclass(slots=True)
class CheckReport:
    """What `kesimpta-bot check` found; the exit code is the most serious problem's."""

    out: Print
    exit_code: int = EXIT_OK

    def ok(self, topic: str, message: str) -> None:
        self.out(f"ok       {topic}: {message}")

    def problem(self, topic: str, message: str, exit_code: int) -> None:
        self.out(f"PROBLEM  {topic}: {message}")
        self.exit_code = max(self.exit_code, exit_code)


def check(load: Callable[[], Settings], out: Print = print) -> int:
    """Validate the settings, the data directory, the database and the token; print each."""
    report = CheckReport(out)
    try:
        settings = load()
        token = settings.token
    except ConfigError as error:
        report.problem("settings", str(error).replace("\n", "\n         "), EXIT_CONFIG)
        return report.exit_code
    admins = len(settings.admin_ids)
    mode = f"webhook ({settings.webhook_url})" if settings.webhook_url else "long polling"
    report.ok("settings", f"token set, {admins} admin(s), {mode}, log level {settings.log_level}")
    _check_directory(report, settings.data_dir, "data directory")
    asyncio.run(_check_services(report, settings, token))
    return report.exit_code


def _check_directory(report: CheckReport, directory: Path, topic: str) -> bool:
    """The directory exists and is writable, or can be created (its parent exists)."""
    if directory.is_dir():
        try:
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as error:
            report.problem(topic, f"{directory} is not writable: {error.strerror}", EXIT_CONFIG)
            return False
        report.ok(topic, f"{directory} is writable")
        return True
    if directory.exists():
        report.problem(topic, f"{directory} is not a directory", EXIT_CONFIG)
        return False
    parent = directory.parent
    if parent.is_dir() and os.access(parent, os.W_OK):
        report.ok(topic, f"{directory} does not exist yet; the bot will create it")
        return True
    report.problem(topic, f"{directory} does not exist and cannot be created", EXIT_CONFIG)
    return False


async def _check_services(report: CheckReport, settings: Settings, token: str) -> None:
    await _check_database(report, settings.effective_database_url)
    await _check_telegram(report, settings, token)


async def _check_database(report: CheckReport, url: str) -> None:
    from storage.db import current_revision, head_revision

    where = describe_database(url)
    sqlite_file = sqlite_path(url)
    if sqlite_file is not None:
        if sqlite_file.parent != Path() and not _check_directory(
            report, sqlite_file.parent, "database folder"
        ):
            return
        if not sqlite_file.exists():
            report.ok("database", f"{where}: no file yet; the bot creates it at first start")
            return
    error = await probe_database(url)
    if error is not None:
        report.problem("database", f"cannot reach {where}: {error}", EXIT_UNAVAILABLE)
        return
    revision = await current_revision(url)
    head = head_revision()
    if revision == head:
        report.ok("database", f"{where} reached, schema at revision {revision} (current)")
    else:
        # Not a problem: the bot migrates at start-up. Say so, so nobody is surprised.
        report.ok(
            "database",
            f"{where} reached, schema at revision {revision}; the bot will upgrade it to {head}",
        )


async def _check_telegram(report: CheckReport, settings: Settings, token: str) -> None:
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError
    from telegram.request import HTTPXRequest

    request = HTTPXRequest(connect_timeout=5, read_timeout=5, write_timeout=5, pool_timeout=5)
    bot = Bot(token, base_url=settings.telegram_api_base_url, request=request)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            me = await bot.get_me()
    except InvalidToken:
        report.problem(
            "telegram", "the token was rejected: copy it again from @BotFather", EXIT_CONFIG
        )
        return
    except (TelegramError, TimeoutError, OSError) as error:
        reason = (_reason(error) or type(error).__name__).replace(token, "<token>")
        where = settings.telegram_api_base_url.replace(token, "<token>")
        report.problem("telegram", f"cannot reach {where}: {reason}", EXIT_UNAVAILABLE)
        return
    finally:
        with contextlib.suppress(Exception):
            await request.shutdown()
    report.ok("telegram", f"getMe answered: @{me.username} (id {me.id})")


# --- backup and restore ----------------------------------------------------------------------


def _require_sqlite(settings: Settings, verb: str) -> Path:
    url = settings.effective_database_url
    path = sqlite_path(url)
    if path is not None:
        return path
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        port = parsed.port or 5432
        target = f"-h {parsed.host} -p {port} -U {parsed.username} -d {parsed.database}"
        command = (
            f"pg_dump {target} --format=custom --file=PATH"
            if verb == "back up"
            else f"pg_restore {target} --clean --if-exists PATH"
        )
        raise OpsError(
            f"the database is PostgreSQL: {verb} it with its own tool, e.g.\n  {command}\n"
            "(the password comes from PGPASSWORD or ~/.pgpass)",
            EXIT_UNAVAILABLE,
        )
    raise OpsError(f"cannot {verb} {describe_database(url)}: not a SQLite file", EXIT_CONFIG)


def _open_existing(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open a SQLite file without ever creating it."""
    mode = "ro" if read_only else "rw"
    return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=30)


def verify_database(path: Path) -> dict[str, int]:
    """Integrity check and our schema's marker; row counts per table. `OpsError` if not ours."""
    try:
        connection = _open_existing(path, read_only=True)
    except sqlite3.Error as error:
        raise OpsError(f"{path} cannot be opened as SQLite: {error}", EXIT_CONFIG) from None
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            detail = "; ".join(str(row[0]) for row in integrity[:3])
            raise OpsError(f"{path} is damaged: {detail}", EXIT_CONFIG)
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        if "alembic_version" not in tables:
            raise OpsError(f"{path} is not a kesimpta-bot database (no schema)", EXIT_CONFIG)
        return {
            table: int(connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
            for table in tables
        }
    except sqlite3.DatabaseError as error:
        raise OpsError(f"{path} is not a SQLite database: {error}", EXIT_CONFIG) from None
    finally:
        connection.close()


def _copy_database(source: sqlite3.Connection, destination: Path) -> None:
    """A point-in-time copy through SQLite's backup API, as one self-contained file."""
    target = sqlite3.connect(destination)
    try:
        # One step (pages=-1): a single read transaction, so writers carry on in WAL mode
        # and the copy is the database exactly as of the moment the step began.
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
        target.commit()
    finally:
        target.close()
    _fsync(destination)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_path_beside(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def _print_counts(counts: dict[str, int], out: Print) -> None:
    for table, count in counts.items():
        if table != "alembic_version":
            out(f"  {table}: {count} row(s)")


# The name a backup into a folder gets (UTC); `--keep` prunes only files named like this.
BACKUP_NAME = re.compile(r"kesimpta-\d{8}-\d{6}\.db")


def backup(
    settings: Settings, destination: Path, out: Print = print, *, keep: int | None = None
) -> int:
    """Copy the live SQLite database to `destination` (a file, or a folder to put one in).

    With `keep`, `destination` must be a folder: once the new copy is verified, only the
    newest `keep` backups in it stay (by their names; other files are never touched).
    """
    source_path = _require_sqlite(settings, "back up")
    if not source_path.exists():
        raise OpsError(f"there is no database at {source_path} yet", EXIT_CONFIG)
    if keep is not None and (keep < 1 or not destination.is_dir()):
        raise OpsError(
            "--keep N needs N of at least 1 and an existing folder to back up into",
            EXIT_CONFIG,
        )
    folder = destination if destination.is_dir() else None
    if folder is not None:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        destination = folder / f"kesimpta-{stamp}.db"
    if destination.resolve() == source_path.resolve():
        raise OpsError("the backup cannot replace the database itself", EXIT_CONFIG)
    try:
        temporary = _temp_path_beside(destination)
    except OSError as error:
        raise OpsError(f"cannot write {destination}: {error.strerror}", EXIT_CONFIG) from None
    try:
        source = _open_existing(source_path)
        try:
            source.execute("PRAGMA busy_timeout=30000")
            _copy_database(source, temporary)
        finally:
            source.close()
        counts = verify_database(temporary)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    out(f"backed up {source_path} to {destination} (integrity ok)")
    _print_counts(counts, out)
    if folder is not None and keep is not None:
        removed = _prune_backups(folder, keep)
        if removed:
            out(f"removed {len(removed)} older backup(s), kept the newest {keep}")
    return EXIT_OK


def _prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `folder` (named `BACKUP_NAME`)."""
    backups = sorted(path for path in folder.iterdir() if BACKUP_NAME.fullmatch(path.name))
    old = backups[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def restore(settings: Settings, backup_file: Path, out: Print = print) -> int:
    """Replace the database with `backup_file`, only while no bot runs, then migrate it."""
    from storage.db import current_revision, upgrade_database

    target = _require_sqlite(settings, "restore")
    if not backup_file.is_file():
        raise OpsError(f"{backup_file} is not a file", EXIT_CONFIG)
    counts = verify_database(backup_file)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    refusal = (
        f"the bot is running (it holds {lock_path(settings.data_dir)}): stop it first, "
        "then restore; nothing was changed"
    )
    with exclusive_data_dir(settings.data_dir, refusal):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = _temp_path_beside(target)
        try:
            source = _open_existing(backup_file, read_only=True)
            try:
                _copy_database(source, temporary)
            finally:
                source.close()
            kept = _set_aside(target)
            os.replace(temporary, target)
            _fsync_directory(target.parent)
        finally:
            temporary.unlink(missing_ok=True)
        url = settings.effective_database_url
        asyncio.run(upgrade_database(url))
        revision = asyncio.run(current_revision(url))
    out(f"restored {backup_file} to {target}, schema at revision {revision}")
    if kept is not None:
        out(f"the previous database is kept as {kept}")
    _print_counts(counts, out)
    return EXIT_OK


# --- moving to PostgreSQL ----------------------------------------------------------------------

_ASYNCPG = "postgresql+asyncpg"


def _postgres_target(url: str) -> str:
    """The target as the bot's driver needs it (`postgresql://` gets `+asyncpg`)."""
    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy's ArgumentError, or a bad port number
        raise OpsError(
            "the target is not a database URL; give postgresql+asyncpg://user:password@host/db",
            EXIT_CONFIG,
        ) from None
    if parsed.drivername not in ("postgresql", _ASYNCPG) or not parsed.database:
        raise OpsError(
            "copy-to fills a PostgreSQL database; give postgresql+asyncpg://user:password@host/db"
            f" (not {parsed.drivername})",
            EXIT_CONFIG,
        )
    return parsed.set(drivername=_ASYNCPG).render_as_string(hide_password=False)


def copy_to(settings: Settings, target_url: str, out: Print = print) -> int:
    """Copy the SQLite database into an empty PostgreSQL database, only while no bot runs.

    The SQLite file is brought to the newest schema (as a start would) and otherwise left as
    it is; the copy is one transaction on PostgreSQL, all or nothing.
    """
    from storage.transfer import CopyMismatch, TargetNotEmpty, copy_database

    source_url = settings.effective_database_url
    source_path = sqlite_path(source_url)
    if source_path is None:
        raise OpsError(
            f"copy-to moves a SQLite database; DATABASE_URL is {describe_database(source_url)}",
            EXIT_CONFIG,
        )
    if not source_path.exists():
        raise OpsError(
            f"there is no database at {source_path}: nothing to copy (set DATABASE_URL to the "
            "PostgreSQL database and start the bot)",
            EXIT_CONFIG,
        )
    target = _postgres_target(target_url)
    where = database_location(target)
    refusal = (
        f"the bot is running (it holds {lock_path(settings.data_dir)}): stop it first, "
        "then copy; nothing was copied"
    )
    with exclusive_data_dir(settings.data_dir, refusal):
        unreachable = asyncio.run(probe_database(target))
        if unreachable is not None:
            raise OpsError(f"cannot reach the database at {where}: {unreachable}", EXIT_UNAVAILABLE)
        try:
            report = asyncio.run(copy_database(source_url, target))
        except TargetNotEmpty as refused:
            raise OpsError(
                f"{where}: {refused}; copy-to only fills an empty database, nothing was copied",
                EXIT_CONFIG,
            ) from None
        except CopyMismatch as mismatch:
            raise OpsError(f"{where}: {mismatch}; nothing was kept", EXIT_SOFTWARE) from None
        except Exception as error:  # the server went away, or refused a row
            # The type only: a database's message may quote the row it refused, health data.
            failure = type(error.__cause__ or error).__name__
            raise OpsError(
                f"the copy into {where} failed ({failure}); it was one transaction, so nothing"
                " was kept: fix the cause and run copy-to again",
                EXIT_UNAVAILABLE,
            ) from None
    out(f"copied {source_path} to {where}: {report.total} row(s), one transaction")
    _print_counts(report.rows, out)
    shown = make_url(target).render_as_string(hide_password=True)
    out(f"next: set DATABASE_URL={shown} (with the real password) and start the bot.")
    out(f"{source_path} is unchanged apart from migrations: keep it as a backup.")
    return EXIT_OK


def _set_aside(target: Path) -> Path | None:
    """Fold the old database's WAL into it, keep it as `.before-restore`, drop its -wal/-shm."""
    kept: Path | None = None
    if target.exists():
        with contextlib.closing(_open_existing(target)) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        kept = target.with_name(target.name + BEFORE_RESTORE_SUFFIX)
        os.replace(target, kept)
    # A WAL left beside the restored file would be replayed into it and corrupt it.
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    return kept


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- health ----------------------------------------------------------------------------------

_heartbeat_failures_logged: set[Path] = set()


def heartbeat_path(data_dir: Path) -> Path:
    return data_dir / HEARTBEAT_FILE


def touch_heartbeat(data_dir: Path) -> None:
    """Record that the dispatcher just made progress (a failure is logged once, never raised)."""
    path = heartbeat_path(data_dir)
    try:
        path.write_text(f"{time.time():.0f}\n")
    except OSError as error:
        if path not in _heartbeat_failures_logged:
            _heartbeat_failures_logged.add(path)
            log.warning("cannot write the health heartbeat %s: %s", path, error.strerror)


def heartbeat_max_age(settings: Settings) -> float:
    """Stale after 120 s, or three dispatch intervals when those are longer."""
    return max(HEARTBEAT_MAX_AGE_SECONDS, 3 * settings.dispatch_interval_seconds)


def health(settings: Settings, out: Print = print, *, now: float | None = None) -> int:
    """0 if the dispatcher ticked recently (the heartbeat is fresh), 1 otherwise."""
    path = heartbeat_path(settings.data_dir)
    try:
        modified = path.stat().st_mtime
    except OSError:
        out(f"unhealthy: no heartbeat at {path} (is the bot running?)")
        return EXIT_UNHEALTHY
    age = (time.time() if now is None else now) - modified
    limit = heartbeat_max_age(settings)
    if age > limit:
        out(f"unhealthy: last dispatch pass {age:.0f} s ago (limit {limit:.0f} s)")
        return EXIT_UNHEALTHY
    out(f"healthy: last dispatch pass {max(age, 0):.0f} s ago")
    return EXIT_OK
