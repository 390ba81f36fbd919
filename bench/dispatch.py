"""Benchmark of the reminder dispatcher (outbox on SQLite) against python-telegram-bot's JobQueue.

Measures, with the real migrations, `SqlReminderStore` and `Dispatcher` (default policy):

1. For 10k, 100k and 1M pending reminders over a month (~12 per patient, mixed kinds and
   priorities), in a fresh process per size: the RSS after a dispatch pass over the rows due in
   the first minute (target: RSS at 1M <= 1.1 x RSS at 10k), the time to claim a batch of 500
   fresh due rows (median of 20; also with the whole month overdue), and SQLite's query plan
   for the claim.
2. A burst of 100k reminders due in the same second: due instant -> handed to a counting
   notifier (no I/O, no rate limiter), per-reminder p50/p95/max, and rows never handed over
   (target: all within 10 s, 0 dropped). Optionally a smaller burst through the real
   `TelegramNotifier` and the project's fake Bot API (HTTP on localhost, no rate limiter).
3. The same burst through PTB's JobQueue with default settings (`run_once` per reminder):
   how many fired, how many never did (APScheduler's 1 s misfire grace), scheduling time, RSS
   per job.

Every measurement runs in its own process (`bench/_dispatch_worker.py`); everything is written
to a temporary directory that is removed at the end. Not part of the test suite. Run:

    .venv/bin/python bench/dispatch.py            # the full run (about 7 minutes on 2 cores)
    .venv/bin/python bench/dispatch.py --quick    # a smoke run, under a minute
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKER = "bench._dispatch_worker"
RSS_TARGET = 1.10
BURST_TARGET_S = 10.0
FULL = {"sizes": "10000,100000,1000000", "burst": 100_000, "http_burst": 3_000, "repeat": 3}
QUICK = {"sizes": "10000,50000", "burst": 20_000, "http_burst": 1_000, "repeat": 1}


class WorkerFailed(RuntimeError):
    pass


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _result_of(stdout: str, stderr: str, what: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return result
    tail = "\n".join(stderr.strip().splitlines()[-15:])
    raise WorkerFailed(f"{what}: no result\n{tail}")


def run_worker(args: Sequence[str], *, timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh process; kill it if it overruns `timeout`."""
    command = [sys.executable, "-m", WORKER, *args]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=_worker_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise WorkerFailed(f"{args[0]}: killed after {timeout:.0f} s") from error
    return _result_of(done.stdout, done.stderr, " ".join(args[:2]))


