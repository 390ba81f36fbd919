"""A python-telegram-bot networking backend on aiohttp: HTTPXRequest's contract for a fraction
of its CPU time per Bot API call, so one core keeps up with bursts of button presses."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from typing import IO
from urllib.parse import unquote, urlencode, urlsplit

import aiohttp
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# asyncio transports pause writing above 64 KiB buffered, so only a body larger than that can
# make a write wait for the peer; bodies are sent in chunks of this size, each with a deadline.
_WRITE_CHUNK = 64 * 1024

# httpx's (HTML5) escaping of multipart parameters; aiohttp then backslash-escapes the `\`.
_FORM_PARAM_ESCAPES = {'"': "%22"} | {chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}
_FORM_PARAM_UNSAFE = re.compile("|".join(re.escape(c) for c in _FORM_PARAM_ESCAPES))


class AiohttpRequest(BaseRequest):
    """:class:`telegram.request.BaseRequest` on one :class:`aiohttp.ClientSession`.

    Parameters and defaults are HTTPXRequest's, minus HTTP/2, socket options and client
    kwargs. Like httpx, it honours HTTP(S)_PROXY and NO_PROXY from the environment, which
    some deployments need to reach Telegram at all (read once, not per request as aiohttp's
    `trust_env` would); SOCKS proxies are not supported.

    Timeouts, in aiohttp's terms: `read_timeout` bounds each wait for response bytes
    (sock_read) and `connect_timeout` each TCP connect (sock_connect). aiohttp has a single
    deadline for waiting for a free pooled connection *and* opening a new one, so that phase
    gets `pool_timeout + connect_timeout` (unbounded if either is None). aiohttp has no write
    timeout, so the request body enforces `write_timeout` (`media_write_timeout` for uploads)
    on every 64 KiB it sends.
    """

    __slots__ = (
        "_connect_timeout",
        "_connection_pool_size",
        "_default_timeout",
        "_media_write_timeout",
        "_pool_timeout",
        "_proxies",
        "_proxy_by_origin",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        *,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            # aiohttp reads a limit of 0 as "no limit", which is not what 0 says.
            raise ValueError("connection_pool_size must be at least 1")
        self._connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._default_timeout = _client_timeout(read_timeout, connect_timeout, pool_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._proxies = urllib.request.getproxies_environment()
        self._proxy_by_origin: dict[tuple[str, str], str | None] = {}

    def _proxy_for(self, url: str) -> str | None:
        """The proxy the environment names for `url`'s scheme and host, if any (cached)."""
        if not self._proxies:
            return None  # the usual case: no URL to parse on every call
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname or "")
        if origin not in self._proxy_by_origin:
            proxy = self._proxies.get(parts.scheme)
            if proxy and urllib.request.proxy_bypass(origin[1]):  # reads NO_PROXY
                proxy = None
            self._proxy_by_origin[origin] = proxy or None
        return self._proxy_by_origin[origin]

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call does not pass one (see BaseRequest)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool; calling it again while open does nothing."""
        if self._session is not None and not self._session.closed:
            return
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._connection_pool_size),
            headers={"User-Agent": self.USER_AGENT},
            # The Bot API sets no cookies; the dummy jar skips cookie parsing on every answer.
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=self._default_timeout,
        )

    async def shutdown(self) -> None:
        """Close the connection pool; calling it again does nothing."""
        if self._session is None or self._session.closed:
            return
        await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the HTTP status and body, whatever the status."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        has_files = request_data is not None and request_data.contains_files
        write_seconds = _given(
            write_timeout, self._media_write_timeout if has_files else self._write_timeout
        )
        if all(isinstance(t, DefaultValue) for t in (read_timeout, connect_timeout, pool_timeout)):
            timeout = self._default_timeout  # the common case: no ClientTimeout to build
        else:
            timeout = _client_timeout(
                _given(read_timeout, self._read_timeout),
                _given(connect_timeout, self._connect_timeout),
                _given(pool_timeout, self._pool_timeout),
            )
        body = _body(request_data, write_seconds) if request_data is not None else None

        try:
            async with session.request(
                method, url, data=body, timeout=timeout, proxy=self._proxy_for(url)
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            # Raised before a byte went out, so the caller may safely retry; HTTPXRequest says so
            # for a pool timeout, and aiohttp cannot tell a full pool from a slow connect.
            message = (
                "Pool or connect timeout: no connection to Telegram became available in time. "
                "Request was *not* sent to Telegram."
            )
            raise TimedOut(message) from _chainable(error, url)
        except TimeoutError as error:  # a read (SocketTimeoutError) or write timeout
            raise TimedOut from _chainable(error, url)
        except (aiohttp.ClientError, OSError) as error:
            # As HTTPXRequest does: the class name says what failed when the message is terse.
            prefix = "aiohttp." if isinstance(error, aiohttp.ClientError) else ""
            message = f"{prefix}{type(error).__name__}: {_without_url_path(str(error), url)}"
            raise NetworkError(message) from _chainable(error, url)


class _TimedBody(Payload):
    """Request body bytes whose every 64 KiB must reach the socket within `write_timeout`."""

    def __init__(
        self,
        content: bytes,
        write_timeout: float | None,
        *,
        content_type: str,
        filename: str | None = None,
    ) -> None:
        super().__init__(content, content_type=content_type, filename=filename)
        self._content = content
        self._size = len(content)
        self._autoclose = True
        self._seconds = write_timeout

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text (aiohttp's debugging and repr helpers use this)."""
        return self._content.decode(encoding, errors)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """The body as bytes, unchanged."""
        return self._content

    async def write(self, writer: AbstractStreamWriter) -> None:
        """Send the body."""
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        """Send at most `content_length` bytes of the body (all if None)."""
        view = memoryview(self._content)[:content_length]
        if len(view) <= _WRITE_CHUNK or self._seconds is None:
            await writer.write(view)
            return
        for start in range(0, len(view), _WRITE_CHUNK):
            # A TimeoutError here fails the request; aiohttp hands it on unwrapped.
            async with asyncio.timeout(self._seconds):
                await writer.write(view[start : start + _WRITE_CHUNK])
                await writer.drain()


