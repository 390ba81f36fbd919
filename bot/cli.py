"""The `kesimpta-bot` command (same as `python -m bot`): run the bot, migrate, preview a plan."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import NoReturn

from bot.config import ConfigError, load_settings
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
    parser.set_defaults(handler=run_bot)
    return parser


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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