@contextmanager
def fake_bot_api(users: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """The project's fake Bot API in its own process (so it does not share the bot's CPU)."""
    process = subprocess.Popen(
        [sys.executable, "-m", WORKER, "fake-api", "--users", str(users)],
        cwd=ROOT,
        env=_worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    counts: dict[str, Any] = {}
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("FAKE_BOT_API_URL="):
            raise WorkerFailed(f"fake Bot API did not start: {line!r}")
        yield line.strip().split("=", 1)[1], counts
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
        counts.update(_result_of(stdout, stderr, "fake-api"))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@dataclass
class Scratch:
    """The temporary directory: database templates, and copies that each run may change."""

    root: Path
    _runs: int = 0

    def template(self, name: str) -> Path:
        return self.root / f"{name}.db"

    @contextmanager
    def copy_of(self, template: Path) -> Iterator[Path]:
        self._runs += 1
        path = self.root / f"run-{self._runs}-{template.name}"
        shutil.copyfile(template, path)
        try:
            yield path
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- statistics and formatting -------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return statistics.median(finite) if finite else math.nan


def spread(values: Sequence[float], fmt: Callable[[float], str]) -> str:
    """The median, and the range across runs when there is more than one."""
    if len(values) <= 1:
        return fmt(median(values))
    return f"{fmt(median(values))} [{fmt(min(values))}–{fmt(max(values))}]"


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def sec(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds:.2f} s"


def mb(value: float) -> str:
    return f"{value:.1f} MB"


def count(value: float) -> str:
    return f"{value:,.0f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))

    rule = indent + "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def _short_sql(sql: str) -> str:
    """Collapse the claim's 500 bound ids into one mark."""
    return re.sub(r"\?(?:, \?){3,}", lambda m: f"?, … ({m.group(0).count('?')} ids)", sql)


def _sha(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()[:10]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


# --- the run -------------------------------------------------------------------------------


@dataclass
class Results:
    month: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    populate: dict[str, dict[str, Any]] = field(default_factory=dict)
    burst: list[dict[str, Any]] = field(default_factory=list)
    jobqueue: list[dict[str, Any]] = field(default_factory=list)
    http: list[dict[str, Any]] = field(default_factory=list)
    fake_counts: list[dict[str, Any]] = field(default_factory=list)


def jobqueue_lead(size: int) -> float:
    """Seconds between the start of scheduling and the due instant: scheduling must finish
    first. APScheduler's memory store inserts each job into a sorted list, so it is quadratic;
    measured ~26 s for 100k jobs on the 2-core machine this was written on, hence the margin."""
    return 5.0 + 50e-6 * size + 2.6e-9 * size * size


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, scratch: Scratch) -> Results:
    results = Results()
    sizes: list[int] = args.sizes
    for size in sizes:
        progress(f"populating {size:,} pending rows over a month…")
        results.populate[f"month-{size}"] = run_worker(
            [
                "populate",
                "month",
                "--db",
                str(scratch.template(f"month-{size}")),
                "--size",
                str(size),
            ],
            timeout=600,
        )
    if args.burst:
        progress(f"populating a burst of {args.burst:,} rows…")
        results.populate["burst"] = run_worker(
            [
                "populate",
                "burst",
                "--db",
                str(scratch.template("burst")),
                "--size",
                str(args.burst),
            ],
            timeout=600,
        )
    if args.http_burst:
        results.populate["doses"] = run_worker(
            [
                "populate",
                "doses",
                "--db",
                str(scratch.template("doses")),
                "--size",
                str(args.http_burst),
            ],
            timeout=600,
        )
    for repeat in range(args.repeat):
        label = f"run {repeat + 1}/{args.repeat}"
        for size in sizes:
            progress(f"{label}: {size:,} pending rows — pass, RSS, claims")
            explain = repeat == 0 and size == max(sizes)
            with scratch.copy_of(scratch.template(f"month-{size}")) as db:
                flags = ["--explain"] if explain else []
                results.month.setdefault(size, []).append(
                    run_worker(["month", "--db", str(db), *flags], timeout=300)
                )
        if args.burst:
            progress(f"{label}: outbox burst of {args.burst:,}")
            with scratch.copy_of(scratch.template("burst")) as db:
                results.burst.append(
                    run_worker(
                        ["burst", "--db", str(db), "--size", str(args.burst), "--cap", "120"],
                        timeout=300,
                    )
                )
            lead = jobqueue_lead(args.burst)
            progress(f"{label}: JobQueue burst of {args.burst:,} (due in {lead:.0f} s)")
            outcome = run_worker(
                ["jobqueue", "--size", str(args.burst), "--lead", f"{lead:.1f}", "--cap", "60"],
                timeout=lead + 180,
            )
            if outcome["slack_s"] < 0:  # scheduling ran past the due instant: not a fair run
                lead = 2 * lead - outcome["slack_s"]
                progress(f"{label}: scheduling overran the due instant; again, due in {lead:.0f} s")
                outcome = run_worker(
                    ["jobqueue", "--size", str(args.burst), "--lead", f"{lead:.1f}", "--cap", "60"],
                    timeout=lead + 180,
                )
            results.jobqueue.append(outcome)
        if args.http_burst and repeat == 0:  # once: it only shows what HTTP adds
            progress(f"{label}: TelegramNotifier + fake Bot API burst of {args.http_burst:,}")
            with (
                scratch.copy_of(scratch.template("doses")) as db,
                fake_bot_api(args.http_burst) as (url, counts),
            ):
                results.http.append(
                    run_worker(
                        [
                            "burst",
                            "--db",
                            str(db),
                            "--size",
                            str(args.http_burst),
                            "--fake-url",
                            url,
                        ],
                        timeout=300,
                    )
                )
            results.fake_counts.append(counts)
    return results


# --- the report ----------------------------------------------------------------------------


def report_month(results: Results, sizes: list[int]) -> list[tuple[str, str, str, str]]:
    print("\n1. Pending reminders on SQLite: process RSS after a dispatch pass, and the claim")
    print("   (pass: Dispatcher.run_once at the month's first minute, default DispatchPolicy;")
    print("   claim: SqlReminderStore.claim_due(limit=500) on 500 fresh due rows, 20 times)")
    rows = []
    for size in sizes:
        runs = results.month[size]
        steady = [t for r in runs for t in r["claim_steady_s"]]
        backlog = [t for r in runs for t in r["claim_backlog_s"]]
        rows.append(
            [
                count(size),
                count(results.populate[f"month-{size}"]["patients"]),
                spread([r["rss_after_pass_mb"] for r in runs], mb),
                mb(median([r["rss_after_pass_mb"] - r["rss_import_mb"] for r in runs])),
                count(median([r["handed_in_pass"] for r in runs])),
                spread([median(r["claim_steady_s"]) for r in runs], ms),
                ms(statistics.quantiles(steady, n=10)[-1]) if len(steady) > 1 else "n/a",
                ms(median(backlog)),
                mb(max(r["hwm_mb"] for r in runs)),
            ]
        )
    print(
        table(
            [
                "rows",
                "patients",
                "RSS after pass",
                "over imports",
                "due 1st min",
                "claim 500 (median)",
                "p90",
                "claim 500, month overdue",
                "peak RSS",
            ],
            rows,
        )
    )
    short = sum(r["short_claims"] for runs in results.month.values() for r in runs)
    if short:
        print(f"  note: {short} claim(s) returned fewer than 500 rows (too few rows left)")
    summary: list[tuple[str, str, str, str]] = []
    small, large = min(sizes), max(sizes)
    if small != large:
        pairs = list(zip(results.month[small], results.month[large], strict=False))
        ratios = [b["rss_after_pass_mb"] / a["rss_after_pass_mb"] for a, b in pairs]
        claim_ratio = [median(b["claim_steady_s"]) / median(a["claim_steady_s"]) for a, b in pairs]
        ratio = median(ratios)
        print(
            f"  RSS at {large:,} / RSS at {small:,} rows: {ratio:.3f} (median of same-run ratios"
            f" {', '.join(f'{r:.3f}' for r in ratios)}; target ≤ {RSS_TARGET}) → "
            f"{verdict(ratio <= RSS_TARGET)}"
        )
        print(
            f"  claim of 500 at {large:,} / at {small:,} rows: {median(claim_ratio):.2f}×"
            " (same-run ratios of medians)"
        )
        summary.append(
            (f"RSS at {large:,} rows / at {small:,}", f"{ratio:.3f}", f"≤ {RSS_TARGET}",
             verdict(ratio <= RSS_TARGET))
        )  # fmt: skip
    summary.append(
        (f"claim of 500 at {large:,} rows (median)",
         ms(median([median(r["claim_steady_s"]) for r in results.month[large]])), "—", "")
    )  # fmt: skip
    plan: list[dict[str, Any]] = next(
        (r["plan"] for r in results.month[large] if r.get("plan")), []
    )
    if plan:
        print(f"\n  EXPLAIN QUERY PLAN of the claim's statements ({large:,} rows):")
        for statement in plan:
            print(f"    {_short_sql(statement['sql'])}")
            for line in statement["plan"]:
                print(f"      {line}")
    return summary


def report_burst(results: Results, size: int) -> list[tuple[str, str, str, str]]:
    print(f"\n2./3. A burst of {size:,} reminders due in the same second")
    print("   outbox: rows in SQLite, Dispatcher woken at the due instant (next_wake), default")
    print("   DispatchPolicy, counting notifier (no I/O, rate limiter off).")
    print("   JobQueue: ApplicationBuilder().token('123:abc').build().job_queue, started without")
    print("   polling, job_queue.run_once(callback, when=<instant>) per reminder, defaults.")
    outbox, jobs = results.burst, results.jobqueue
    per_run = ", ".join
    dropped = [r["size"] - r["handed"] for r in outbox]
    never = [r["size"] - r["fired"] for r in jobs]

    def fired_spread(key: str) -> str:
        values = [r["fired_latency"][key] for r in jobs if r["fired"]]
        return spread(values, sec) if values else "— (none fired)"

    rows = [
        ["handed over / fired", per_run(count(r["handed"]) for r in outbox),
         per_run(count(r["fired"]) for r in jobs)],
        ["dropped / never fired", per_run(count(d) for d in dropped),
         per_run(f"{count(n)} ({n / size:.0%})" for n in never)],
        ["  of which misfired (>1 s late)", "—", per_run(count(r["missed_events"]) for r in jobs)],
        ["duplicates handed", per_run(count(r["duplicates"]) for r in outbox), "—"],
        ["latency p50", spread([r["handed_latency"]["p50"] for r in outbox], sec),
         fired_spread("p50")],
        ["latency p95", spread([r["handed_latency"]["p95"] for r in outbox], sec),
         fired_spread("p95")],
        ["latency max = total", spread([r["handed_latency"]["max"] for r in outbox], sec),
         fired_spread("max")],
        ["all rows recorded (pass end)", spread([r["pass_end_after_due_s"] for r in outbox], sec),
         "—"],
        ["scheduling time",
         f"{spread([results.populate['burst']['seconds']], sec)} bulk insert",
         f"{spread([r['scheduling_s'] for r in jobs], sec)} run_once×{size:,}"],
        ["RSS growth (burst / scheduling)",
         spread([r["rss_after_mb"] - r["rss_before_mb"] for r in outbox], mb),
         spread([r["rss_after_scheduling_mb"] - r["rss_before_mb"] for r in jobs], mb)],
        ["  per reminder",
         spread([(r["rss_after_mb"] - r["rss_before_mb"]) * 1024 / size for r in outbox],
                lambda v: f"{v:.2f} KB"),
         spread([r["rss_growth_per_job_kb"] for r in jobs], lambda v: f"{v:.2f} KB")],
        ["peak RSS", spread([r["hwm_mb"] for r in outbox], mb),
         spread([r["hwm_mb"] for r in jobs], mb)],
    ]  # fmt: skip
    print(table(["", "outbox dispatcher", "PTB JobQueue (defaults)"], rows))
    seconds = {k: median([r["store_seconds"][k] for r in outbox]) for k in ("claim_due", "record")}
    calls = outbox[0]["store_calls"]
    total = median([r["pass_end_after_due_s"] - r["pass_start_after_due_s"] for r in outbox])
    rest = total - sum(seconds.values())
    print(
        f"  where the outbox pass went (medians): claim_due {sec(seconds['claim_due'])}"
        f" ({calls['claim_due']} calls, {ms(seconds['claim_due'] / calls['claim_due'])} each),"
        f" record {sec(seconds['record'])} ({calls['record']} calls,"
        f" {ms(seconds['record'] / calls['record'])} each), dispatcher and notifier {sec(rest)}"
    )
    slack = [r["slack_s"] for r in jobs]
    print(
        f"  JobQueue: scheduling finished {spread(slack, sec)} before the due instant; watched"
        f" until {spread([r['observed_until_after_due_s'] for r in jobs], sec)} after it;"
        f" jobs still queued at the end: {per_run(count(r['still_queued']) for r in jobs)}"
    )
    total_handed = median([r["handed_latency"]["max"] for r in outbox])
    shares = [
        f"run {i + 1}: outbox {o['handed'] / size:.0%}, JobQueue {j['fired'] / size:.0%}"
        for i, (o, j) in enumerate(zip(outbox, jobs, strict=False))
    ]
    print(f"  reminders handed over / fired, same runs: {'; '.join(shares)}")
    return [
        (f"burst {size:,}: due → all handed (median)", sec(total_handed),
         f"≤ {BURST_TARGET_S:.0f} s", verdict(total_handed <= BURST_TARGET_S)),
        (f"burst {size:,}: dropped (every run)", per_run(count(d) for d in dropped), "0",
         verdict(max(dropped) == 0)),
        (f"JobQueue {size:,}: never fired", per_run(count(n) for n in never), "(comparison)", ""),
    ]  # fmt: skip


def report_http(results: Results, size: int) -> list[tuple[str, str, str, str]]:
    print(
        f"\n   Through the real TelegramNotifier and the fake Bot API (HTTP on localhost, its own"
        f" process), {size:,} dose reminders due at once, rate limiter off, 1 run:"
    )
    runs = results.http

    def three(key: str) -> str:
        return " / ".join(spread([r[key][k] for r in runs], sec) for k in ("p50", "p95", "max"))

    answered = ", ".join(count(c["send_message_ok"]) for c in results.fake_counts)
    throughput = [r["sent"] / r["sent_latency"]["max"] for r in runs]
    rows = [
        ["handed over", ", ".join(count(r["handed"]) for r in runs)],
        ["sendMessage answered 200 (fake)", answered],
        ["rows recorded sent", ", ".join(count(r["statuses"].get("sent", 0)) for r in runs)],
        ["handed over p50 / p95 / max", three("handed_latency")],
        ["sendMessage returned p50 / p95 / max", three("sent_latency")],
        ["throughput", spread(throughput, lambda v: f"{v:,.0f} messages/s")],
    ]
    print(table(["", "TelegramNotifier → fake Bot API"], rows))
    all_sent = median([r["sent_latency"]["max"] for r in runs])
    return [(f"HTTP burst {size:,} (fake Bot API): all sent", sec(all_sent), "(HTTP cost)", "")]


def report(args: argparse.Namespace, results: Results, wall: float) -> None:
    print(
        f"\nReminder dispatcher benchmark — SQLite {__import__('sqlite3').sqlite_version},"
        f" Python {platform.python_version()}, SQLAlchemy {_version('SQLAlchemy')},"
        f" python-telegram-bot {_version('python-telegram-bot')},"
        f" APScheduler {_version('APScheduler')}, {os.cpu_count()} CPUs"
    )
    print(
        f"measured code: scheduling/dispatcher.py {_sha(ROOT / 'scheduling/dispatcher.py')},"
        f" storage/outbox.py {_sha(ROOT / 'storage/outbox.py')} (sha1);"
        f" {args.repeat} run(s) each, medians with [min–max] across runs"
    )
    populate = ", ".join(f"{name} {r['seconds']:.1f} s" for name, r in results.populate.items())
    print(f"bulk inserts (sqlite3 executemany after the real migrations): {populate}")
    summary = report_month(results, args.sizes)
    if args.burst:
        summary += report_burst(results, args.burst)
    if args.http_burst:
        summary += report_http(results, args.http_burst)
    print("\nSummary")
    print(table(["", "measured", "target", ""], [list(row) for row in summary]))
    print(f"\nwall time {wall / 60:.1f} min. Reproduce (from the repository root):")
    print(f"  {reproduce_command(args)}", flush=True)


def reproduce_command(args: argparse.Namespace) -> str:
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(ROOT))
    except ValueError:
        shown = "python"
    sizes = ",".join(str(s) for s in args.sizes)
    return (
        f"{shown} bench/dispatch.py --sizes {sizes} --burst {args.burst}"
        f" --http-burst {args.http_burst} --repeat {args.repeat}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/dispatch.py",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--quick", action="store_true", help="a small smoke run (<1 min)")
    parser.add_argument("--sizes", help=f"pending rows, comma-separated (default {FULL['sizes']})")
    parser.add_argument("--burst", type=int, help=f"burst size, 0 to skip ({FULL['burst']})")
    parser.add_argument(
        "--http-burst",
        type=int,
        help=f"burst through the fake Bot API, 0 to skip ({FULL['http_burst']})",
    )
    parser.add_argument("--repeat", type=int, help=f"runs of each measurement ({FULL['repeat']})")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name in ("sizes", "burst", "http_burst", "repeat"):
        if getattr(args, name) is None:
            setattr(args, name, defaults[name])
    args.sizes = sorted({int(s.replace("_", "")) for s in str(args.sizes).split(",") if s})
    if not args.sizes or min(args.sizes) < 1 or args.repeat < 1:
        parser.error("--sizes needs positive numbers and --repeat at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    try:
        results = run(args, Scratch(root))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report(args, results, time.perf_counter() - started)


if __name__ == "__main__":
    main()
