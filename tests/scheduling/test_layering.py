"""The pure core stays pure: `scheduling/` imports only the standard library (never Telegram,
the database or the bot), and its pure modules never read the clock (DESIGN.md "Layers")."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import scheduling

PACKAGE_DIR = Path(scheduling.__file__).resolve().parent
MODULES = sorted(PACKAGE_DIR.rglob("*.py"))
# The dispatcher is the one module that may take the time from an injected clock's default.
IMPURE = {"dispatcher.py"}
PURE_MODULES = [path for path in MODULES if path.name not in IMPURE]

FORBIDDEN_TOP_LEVEL = {"telegram", "sqlalchemy", "bot", "storage", "aiohttp", "alembic"}
CLOCK_READS = {
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "time.time",
    "time.time_ns",
}


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE_DIR.parent))


def imported_modules(tree: ast.AST, package: str = "scheduling") -> Iterator[str]:
    """Every absolute module name an `import` or `from ... import` in `tree` refers to."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                yield node.module
            else:
                # `from . import x` inside scheduling/ stays in scheduling; `from .. import x`
                # climbs out of it (to whatever sits next to it: bot, storage ...).
                parents = package.split(".")[: max(len(package.split(".")) - node.level + 1, 0)]
                base = ".".join(parents)
                if node.module:
                    yield f"{base}.{node.module}" if base else node.module
                else:
                    for alias in node.names:
                        yield f"{base}.{alias.name}" if base else alias.name


def clock_reads(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every reference to a clock-reading function, through aliases
    (`from datetime import datetime as dt; dt.now()`, `from time import time`)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def dotted(node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            name = dotted(node)
            if name in CLOCK_READS:
                yield node.lineno, name


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE_DIR.parent).parent.parts)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_core_modules_exist() -> None:
    """The layering tests see the scheduling package (so they cannot pass vacuously)."""
    names = {path.name for path in MODULES}
    assert {
        "model.py",
        "regimen.py",
        "wallclock.py",
        "timeline.py",
        "sites.py",
        "planner.py",
    } <= names


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_scheduling_never_imports_telegram_the_database_or_the_bot(path: Path) -> None:
    """No module under scheduling/ imports telegram, sqlalchemy, bot, storage, aiohttp or
    alembic, directly or through a relative import."""
    found = {
        name
        for name in imported_modules(parse(path), package_of(path))
        if name.split(".")[0] in FORBIDDEN_TOP_LEVEL
    }
    assert not found, f"{_name(path)} imports {sorted(found)}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_scheduling_imports_only_the_standard_library_and_itself(path: Path) -> None:
    """scheduling/ imports only the standard library (zoneinfo, datetime, dataclasses ...)."""
    allowed = set(sys.stdlib_module_names) | {"scheduling", "__future__"}
    outside = {
        name
        for name in imported_modules(parse(path), package_of(path))
        if name.split(".")[0] not in allowed
    }
    assert not outside, f"{_name(path)} imports {sorted(outside)}"


@pytest.mark.parametrize("path", PURE_MODULES, ids=_name)
def test_pure_modules_never_read_the_clock(path: Path) -> None:
    """`now` is an argument: no pure module calls datetime.now/utcnow/today, date.today or
    time.time (through any alias)."""
    reads = list(clock_reads(parse(path)))
    assert not reads, f"{_name(path)} reads the clock at {reads}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from datetime import datetime\nx = datetime.now()", ["datetime.datetime.now"]),
        ("import datetime\nx = datetime.datetime.utcnow()", ["datetime.datetime.utcnow"]),
        ("import datetime as dt\nx = dt.date.today()", ["datetime.date.today"]),
        ("from datetime import date as d\nx = d.today()", ["datetime.date.today"]),
        ("import time\nx = time.time()", ["time.time"]),
        ("from time import time\nx = time()", ["time.time"]),
        ("from datetime import datetime\nclock = datetime.now", ["datetime.datetime.now"]),
        ("from datetime import datetime, time\nx = datetime.combine(d, time(9))", []),
        ("from datetime import UTC, datetime\nx = datetime(2026, 1, 1, tzinfo=UTC)", []),
    ],
)
def test_the_clock_check_sees_through_aliases(source: str, expected: list[str]) -> None:
    """The clock check finds reads however datetime and time were imported, and only those."""
    assert [name for _, name in clock_reads(ast.parse(source))] == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import telegram.ext", ["telegram.ext"]),
        ("from sqlalchemy.orm import Session", ["sqlalchemy.orm"]),
        ("from .. import storage", ["storage"]),
        ("from ..bot import texts", ["bot"]),
        ("from . import regimen", ["scheduling.regimen"]),
        ("from .model import Course", ["scheduling.model"]),
    ],
)
def test_the_import_check_resolves_relative_imports(source: str, expected: list[str]) -> None:
    """Relative imports are resolved from scheduling/, so `from ..bot import x` is caught."""
    assert list(imported_modules(ast.parse(source))) == expected
