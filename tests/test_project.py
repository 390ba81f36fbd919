"""Promises about the project itself: the README's two commands and what CI runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    lines = [line for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_quick_start_has_exactly_two_commands() -> None:
    """One command sets up and starts the bot, one sets up and runs the tests."""
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    start, tests = commands
    assert start.endswith("kesimpta-bot")
    assert tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run extracts the README's test command itself, so the two cannot drift."""
    script = ROOT / ".ci" / "run"
    extracted = subprocess.run(
        ["bash", "-c", "grep -A1 -m1 '^# set up and run the tests' README.md | tail -n 1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert extracted == quick_start_commands()[1]
    assert "'^# set up and run the tests' README.md" in script.read_text()
