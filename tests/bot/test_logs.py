"""Log redaction: the bot token never reaches a log line, tracebacks included."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import REDACTED, configure_logging

TOKEN = "987654321:AAHsecretSecretSecretSecretSecret_xyz"


@pytest.fixture
def log_stream() -> io.StringIO:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("DEBUG", secrets=[TOKEN], stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)


def test_token_in_message_args_and_traceback_is_redacted(log_stream: io.StringIO) -> None:
    """httpx-style URLs, %-args and exception text all lose the token."""
    log = logging.getLogger("httpx")
    log.info('HTTP Request: POST https://api.telegram.org/bot%s/getMe "200 OK"', TOKEN)
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("boom")
    output = log_stream.getvalue()
    assert TOKEN not in output
    assert output.count(REDACTED) >= 2


def test_unknown_token_shapes_are_redacted_too(log_stream: io.StringIO) -> None:
    """Anything shaped like a bot token is redacted, even one the formatter was not given."""
    other = "111222333:BBotherOtherOtherOtherOtherOther_1"
    logging.getLogger("x").warning("token %s", other)
    assert other not in log_stream.getvalue()


def test_ordinary_numbers_are_left_alone(log_stream: io.StringIO) -> None:
    """Times and ids are not mistaken for tokens."""
    logging.getLogger("x").warning("dose 4 at 09:30 for chat 123456789")
    assert "dose 4 at 09:30 for chat 123456789" in log_stream.getvalue()


def test_scheduler_ticks_stay_out_of_the_log_at_info_but_not_their_warnings() -> None:
    """APScheduler logs two INFO lines per tick (dispatch every 5 s, broadcast progress every
    3 s): at INFO they are dropped, its warnings (a missed run) are kept; DEBUG shows all."""
    tick = logging.getLogger("apscheduler.executors.default")
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("httpx").level)
    try:
        for level, shown in (("INFO", ["missed"]), ("DEBUG", ["Running job", "missed"])):
            stream = io.StringIO()
            configure_logging(level, stream=stream)
            tick.info('Running job "dispatch"')
            tick.warning("Run time of job was missed")
            logging.getLogger("bot.app").info("bot ready")
            lines = stream.getvalue().splitlines()
            assert [word for word in ("Running job", "missed") if word in "\n".join(lines)] == shown
            assert any("bot ready" in line for line in lines), "the bot's own INFO lines stay"
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        logging.getLogger("httpx").setLevel(saved[2])
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)
