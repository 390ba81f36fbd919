"""`kesimpta-bot plan`: preview the next doses for a course described on the command line."""

from __future__ import annotations

import argparse
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduling.model import Course, InjectedDose, MaintenanceMode, ReminderSettings
from scheduling.regimen import mid_treatment_course, upcoming_doses
from scheduling.timeline import dose_time

MODES = {"monthly": MaintenanceMode.MONTHLY, "every-4-weeks": MaintenanceMode.EVERY_4_WEEKS}
MAX_COUNT = 1000


class PlanArgumentError(ValueError):
    """The arguments do not describe a course; the message is one line for the user."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _time(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (use HH:MM, e.g. 09:00)")
    return time(int(match[1]), int(match[2]))


def _zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder
        raise argparse.ArgumentTypeError(
            f"unknown time zone: {text!r} (use an IANA name such as Europe/London)"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_COUNT}: {text!r}")
    return value


def add_plan_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="preview the next doses the bot would plan",
        description="Print the next doses not yet injected, assuming each is injected on its "
        "planned date.",
    )
    parser.add_argument("--first-dose", type=_date, metavar="DATE", help="planned Week 0")
    parser.add_argument(
        "--injected",
        type=_date,
        nargs="+",
        metavar="DATE",
        help="dates doses 1, 2, 3 ... were actually injected, in order",
    )
    parser.add_argument("--last-dose", type=_date, metavar="DATE", help="already on treatment")
    parser.add_argument("--last-dose-number", type=_positive, metavar="N")
    parser.add_argument("--mode", choices=sorted(MODES), default="monthly")
    parser.add_argument("--count", type=_positive, default=6, metavar="N")
    parser.add_argument("--at", type=_time, metavar="HH:MM", help="local reminder time")
    parser.add_argument("--tz", type=_zone, metavar="ZONE", help="IANA time zone")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_plan)


def course_from_args(args: argparse.Namespace) -> Course:
    """The course the arguments describe, or a one-line `PlanArgumentError`."""
    mode = MODES[args.mode]
    if (args.last_dose is None) != (args.last_dose_number is None):
        raise PlanArgumentError("--last-dose and --last-dose-number go together")
    if args.last_dose is not None:
        if args.first_dose is not None or args.injected:
            raise PlanArgumentError(
                "use either --last-dose/--last-dose-number or --first-dose/--injected"
            )
        return mid_treatment_course(args.last_dose, args.last_dose_number, mode)
    injected = tuple(InjectedDose(n, day) for n, day in enumerate(args.injected or (), start=1))
    if any(later.injected_on < earlier.injected_on for earlier, later in _pairs(injected)):
        raise PlanArgumentError("--injected dates must be in the order the doses were injected")
    if args.first_dose is None and not injected:
        raise PlanArgumentError("give --first-dose, --injected or --last-dose")
    return Course(mode=mode, first_dose_date=args.first_dose, injected=injected)


def _pairs(doses: Sequence[InjectedDose]) -> list[tuple[InjectedDose, InjectedDose]]:
    return list(itertools.pairwise(doses))


@dataclass(frozen=True, slots=True)
class PreviewRow:
    number: int
    due_on: date
    remind_at: datetime | None


def preview(course: Course, count: int, at: time | None, zone: ZoneInfo | None) -> list[PreviewRow]:
    settings = ReminderSettings(time_zone=zone.key, reminder_time=at) if at and zone else None
    return [
        PreviewRow(dose.number, dose.due_on, dose_time(dose, settings) if settings else None)
        for dose in upcoming_doses(course, count)
    ]


def render_json(rows: Sequence[PreviewRow]) -> str:
    items: list[dict[str, object]] = []
    for row in rows:
        item: dict[str, object] = {"number": row.number, "date": row.due_on.isoformat()}
        if row.remind_at is not None:
            item["remind_at"] = row.remind_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        items.append(item)
    return json.dumps(items, indent=2)


def render_table(rows: Sequence[PreviewRow], zone: ZoneInfo | None) -> str:
    lines = ["dose  date" + ("              reminder" if zone else "")]
    for row in rows:
        line = f"{row.number:>4}  {row.due_on:%a %Y-%m-%d}"
        if row.remind_at is not None and zone is not None:
            local = row.remind_at.astimezone(zone)
            line += f"    {local:%H:%M} {zone.key} = {row.remind_at:%Y-%m-%d %H:%M} UTC"
        lines.append(line)
    return "\n".join(lines)


def run_plan(args: argparse.Namespace) -> int:
    if (args.at is None) != (args.tz is None):
        raise PlanArgumentError("--at and --tz go together")
    course = course_from_args(args)
    rows = preview(course, args.count, args.at, args.tz)
    print(render_json(rows) if args.json else render_table(rows, args.tz))
    return 0
