"""Project-wide test guards."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


class _CriticalRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.CRITICAL)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_critical_log() -> Iterator[None]:
    """Any CRITICAL log line fails the test (PTB logs some failures only that way)."""
    recorder = _CriticalRecorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        yield
    finally:
        root.removeHandler(recorder)
    if recorder.records:
        lines = "\n".join(f"{r.name}: {r.getMessage()}" for r in recorder.records)
        pytest.fail(f"CRITICAL log line(s) during the test:\n{lines}")
