"""The `kesimpta-bot` command (same as `python -m bot`): run the bot, migrate, preview a plan,
and operate it (check, backup, restore, health)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from bot.config import ConfigError, load_settings
from bot.ops import OpsError
from bot.plan_preview import PlanArgumentError, add_plan_parser

EXIT_USAGE = 2
EXIT_CONFIG = 78  # EX_CONFIG from sysexits.h: systemd and operators recognise it


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are a single line (and exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="kesimpta-bot",
        description="A Telegram reminder bot for people who inject Kesimpta (ofatumumab).",
    )
    subparsers = parser.add_subparsers(title="commands", parser_class=OneLineParser)
    run = subparsers.add_parser("run", help="start the bot (the default)")
    run.set_defaults(handler=run_bot)
    migrate = subparsers.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(handler=migrate_database)
    add_plan_parser(subparsers)
    console = subparsers.add_parser(
        "console", help="try the bot in this terminal: no token, no network, a simulated clock"
    )
    console.add_argument("--db", type=Path, help="keep the chat in this SQLite file")
    console.add_argument(
        "--start", type=_utc_minute, metavar="'YYYY-MM-DD HH:MM'", help="simulated start (UTC)"
    )
    console.set_defaults(handler=run_console)
    check = subparsers.add_parser(
        "check", help="validate settings, reach the database and Telegram, print what was found"
    )
    check.set_defaults(handler=check_configuration)
    backup = subparsers.add_parser(
        "backup", help="copy the SQLite database to PATH (safe while the bot runs)"
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="a file, or a folder to put it in")
    backup.add_argument(
        "--keep",
        type=int,
        metavar="N",
        help="into a folder: then delete all but the newest N backups there",
    )
    backup.set_defaults(handler=backup_database)
    restore = subparsers.add_parser(
        "restore", help="replace the SQLite database with the backup at PATH (bot stopped)"
    )
    restore.add_argument("path", type=Path, metavar="PATH")
    restore.set_defaults(handler=restore_database)
    copy_to = subparsers.add_parser(
        "copy-to", help="copy the SQLite database into an empty PostgreSQL database (bot stopped)"
    )
    copy_to.add_argument("url", metavar="URL", help="postgresql+asyncpg://user:password@host/db")
    copy_to.set_defaults(handler=copy_to_postgres)
    health = subparsers.add_parser(
        "health", help="exit 0 if the running bot's dispatcher ticked recently (for Docker)"
    )
    health.set_defaults(handler=report_health)
    parser.set_defaults(handler=run_bot)
    return parser


def _utc_minute(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (use 'YYYY-MM-DD HH:MM')") from None


def run_console(args: argparse.Namespace) -> int:
    """Chat with the real bot in the terminal, offline, on a simulated clock."""
    from bot.devtools.console import main as console_main

    return console_main(args.db, args.start)


def run_bot(args: argparse.Namespace) -> int:
    """Start the bot with the settings from the environment."""
    from bot.__main__ import start  # the composition root; imported only when running

    settings = load_settings()
    return start(settings)


def migrate_database(args: argparse.Namespace) -> int:
    """Apply every pending database migration and say which revision the database is at."""
    from storage.db import current_revision, upgrade_database

    settings = load_settings()
    url = settings.effective_database_url
    asyncio.run(upgrade_database(url))
    print(f"database is at revision {asyncio.run(current_revision(url))}")
    return 0


def check_configuration(args: argparse.Namespace) -> int:
    """Check every setting and connection the bot needs, without starting it."""
    from bot.ops import check

    return check(load_settings)


def backup_database(args: argparse.Namespace) -> int:
    """Make a verified online copy of the SQLite database."""
    from bot.ops import backup

    return backup(load_settings(), args.path, keep=args.keep)


def restore_database(args: argparse.Namespace) -> int:
    """Put a backup in place of the database, then migrate it; refused while the bot runs."""
    from bot.ops import restore

    return restore(load_settings(), args.path)


def copy_to_postgres(args: argparse.Namespace) -> int:
    """Move a deployment: copy every row of the SQLite database into an empty PostgreSQL one."""
    from bot.ops import copy_to

    return copy_to(load_settings(), args.url)


def report_health(args: argparse.Namespace) -> int:
    """Whether the running bot's dispatcher has ticked recently."""
    from bot.ops import health

    return health(load_settings())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except PlanArgumentError as error:
        print(f"kesimpta-bot plan: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as error:
        print(f"kesimpta-bot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except OpsError as error:
        print(f"kesimpta-bot: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
