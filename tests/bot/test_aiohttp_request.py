"""AiohttpRequest keeps HTTPXRequest's contract: a real PTB Bot on it, against the fake Bot API
and against servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import traceback
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.aiohttp_request import AiohttpRequest
from bot.devtools.fake_bot_api import DEFAULT_TOKEN, FakeBotApi, Fault

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Injected", callback_data="dose:done:4")],
        [InlineKeyboardButton("Leaflet", url="https://example.org/leaflet")],
    ]
)
TOKEN_SECRET = DEFAULT_TOKEN.split(":", 1)[1]

ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def aiohttp_bot(base_url: str, base_file_url: str = "", **options: Any) -> AsyncIterator[Bot]:
    """A real PTB Bot whose every request goes through AiohttpRequest.

    Only the requests are initialized: Bot.initialize() would call getMe, which the servers
    that misbehave on purpose never answer.
    """
    request, poll_request = AiohttpRequest(**options), AiohttpRequest(**options)
    async with request, poll_request:
        yield Bot(
            DEFAULT_TOKEN,
            base_url=base_url,
            base_file_url=base_file_url or base_url,
            request=request,
            get_updates_request=poll_request,
        )


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with aiohttp_bot(fake.base_url, fake.base_file_url) as bot:
        yield bot


@dataclass
class Listener:
    """A local TCP server: the PTB base_url to reach it, and whether anyone connected yet."""

    base_url: str
    accepted: asyncio.Event = field(default_factory=asyncio.Event)


@contextlib.asynccontextmanager
async def tcp_server(handle: ConnectionHandler) -> AsyncIterator[Listener]:
    """Run `handle` for every connection to a fresh local port."""
    writers: list[asyncio.StreamWriter] = []
    listener = Listener("")

    async def keep_and_handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        listener.accepted.set()
        await handle(reader, writer)

    server = await asyncio.start_server(keep_and_handle, "127.0.0.1", 0)
    listener.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/bot"
    try:
        yield listener
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Take the request and stay silent, keeping the connection open."""


async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept the connection and read nothing, so the client's socket buffers fill up."""
    transport = writer.transport
    assert isinstance(transport, asyncio.ReadTransport)
    transport.pause_reading()


