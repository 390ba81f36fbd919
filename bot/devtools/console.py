"""`kesimpta-bot console`: try the bot in a terminal, with no token and no network.

The real bot runs against the in-process fake Bot API, on a simulated clock the person moves
with `/wait`; every reminder that falls due on the way is delivered at its own time.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.clock import ManualClock, system_clock
from bot.devtools.fake_bot_api import run_fake_bot_api
from bot.devtools.fake_models import BotOutput
from bot.devtools.harness import RunningBot, running_bot, settings_for_fake
from bot.devtools.patient import Patient
from bot.logs import configure_logging
from scheduling.wallclock import local_instant
from storage.patients import PatientRepository

USER_ID = 1
REPLY_TIMEOUT = 5.0  # how long to wait for the bot's first answer to something you typed
QUIET_PERIOD = 0.4  # the bot is done answering once it has been quiet this long
MAX_PASSES = 100_000  # a bound on dispatcher passes in one /wait

INTRO = """\
Kesimpta bot console: you are chatting with the real bot, offline, on a simulated clock.
  type text to send it; a number presses that button; /location LAT LON shares a location
  /wait 2h | /wait 7d | /wait 30m | /wait until 2026-02-02 09:00   move the clock forward
  /now shows the simulated time; /quit leaves
Simulated time: {now}. Send /start to begin.
"""
DURATION = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
UNTIL = re.compile(r"^until\s+(\d{4}-\d{2}-\d{2})\s+(\d{1,2}):(\d{2})$")
UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_wait(argument: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant `/wait <argument>` moves to: a duration, or `until YYYY-MM-DD HH:MM`."""
    argument = argument.strip().lower()
    match = DURATION.match(argument)
    if match:
        return now + timedelta(**{UNITS[match[2]]: int(match[1])})
    match = UNTIL.match(argument)
    if match is None:
        return None
    try:
        day, wall = date.fromisoformat(match[1]), time(int(match[2]), int(match[3]))
    except ValueError:
        return None
    target = local_instant(day, wall, zone)
    return target if target >= now else None


class Console:
    """One person's chat with the bot, printed to `out`."""

    def __init__(
        self, running: RunningBot, clock: ManualClock, patient: Patient, out: TextIO
    ) -> None:
        self.running = running
        self.clock = clock
        self.patient = patient
        self.out = out
        self._printed = 0

    async def zone(self) -> ZoneInfo:
        """The patient's time zone once they have one, else UTC."""
        async with self.running.services.database.sessions() as session:
            stored = await PatientRepository(session).get_by_telegram_id(USER_ID)
        return ZoneInfo(stored.settings.time_zone if stored is not None else "UTC")

    async def describe_now(self) -> str:
        zone = await self.zone()
        local = self.clock().astimezone(zone)
        return f"{local:%a} {local.day} {local:%b %Y %H:%M} ({zone.key})"

    def show_new_output(self) -> None:
        outputs = self.patient.chat.outputs
        for output in outputs[self._printed :]:
            self._print(output)
        self._printed = len(outputs)

    def _print(self, output: BotOutput) -> None:
        message = output.message
        if output.kind == "deleted":
            return
        label = "bot" if output.kind == "sent" else "bot (edited)"
        print(f"\n{label}> {message.text or message.caption or ''}", file=self.out)
        for number, button in enumerate(message.buttons, start=1):
            print(f"   [{number}] {button}", file=self.out)
        keyboard = message.reply_markup or {}
        for row in keyboard.get("keyboard", []):
            for button in row:
                text = button if isinstance(button, str) else button.get("text")
                print(f"   (reply) {text}", file=self.out)
        self.out.flush()

    async def _await_answer(self, action: Callable[[], Awaitable[object]]) -> None:
        """Do `action`, then print what the bot answers until it goes quiet."""
        chat = self.patient.chat
        before = len(chat.outputs)
        await action()
        fake = self.running.fake
        try:
            await fake.wait_for(lambda: len(chat.outputs) > before, timeout=REPLY_TIMEOUT)
        except TimeoutError:
            print("(no answer)", file=self.out)
            return
        while await self._more_output_within(QUIET_PERIOD):
            pass
        self.show_new_output()

    async def _more_output_within(self, seconds: float) -> bool:
        chat = self.patient.chat
        seen = len(chat.outputs)
        try:
            await self.running.fake.wait_for(lambda: len(chat.outputs) > seen, timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def wait_until(self, target: datetime) -> None:
        """Move the clock to `target`, delivering each reminder at its own time on the way."""
        dispatcher = self.running.services.dispatcher
        for _ in range(MAX_PASSES):
            wake = await dispatcher.next_wake()
            if wake is None or wake > target:
                break
            if wake > self.clock():
                self.clock.set(wake)
            report = await self.running.dispatch()
            if report.total == 0:
                break
            if report.sent:
                print(f"\n--- {await self.describe_now()}", file=self.out)
            self.show_new_output()
        self.clock.set(max(target, self.clock()))

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        command, _, argument = line.partition(" ")
        if command in ("/quit", "/exit"):
            return False
        if command == "/now":
            print(f"Simulated time: {await self.describe_now()}", file=self.out)
        elif command == "/wait":
            target = parse_wait(argument, self.clock(), await self.zone())
            if target is None:
                print("Try /wait 2h, /wait 7d or /wait until 2026-02-02 09:00", file=self.out)
            else:
                await self.wait_until(target)
                print(f"Simulated time: {await self.describe_now()}", file=self.out)
        elif command == "/location":
            try:
                latitude, longitude = (float(part) for part in argument.split())
            except ValueError:
                print("Try /location 51.5 -0.12", file=self.out)
            else:
                await self._await_answer(lambda: self.patient.send_location(latitude, longitude))
        elif line.isdigit() and self.patient.buttons:
            buttons = self.patient.buttons
            index = int(line) - 1
            if 0 <= index < len(buttons):
                await self._await_answer(lambda: self.patient.press(buttons[index]))
            else:
                print(f"Choose a button from 1 to {len(buttons)}", file=self.out)
        else:
            await self._await_answer(lambda: self.patient.send(line))
        self.out.flush()
        return True


async def run_console(
    *, database: Path | None, start: datetime | None, stdin: TextIO, out: TextIO
) -> int:
    """Run the console until the person quits or standard input ends."""
    configure_logging("WARNING")
    clock = ManualClock(start or system_clock().replace(second=0, microsecond=0))
    with tempfile.TemporaryDirectory(prefix="kesimpta-console-") as scratch:
        path = database or Path(scratch) / "console.db"
        async with run_fake_bot_api() as fake:
            settings = settings_for_fake(fake, f"sqlite+aiosqlite:///{path}")
            async with running_bot(fake, settings, clock=clock) as running:
                patient = fake.patient(user_id=USER_ID, first_name="You")
                console = Console(running, clock, patient, out)
                print(INTRO.format(now=await console.describe_now()), file=out)
                out.flush()
                loop = asyncio.get_running_loop()
                while True:
                    print("you> ", end="", file=out)
                    out.flush()
                    line = await loop.run_in_executor(None, stdin.readline)
                    if not line or not await console.handle(line):
                        break
    print("\nBye.", file=out)
    return 0


def main(database: Path | None, start: datetime | None) -> int:
    return asyncio.run(run_console(database=database, start=start, stdin=sys.stdin, out=sys.stdout))
