"""`kesimpta-bot console`, driven through its standard input like a person at a terminal."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = "\n".join(
    [
        "/start",
        "1",  # I agree
        "1",  # first injection: not yet
        "2026-01-03",  # planned Week 0
        "9:00",  # reminder time
        "London",  # time zone
        "1",  # yes, that's right
        "1",  # I inject myself
        "1",  # yes, start reminders
        "/wait until 2026-01-03 09:00",
        "/quit",
        "",
    ]
)


def test_console_onboards_and_delivers_the_dose_reminder_on_a_simulated_clock() -> None:
    """/start, onboarding answered by typing, /wait to the dose time: the dose reminder shows,
    with the heads-up and the prep reminder before it, each at its own simulated time."""
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--start", "2026-01-02 08:00"],
        input=SCRIPT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = completed.stdout
    assert "You're all set" in out, out[-3000:]
    heads_up = out.index("--- Fri 2 Jan 2026 09:00 (Europe/London)")
    prep = out.index("--- Sat 3 Jan 2026 08:30 (Europe/London)")
    dose = out.index("Time for dose 1 of Kesimpta.")
    assert heads_up < out.index("Tomorrow (Sat 3 Jan) at 09:00") < prep < dose
    assert "[1] Injected in left thigh" in out[dose:]
    assert out.rstrip().endswith("Bye.")