def answer_with(raw: bytes) -> ConnectionHandler:
    """A handler that reads the request head, sends `raw` and hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(raw)
        await writer.drain()
        writer.close()

    return handle


def hang_guard() -> asyncio.Timeout:
    """Fail with TimeoutError instead of hanging if the backend ignores a timeout."""
    return asyncio.timeout(5)


def closed_port() -> int:
    """A local port nothing listens on (the OS just handed it out and took it back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after as seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def assert_token_not_shown(error: BaseException) -> None:
    """Neither the message nor a logged traceback (with its causes) may show the token."""
    shown = "".join(traceback.format_exception(error))
    assert TOKEN_SECRET not in shown, shown


# -- talking to the Bot API ----------------------------------------------------------------------


async def test_get_me_and_a_message_with_an_inline_keyboard(fake: FakeBotApi, bot: Bot) -> None:
    """getMe and sendMessage work, and every parameter arrives as Telegram expects it."""
    fake.add_user("Ann", user_id=42)
    me = await bot.get_me()
    assert me.username == "kesimpta_test_bot"

    sent = await bot.send_message(
        42, "Spritze fällig 💉 & ok?", reply_markup=KEYBOARD, disable_notification=True
    )
    assert sent.reply_markup == KEYBOARD
    call = fake.calls_to("sendMessage")[-1]
    assert call.status == 200
    assert call.params == {
        "chat_id": 42,
        "text": "Spritze fällig 💉 & ok?",
        "reply_markup": KEYBOARD.to_dict(),
        "disable_notification": True,
    }
    shown = fake.chat(42).last_bot_message
    assert shown is not None
    assert shown.button_rows[0] == [("Injected", "dose:done:4")]


# PTB's RetryAfter warns about its own retry_after type while constructing itself.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_is_retry_after(fake: FakeBotApi, bot: Bot) -> None:
    """A 429 reaches the caller as RetryAfter with Telegram's retry_after."""
    fake.add_user(user_id=42)
    fake.fail_next("sendMessage", Fault.too_many_requests(retry_after=7))
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(42, "Hi")
    assert retry_seconds(caught.value) == 7


@pytest.mark.parametrize(
    ("fault", "error_type", "message"),
    [
        (Fault.blocked(), Forbidden, "bot was blocked by the user"),
        (Fault.chat_not_found(), BadRequest, "(?i)chat not found"),
        (Fault.bad_gateway(), NetworkError, "Bad Gateway"),
    ],
)
async def test_error_statuses_become_ptb_exceptions(
    fake: FakeBotApi, bot: Bot, fault: Fault, error_type: type[Exception], message: str
) -> None:
    """403, 400 and an nginx 502 page map to the exceptions HTTPXRequest gives."""
    fake.add_user(user_id=42)
    fake.fail_next("sendMessage", fault)
    with pytest.raises(error_type, match=message) as caught:
        await bot.send_message(42, "Hi")
    assert type(caught.value) is error_type


async def test_document_upload_and_download(fake: FakeBotApi, bot: Bot) -> None:
    """A multipart upload keeps its bytes, UTF-8 file name, MIME type and other fields."""
    fake.add_user(user_id=42)
    content = b"date,dose\n2026-01-02,20 mg\n"
    sent = await bot.send_document(
        42, content, filename="Dosen (März).csv", caption="Ihre Dosen ✓", reply_markup=KEYBOARD
    )
    assert sent.document is not None
    assert sent.document.file_name == "Dosen (März).csv"
    assert sent.caption == "Ihre Dosen ✓"
    shown = fake.chat(42).last_bot_message
    assert shown is not None and shown.document is not None
    assert shown.document.content == content
    assert shown.document.mime_type == "text/csv"
    assert shown.button_rows[0] == [("Injected", "dose:done:4")]

    file = await bot.get_file(sent.document.file_id)  # a GET through the same backend
    assert bytes(await file.download_as_bytearray()) == content


async def test_upload_arrives_exactly_as_httpx_sends_it(fake: FakeBotApi, bot: Bot) -> None:
    """Awkward file names, an unread file handle and a body over 64 KiB match HTTPXRequest."""
    fake.add_user(user_id=42)
    content = bytes(range(256)) * 1024  # 256 KiB: written in several timed chunks
    name = 'a "quoted"\\name\tx.bin'

    async def upload(bot: Bot) -> tuple[str | None, str | None, bytes]:
        handle = InputFile(io.BytesIO(content), filename=name, read_file_handle=False)
        await bot.send_document(42, handle)
        shown = fake.chat(42).last_bot_message
        assert shown is not None and shown.document is not None
        return shown.document.file_name, shown.document.mime_type, shown.document.content

    async with Bot(DEFAULT_TOKEN, base_url=fake.base_url, request=HTTPXRequest()) as httpx_bot:
        expected = await upload(httpx_bot)
    assert expected[2] == content
    assert await upload(bot) == expected


# -- network failures ----------------------------------------------------------------------------


async def test_nothing_listening_is_network_error() -> None:
    """A refused connection is a NetworkError (not TimedOut), and the token stays hidden."""
    async with aiohttp_bot(f"http://127.0.0.1:{closed_port()}/bot") as bot:
        with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError") as caught:
            await bot.get_me()
    assert type(caught.value) is NetworkError
    assert_token_not_shown(caught.value)


async def test_silent_server_is_timed_out_after_the_read_timeout() -> None:
    """A server that accepts but never answers trips the per-call read timeout."""
    loop = asyncio.get_running_loop()
    async with tcp_server(never_answer) as server, aiohttp_bot(server.base_url) as bot:
        started = loop.time()
        with pytest.raises(TimedOut) as caught:
            async with hang_guard():
                await bot.get_me(read_timeout=0.3)
    assert 0.25 <= loop.time() - started < 2
    assert_token_not_shown(caught.value)


async def test_default_read_timeout_comes_from_the_constructor() -> None:
    """Without a per-call read_timeout, the instance's read_timeout applies."""
    loop = asyncio.get_running_loop()
    async with (
        tcp_server(never_answer) as server,
        aiohttp_bot(server.base_url, read_timeout=0.3) as bot,
    ):
        started = loop.time()
        with pytest.raises(TimedOut):
            async with hang_guard():
                await bot.get_me()
    assert loop.time() - started < 2


async def test_full_pool_is_timed_out_without_sending() -> None:
    """With every pooled connection busy, a call gives up after pool + connect timeout."""
    async with (
        tcp_server(never_answer) as server,
        aiohttp_bot(
            server.base_url, connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1
        ) as bot,
    ):
        busy = asyncio.create_task(bot.get_me(read_timeout=5))
        await server.accepted.wait()  # the only connection is taken
        with pytest.raises(TimedOut, match=r"not\* sent") as caught:
            async with hang_guard():
                await bot.get_me(read_timeout=0.1)
        busy.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await busy
    # aiohttp's own message for this names the full URL, token included.
    assert_token_not_shown(caught.value)


@pytest.mark.parametrize(
    ("options", "call_timeouts"),
    [
        ({"write_timeout": 60, "media_write_timeout": 0.3}, {}),
        ({"media_write_timeout": 60}, {"write_timeout": 0.3}),
    ],
    ids=["media_write_timeout", "per-call write_timeout"],
)
async def test_stalled_upload_is_timed_out_after_the_write_timeout(
    options: dict[str, Any], call_timeouts: dict[str, Any]
) -> None:
    """A peer that stops reading an upload trips the upload's write timeout, not a hang."""
    loop = asyncio.get_running_loop()
    content = b"x" * (48 * 1024 * 1024)  # more than loopback's socket buffers can hold
    async with tcp_server(never_read) as server, aiohttp_bot(server.base_url, **options) as bot:
        started = loop.time()
        with pytest.raises(TimedOut):
            async with hang_guard():
                await bot.send_document(42, content, filename="big.bin", **call_timeouts)
    assert loop.time() - started < 3


async def test_garbled_answer_is_network_error_without_the_token() -> None:
    """aiohttp names the URL when it cannot parse an answer; the token must not leak."""
    async with (
        tcp_server(answer_with(b"NOT HTTP AT ALL\r\n\r\n")) as server,
        aiohttp_bot(server.base_url) as bot,
    ):
        with pytest.raises(NetworkError, match=r"aiohttp\.ClientResponseError") as caught:
            await bot.get_me()
    assert "/<redacted>" in str(caught.value)
    assert_token_not_shown(caught.value)


async def test_answer_cut_short_is_network_error() -> None:
    """A connection closed halfway through the body is a NetworkError."""
    truncated = b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 90\r\n\r\n{"ok"'
    async with tcp_server(answer_with(truncated)) as server, aiohttp_bot(server.base_url) as bot:
        with pytest.raises(NetworkError, match=r"aiohttp\.ClientPayloadError") as caught:
            await bot.get_me()
    assert type(caught.value) is NetworkError
    assert_token_not_shown(caught.value)


# -- long polling ------------------------------------------------------------------------------


async def test_long_poll_waits_its_timeout_and_returns_nothing(fake: FakeBotApi) -> None:
    """A poll outlasting the default read timeout works: PTB adds the poll timeout to it."""
    loop = asyncio.get_running_loop()
    async with aiohttp_bot(fake.base_url, read_timeout=0.3) as bot:
        started = loop.time()
        async with hang_guard():
            updates = await bot.get_updates(timeout=1)
    assert updates == ()
    assert 0.9 <= loop.time() - started < 3


async def test_long_poll_returns_a_queued_update(fake: FakeBotApi, bot: Bot) -> None:
    """An update queued before or during a poll is delivered."""
    fake.add_user("Ann", user_id=42)
    fake.send_text(42, "before")
    first = await bot.get_updates(timeout=1)
    assert [u.message.text for u in first if u.message] == ["before"]

    since = len(fake.calls)
    poll = asyncio.create_task(bot.get_updates(offset=first[-1].update_id + 1, timeout=10))
    await fake.wait_for_call("getUpdates", since=since)
    fake.send_text(42, "during")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates if u.message] == ["during"]


# -- the request object itself ---------------------------------------------------------------------


async def test_defaults_match_httpx_request() -> None:
    """Swapping HTTPXRequest for AiohttpRequest keeps the default read timeout."""
    assert AiohttpRequest().read_timeout == HTTPXRequest().read_timeout == 5.0
    assert AiohttpRequest(read_timeout=None).read_timeout is None
    with pytest.raises(ValueError, match="at least 1"):
        AiohttpRequest(connection_pool_size=0)


async def test_lifecycle(fake: FakeBotApi) -> None:
    """Requests need initialize(); shutdown() is idempotent and initialize() reopens."""
    request = AiohttpRequest()
    url = f"{fake.base_url}{DEFAULT_TOKEN}/getMe"
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST")
    async with request:
        await request.initialize()  # a second call keeps the open session
        status, body = await request.do_request(url, "POST")
        assert status == 200 and b'"is_bot": true' in body
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST", read_timeout=BaseRequest.DEFAULT_NONE)
    async with request:
        assert (await request.do_request(url, "POST"))[0] == 200


@contextlib.asynccontextmanager
async def recording_proxy(fake: FakeBotApi) -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTP proxy that forwards to `fake` and notes each request's target; (URL, targets)."""
    from aiohttp import ClientSession, web

    targets: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        targets.append(str(request.url))
        async with (
            ClientSession() as session,
            session.request(
                request.method, str(request.url), data=await request.read(), headers=request.headers
            ) as answer,
        ):
            return web.Response(
                status=answer.status, body=await answer.read(), content_type="application/json"
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", targets
    finally:
        await runner.cleanup()


async def test_the_proxy_named_in_the_environment_is_used(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some deployments reach Telegram only through a proxy: HTTP(S)_PROXY is honoured."""
    async with recording_proxy(fake) as (proxy, targets):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with aiohttp_bot(fake.base_url) as bot:
            me = await bot.get_me()
    assert me.is_bot
    assert len(targets) == 1 and targets[0].endswith("/getMe")


async def test_no_proxy_bypasses_the_proxy(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with recording_proxy(fake) as (proxy, targets):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with aiohttp_bot(fake.base_url) as bot:
            me = await bot.get_me()
    assert me.is_bot
    assert targets == []