def _body(request_data: RequestData, write_timeout: float | None) -> Payload:
    """The form HTTPXRequest would send: url-encoded, or multipart when there are files."""
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return _TimedBody(
            urlencode(fields).encode(),
            write_timeout,
            content_type="application/x-www-form-urlencoded",
        )
    # quote_fields=False: send UTF-8 file names as httpx and browsers do; aiohttp's quoting
    # would percent-encode them and Telegram would show "M%C3%A4rz.csv" to the patient.
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        safe_name = _FORM_PARAM_UNSAFE.sub(lambda m: _FORM_PARAM_ESCAPES[m.group(0)], filename)
        part = _TimedBody(_read(content), write_timeout, content_type=mimetype, filename=safe_name)
        form.add_field(name, part, filename=safe_name)
    return form()


def _read(content: bytes | IO[bytes]) -> bytes:
    # PTB reads file handles itself unless told not to (read_file_handle=False); httpx then
    # reads the handle synchronously in the event loop too, so this blocks no more than it did.
    return content if isinstance(content, bytes) else content.read()


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """The timeout the caller passed, or this instance's default if they passed none."""
    return default if isinstance(value, DefaultValue) else value


def _client_timeout(
    read: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=None,  # a long poll or a large download may take as long as it keeps moving
        connect=None if connect is None or pool is None else pool + connect,
        sock_connect=connect,
        sock_read=read,
    )


def _without_url_path(text: str, url: str) -> str:
    """`text` with the URL's path, which holds the bot token, replaced."""
    path = urlsplit(url).path
    for secret in (path, unquote(path)):
        if secret.strip("/"):
            text = text.replace(secret, "/<redacted>")
    return text


def _chainable(error: BaseException, url: str) -> BaseException | None:
    """`error` to chain from, or None if it or a cause names the URL.

    aiohttp puts the URL into some messages (connect timeouts, unparsable answers, failed body
    writes); chaining those would print the bot token in every logged traceback.
    """
    link: BaseException | None = error
    seen: set[int] = set()
    while link is not None and id(link) not in seen:  # chains can loop, as traceback knows
        if _without_url_path(str(link), url) != str(link):
            return None
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return error
