"""`kesimpta-bot plan`: the public check of the regimen, its JSON and its errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import main


def run_plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    code, out, err = run_plan(capsys, *args, "--json")
    assert code == 0, err
    result: list[dict[str, object]] = json.loads(out)
    return result


def test_issue_example_through_the_real_entry_point() -> None:
    """`kesimpta-bot plan --first-dose 2026-01-03 --count 8 --json` prints the label's dates."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "plan",
            "--first-dose",
            "2026-01-03",
            "--count",
            "8",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    doses = json.loads(completed.stdout)
    assert [dose["date"] for dose in doses] == [
        "2026-01-03",
        "2026-01-10",
        "2026-01-17",
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
    ]
    assert [dose["number"] for dose in doses] == list(range(1, 9))
    assert all("remind_at" not in dose for dose in doses)


def test_default_count_is_six(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --count the next six doses are printed."""
    assert len(plan_json(capsys, "--first-dose", "2026-01-03")) == 6


def test_injected_doses_are_skipped_and_move_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    """--injected lists doses already given: the plan counts from the last one's real date."""
    doses = plan_json(
        capsys,
        "--first-dose",
        "2026-01-03",
        "--injected",
        "2026-01-03",
        "2026-01-13",
        "--count",
        "2",
    )
    # Dose 2 was 3 days late, so dose 3 is 7 days after it and dose 4 14 days after that.
    assert doses == [
        {"number": 3, "date": "2026-01-20"},
        {"number": 4, "date": "2026-02-03"},
    ]


def test_mid_treatment_start(capsys: pytest.CaptureFixture[str]) -> None:
    """A patient whose last dose was dose 6 gets dose 7 one calendar month later."""
    doses = plan_json(
        capsys, "--last-dose", "2026-01-31", "--last-dose-number", "6", "--count", "2"
    )
    assert doses == [{"number": 7, "date": "2026-02-28"}, {"number": 8, "date": "2026-03-31"}]


def test_every_four_weeks_mode(capsys: pytest.CaptureFixture[str]) -> None:
    """--mode every-4-weeks spaces maintenance doses 28 days apart."""
    doses = plan_json(
        capsys, "--first-dose", "2026-01-03", "--mode", "every-4-weeks", "--count", "6"
    )
    assert [dose["date"] for dose in doses][3:] == ["2026-01-31", "2026-02-28", "2026-03-28"]


def test_remind_at_is_the_utc_instant_of_the_local_time(capsys: pytest.CaptureFixture[str]) -> None:
    """--at/--tz add the UTC instant of each dose reminder (summer time in London is UTC+1)."""
    doses = plan_json(
        capsys,
        "--last-dose",
        "2026-05-02",
        "--last-dose-number",
        "4",
        "--at",
        "09:00",
        "--tz",
        "Europe/London",
        "--count",
        "1",
    )
    assert doses == [{"number": 5, "date": "2026-06-02", "remind_at": "2026-06-02T08:00:00Z"}]


def test_remind_at_inside_the_spring_gap(capsys: pytest.CaptureFixture[str]) -> None:
    """A reminder time that does not exist that day moves to the first valid minute."""
    doses = plan_json(
        capsys,
        "--last-dose",
        "2026-02-08",
        "--last-dose-number",
        "5",
        "--mode",
        "monthly",
        "--at",
        "02:30",
        "--tz",
        "America/New_York",
        "--count",
        "1",
    )
    # 2026-03-08 02:30 does not exist in New York; 03:00 EDT is 07:00 UTC.
    assert doses == [{"number": 6, "date": "2026-03-08", "remind_at": "2026-03-08T07:00:00Z"}]


def test_table_output_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json: one line per dose with its weekday."""
    code, out, _ = run_plan(capsys, "--first-dose", "2026-01-03", "--count", "2")
    assert code == 0
    assert out.splitlines()[1:] == ["   1  Sat 2026-01-03", "   2  Sat 2026-01-10"]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ([], "give --first-dose, --injected or --last-dose"),
        (["--first-dose", "2026-02-30"], "not a date"),
        (["--first-dose", "03/01/2026"], "not a date"),
        (["--first-dose", "2026-01-03", "--count", "0"], "whole number"),
        (["--first-dose", "2026-01-03", "--count", "many"], "whole number"),
        (["--first-dose", "2026-01-03", "--mode", "weekly"], "invalid choice"),
        (["--first-dose", "2026-01-03", "--at", "09:00"], "--at and --tz go together"),
        (["--first-dose", "2026-01-03", "--tz", "Europe/London"], "--at and --tz go together"),
        (["--first-dose", "2026-01-03", "--at", "25:00", "--tz", "UTC"], "not a time"),
        (["--first-dose", "2026-01-03", "--at", "09:00", "--tz", "Mars/Base"], "unknown time zone"),
        (["--first-dose", "2026-01-03", "--at", "09:00", "--tz", "Europe"], "unknown time zone"),
        (["--last-dose", "2026-01-03"], "go together"),
        (["--last-dose-number", "4"], "go together"),
        (
            ["--last-dose", "2026-01-03", "--last-dose-number", "4", "--first-dose", "2026-01-01"],
            "either",
        ),
        (["--injected", "2026-01-10", "2026-01-03"], "order"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    """Bad arguments: a one-line error naming the problem, exit code 2, nothing on stdout."""
    with pytest.raises(SystemExit) as exited:
        code = main(["plan", *args])
        raise SystemExit(code)
    captured = capsys.readouterr()
    assert exited.value.code == 2
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    assert complaint in captured.err
