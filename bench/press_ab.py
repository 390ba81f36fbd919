"""Button presses per second of this checkout against another revision, in alternated runs.

The machine this runs on is shared, and its speed drifts by a third within an hour, so a
figure of one build from one hour says little against another build's from another hour. This
runs `bench.load`'s press measurement (1,000 presses, bot as built) for both builds in turn,
`--pairs` times (which build goes first alternates), and prints every run, each build's median,
and the median of the per-pair ratios, with the bot process's CPU time per press (utime +
stime while it handles the presses, /proc) and the share of the machine's CPU time the
hypervisor gave to other guests meanwhile (steal).

REV is checked out into a temporary git worktree, removed at the end. The databases are seeded
by this checkout's code, so REV must have the same migrations (checked). Not part of the test
suite. Run from the repository root:

    .venv/bin/python -m bench.press_ab a91f273 --pairs 5
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bench.load as load
from bench.dispatch import median, table

HERE = load.ROOT
MIGRATIONS = Path("storage/migrations/versions")


def _migrations(root: Path) -> list[str]:
    return sorted(path.name for path in (root / MIGRATIONS).glob("*.py"))


@contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """`revision` checked out (detached) in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="press-ab-")) / "tree"
    subprocess.run(
        ["git", "worktree", "add", "--quiet", "--detach", str(folder), revision],
        cwd=HERE,
        check=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=HERE, check=False)


def measure(root: Path, work: Path, run: int, patients: int, background: int) -> dict[str, Any]:
    """One `measure_presses` run of the bot in `root` (its CPU time per press included)."""
    load.ROOT = root
    try:
        return load.measure_presses(work, run, patients, background, "built")
    finally:
        load.ROOT = HERE


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.press_ab", description=__doc__)
    parser.add_argument("revision", help="the build to compare against (any git revision)")
    parser.add_argument("--pairs", type=int, default=5, help="runs of each build (default 5)")
    parser.add_argument("--patients", type=int, default=1000, help="presses per run")
    args = parser.parse_args(argv)
    with worktree(args.revision) as other, tempfile.TemporaryDirectory() as scratch:
        if _migrations(other) != _migrations(HERE):
            raise SystemExit(f"{args.revision} has other migrations than this checkout")
        builds = {args.revision: other, "this checkout": HERE}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in builds}
        for pair in range(args.pairs):
            order = list(builds) if pair % 2 == 0 else list(reversed(builds))
            for name in order:
                load.progress(f"pair {pair + 1}/{args.pairs}: {name}")
                work = Path(scratch) / f"{pair}-{len(runs[name])}-{name.replace(' ', '-')}"
                work.mkdir()
                runs[name].append(measure(builds[name], work, pair, args.patients, 10_000))
    rows = [
        [
            name,
            ", ".join(f"{r['replies_per_s']:.0f}" for r in runs[name]),
            f"{median([r['replies_per_s'] for r in runs[name]]):.1f}/s",
            f"{median([r['cpu_ms_per_press'] for r in runs[name]]):.2f} ms",
            f"{median([r['steal_pct'] for r in runs[name]]):.1f}%",
        ]
        for name in builds
    ]
    print(f"\nbench/press_ab.py — {args.pairs} alternated pairs of {args.patients:,} presses")
    headers = ["build", "presses handled/s, each run", "median", "bot CPU per press", "CPU stolen"]
    print(table(headers, rows))
    base, new = (runs[name] for name in builds)
    ratios = [n["replies_per_s"] / b["replies_per_s"] for b, n in zip(base, new, strict=True)]
    print(f"  this checkout / {args.revision}, median of the pairs' ratios: {median(ratios):.2f}×")
    print(f"\nReproduce: .venv/bin/python -m bench.press_ab {args.revision} --pairs {args.pairs}")


if __name__ == "__main__":
    main()
