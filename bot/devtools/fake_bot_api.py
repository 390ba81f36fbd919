"""A fake Telegram Bot API server (aiohttp on 127.0.0.1) that python-telegram-bot can talk to."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import signal
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from bot.devtools.fake_faults import Fault, FaultRule, RateLimit, RateLimiter
from bot.devtools.fake_methods import METHODS, Method, scope_key
from bot.devtools.fake_models import (
    ApiCall,
    ApiError,
    BotOutput,
    CallbackAnswer,
    ChatMessage,
    FakeChat,
    FakeUser,
    InlineButton,
    JSONDict,
    StoredFile,
    UploadedFile,
    bad_request,
    command_entities,
)
from bot.devtools.fake_updates import Changes, UpdateQueue
from bot.devtools.fake_webhook import WebhookPoster
from bot.devtools.patient import Patient

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "BotOutput",
    "CallbackAnswer",
    "ChatMessage",
    "FakeBotApi",
    "FakeChat",
    "FakeUser",
    "Fault",
    "FaultRule",
    "InlineButton",
    "Patient",
    "RateLimit",
    "main",
    "run_fake_bot_api",
]

T = TypeVar("T")
Params = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAfake-token-for-tests-only"

# PTB form-encodes every value, JSON-encoding the non-strings; these names tell us which to decode.
_JSON_PARAMS = frozenset(
    {"reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
     "link_preview_options", "reply_parameters", "menu_button"}
)  # fmt: skip
_INT_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time",
     "reply_to_message_id", "message_thread_id", "max_connections"}
)  # fmt: skip
_BOOL_PARAMS = frozenset(
    {"show_alert", "disable_notification", "protect_content", "drop_pending_updates",
     "allow_sending_without_reply", "disable_content_type_detection"}
)  # fmt: skip
_INTEGER = re.compile(r"-?\d+")


class FakeBotApi:
    """The Bot API as python-telegram-bot sees it, plus a Python API to play users in tests.

    One instance lives in the test's event loop; every method is meant to be called from it.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "kesimpta_test_bot",
        bot_first_name: str = "Kesimpta Reminders",
        rate_limit: RateLimit | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        bot_id = token.split(":", 1)[0]
        self.bot_user = FakeUser(
            int(bot_id) if bot_id.isdigit() else 7_000_000_001,
            bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.calls: list[ApiCall] = []
        self.files: dict[str, StoredFile] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.blocked: set[int] = set()
        self.bot_profile: dict[tuple[str, str], str] = {}  # (field, language_code) -> text
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.rate_limiter = RateLimiter(rate_limit) if rate_limit is not None else None
        self.command_lists: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.open_callback_queries: set[str] = set()
        self.host = "127.0.0.1"
        self.port = 0
        self._clock = clock
        self._changes = Changes()
        self.updates = UpdateQueue(self._changes)
        self.webhook = WebhookPoster(self.updates, self._changes, clock)
        self._query_ids = itertools.count(4_815_162_342_000_001)
        self._user_ids = itertools.count(100_001)
        self._group_ids = itertools.count(4_000_001)
        self._faults: list[FaultRule] = []
        self._runner: web.AppRunner | None = None
        self._methods = {name.lower(): (name, method) for name, method in METHODS.items()}
        self.app = self._build_app()

    # -- running -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Pass to PTB as `base_url`; PTB appends the token and the method."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass to PTB as `base_file_url`."""
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def control_url(self) -> str:
        """Root of the HTTP control API (for a bot running in another process)."""
        return f"http://{self.host}:{self.port}/_control"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0: the OS picks one, readable as `self.port`)."""
        # handler_cancellation: a long poll whose client gave up must not linger until shutdown.
        self._runner = web.AppRunner(
            self.app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = host
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Answer pending long polls and slow answers at once, then close the server."""
        self._changes.close()
        await self.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- users and what they do ----------------------------------------------------------------

    def add_user(
        self,
        first_name: str = "Patient",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """Create a Telegram user and their private chat with the bot (chat id == user id)."""
        if user_id is None:
            user_id = next(i for i in self._user_ids if i not in self.users)
        if user_id in self.users or user_id in self.chats:
            raise ValueError(f"user or chat {user_id} exists already")
        user = FakeUser(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.chats[user_id] = FakeChat(user_id, "private", user=user)
        return user

    def add_group(self, title: str = "Group", *, chat_id: int | None = None) -> FakeChat:
        """Create a basic group the bot is a member of (negative id, like Telegram's)."""
        if chat_id is None:
            chat_id = -next(i for i in self._group_ids if -i not in self.chats)
        if chat_id in self.chats:
            raise ValueError(f"chat {chat_id} exists already")
        chat = FakeChat(chat_id, "group", title=title)
        self.chats[chat_id] = chat
        return chat

    def user(self, user_id: int) -> FakeUser:
        """A user added with `add_user`."""
        try:
            return self.users[user_id]
        except KeyError:
            raise KeyError(f"no user {user_id}; call add_user() first") from None

    def chat(self, chat_id: int) -> FakeChat:
        """A chat's visible history (for a private chat, chat id == user id)."""
        try:
            return self.chats[chat_id]
        except KeyError:
            raise KeyError(f"no chat {chat_id}; known: {sorted(self.chats)}") from None

    def patient(self, user_id: int | None = None, first_name: str = "Patient") -> Patient:
        """A driver that plays this user; the user is created if new."""
        if user_id is None or user_id not in self.users:
            user = self.add_user(first_name, user_id=user_id)
        else:
            user = self.users[user_id]
        return Patient(self, user)

    def send_text(self, user_id: int, text: str) -> ChatMessage:
        """The user writes `text` to the bot in their private chat."""
        return self._user_message(self.chat(user_id), self.user(user_id), text=text)

    def send_text_in_group(self, chat_id: int, user_id: int, text: str) -> ChatMessage:
        """The user writes `text` in a group the bot is in."""
        chat = self.chat(chat_id)
        if chat.type != "group":
            raise ValueError(f"chat {chat_id} is not a group")
        return self._user_message(chat, self.user(user_id), text=text)

    def send_location(self, user_id: int, latitude: float, longitude: float) -> ChatMessage:
        """The user shares a location in their private chat."""
        return self._user_message(
            self.chat(user_id), self.user(user_id), location=(latitude, longitude)
        )

    def press_button(
        self, user_id: int, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> str:
        """The user presses an inline button the chat shows; returns the callback query id."""
        user = self.user(user_id)
        chat = self.chat(user_id if chat_id is None else chat_id)
        message = chat.message(message_id)
        if message is None or message.deleted or not message.from_bot:
            raise ValueError(f"chat {chat.id} shows no bot message {message_id}")
        if callback_data not in [b.callback_data for row in message.keyboard for b in row]:
            raise ValueError(
                f"message {message_id} shows no button with callback_data {callback_data!r}; "
                f"it shows {message.button_rows}"
            )
        query_id = str(next(self._query_ids))
        self.open_callback_queries.add(query_id)
        self.enqueue_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": message.to_api(chat),
                # Telegram's opaque per-chat token; PTB requires it.
                "chat_instance": str(abs(chat.id) * 2_654_435_761 % 10**19),
                "data": callback_data,
            },
        )
        return query_id

    def block(self, user_id: int) -> None:
        """The user blocks the bot: every send or edit to their chat answers 403."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self.blocked.discard(user_id)

    def enqueue_update(self, kind: str, payload: JSONDict) -> int:
        """Queue an update of any kind for the bot; returns its update_id."""
        return self.updates.put(kind, payload)

    @property
    def webhook_url(self) -> str:
        """The URL given to setWebhook; empty while the bot long-polls."""
        return self.webhook.url

    async def post_to_webhook(self, user_id: int, text: str, *, secret_token: str | None) -> int:
        """POST the user's message once to the webhook with this secret (None: no header).

        The update is not queued and the chat does not show the message: only what the bot
        does with the request counts. Returns the HTTP status the bot answered.
        """
        chat, user = self.chat(user_id), self.user(user_id)
        message = ChatMessage(
            chat.next_message_id,
            chat.id,
            user,
            self.now(),
            text=text,
            entities=command_entities(text),
        )
        update = self.updates.new_update("message", message.to_api(chat))
        return await self.webhook.post(update, secret_token)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates the bot has not confirmed yet."""
        return self.updates.pending

    def _user_message(self, chat: FakeChat, user: FakeUser, **fields: Any) -> ChatMessage:
        text = fields.get("text")
        if text is not None:
            fields["entities"] = command_entities(text)
        message = chat.add_message(user, self.now(), **fields)
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        self.enqueue_update("message", message.to_api(chat))
        return message

    # -- what tests check ----------------------------------------------------------------------

    def fail_next(
        self,
        method: str | None,
        fault: Fault,
        *,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> FaultRule:
        """Answer the next `times` calls of `method` (None: any) to `chat_id` with `fault`."""
        rule = FaultRule(fault, method, chat_id, times)
        self._faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Forget every fault rule not used up yet."""
        self._faults.clear()

    def calls_to(self, method: str) -> list[ApiCall]:
        """Logged calls of one method, oldest first."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """The (command, description) pairs set for a scope (default scope if None)."""
        return list(self.command_lists.get((scope_key(scope), language_code), []))

    def callback_answer(self, callback_query_id: str) -> CallbackAnswer | None:
        """How the bot answered a button press, or None while unanswered."""
        return self.callback_answers.get(callback_query_id)

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Wait until `predicate()` is truthy (checked after every change) and return it."""
        try:
            return await self._changes.wait_for(predicate, timeout)
        except TimeoutError:
            recent = ", ".join(f"{c.method}→{c.status}" for c in self.calls[-8:]) or "none"
            raise TimeoutError(
                f"condition not met within {timeout}s; last bot calls: {recent}"
            ) from None

    async def wait_for_call(
        self,
        method: str,
        *,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
        **params: Any,
    ) -> ApiCall:
        """The first call of `method` at index >= `since` in `calls` whose params include these."""

        def find() -> ApiCall | None:
            return next(
                (
                    call
                    for call in self.calls[since:]
                    if call.method.lower() == method.lower()
                    and all(call.params.get(k) == v for k, v in params.items())
                ),
                None,
            )

        return await self.wait_for(find, timeout)

    def now(self) -> int:
        """The fake's clock in Unix seconds, as Telegram dates messages."""
        return int(self._clock())

    # -- HTTP ----------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)  # Telegram's upload limit
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)
        app.router.add_get("/_control/chat/{chat_id}", self._control_chat)
        app.router.add_get("/_control/calls", self._control_calls)
        app.router.add_get("/_control/callback_answer/{query_id}", self._control_answer)
        app.router.add_post("/_control/{action}", self._control_action)
        return app

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        found = self._methods.get(request.match_info["method"].lower())
        if found is None:
            return _error_response(ApiError(404, "Not Found"))
        name, handler = found
        try:
            params = await _read_params(request)
        except ApiError as error:
            return _error_response(error)
        call = ApiCall(name, params, self._clock())
        self.calls.append(call)
        self._changes.notify()
        try:
            return await self._answer(call, handler)
        except asyncio.CancelledError:
            # The client hung up (e.g. PTB stopping mid long poll); 499 as nginx logs it.
            call.status, call.description = 499, "client closed request"
            raise
        finally:
            self._changes.notify()

    async def _answer(self, call: ApiCall, method: Method) -> web.Response:
        chat_id = call.params.get("chat_id")
        rule = next((r for r in self._faults if r.matches(call.method, chat_id)), None)
        try:
            if rule is not None:
                rule.used += 1
                self._faults = [r for r in self._faults if not r.exhausted]
                fault = rule.fault
                if fault.delay:
                    with contextlib.suppress(TimeoutError):
                        await self._changes.wait_for(lambda: self._changes.closed, fault.delay)
                if fault.status is not None and fault.raw_body is not None:
                    call.status, call.description = fault.status, fault.description
                    return web.Response(
                        status=fault.status, text=fault.raw_body, content_type="text/html"
                    )
                if fault.status is not None:
                    raise ApiError(fault.status, fault.description, retry_after=fault.retry_after)
            self._check_chat_limits(call.method, chat_id)
            result = await method(self, call.params)
        except ApiError as error:
            call.status, call.description = error.status, error.description
            return _error_response(error)
        call.status = 200
        return web.json_response({"ok": True, "result": result})

    def _check_chat_limits(self, method: str, chat_id: object) -> None:
        """Blocked patients and Telegram's flood limits, for methods that post into a chat."""
        if not method.startswith(("send", "edit", "copy", "forward")):
            return
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        is_send = method.startswith(("send", "copy", "forward")) and method != "sendChatAction"
        if self.rate_limiter is not None and is_send and isinstance(chat_id, int | str):
            retry_after = self.rate_limiter.admit(chat_id)
            if retry_after is not None:
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )

    async def _handle_download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        path = request.match_info["file_path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return _error_response(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # -- control API, for a bot running in another process ------------------------------------

    async def _control_action(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        try:
            body = await request.json()
            if action == "post_to_webhook":
                secret = body.get("secret_token")
                status = await self.post_to_webhook(
                    int(body["user_id"]),
                    str(body["text"]),
                    secret_token=None if secret is None else str(secret),
                )
                return web.json_response({"status": status})
            result = self._control(action, body)
        except (KeyError, ValueError, TypeError) as error:
            return web.json_response({"error": str(error)}, status=400)
        except (aiohttp.ClientError, TimeoutError) as error:  # the bot's webhook is unreachable
            return web.json_response({"error": str(error) or type(error).__name__}, status=502)
        return web.json_response(result)

    def _control(self, action: str, body: JSONDict) -> JSONDict:
        if action == "fail_next":
            fault_fields = ("status", "description", "retry_after", "delay")
            fault = Fault(**{key: body[key] for key in fault_fields if key in body})
            times, chat_id = int(body.get("times", 1)), body.get("chat_id")
            self.fail_next(body.get("method"), fault, times=times, chat_id=chat_id)
            return {}
        user_id = int(body["user_id"])
        if user_id not in self.users:
            self.add_user(str(body.get("first_name") or "Patient"), user_id=user_id)
        if action == "add_user":
            return self.user(user_id).to_api()
        if action == "send_text":
            chat_id = int(body.get("chat_id", user_id))
            text = str(body["text"])
            message = (
                self.send_text(user_id, text)
                if chat_id == user_id
                else self.send_text_in_group(chat_id, user_id, text)
            )
            return {"message_id": message.message_id}
        if action == "send_location":
            message = self.send_location(user_id, float(body["latitude"]), float(body["longitude"]))
            return {"message_id": message.message_id}
        if action == "press_button":
            query_id = self.press_button(
                user_id,
                int(body["message_id"]),
                str(body["callback_data"]),
                chat_id=body.get("chat_id"),
            )
            return {"callback_query_id": query_id}
        if action == "block":
            self.block(user_id)
            return {}
        if action == "unblock":
            self.unblock(user_id)
            return {}
        raise ValueError(f"unknown control action {action!r}")

    async def _control_chat(self, request: web.Request) -> web.Response:
        """The chat's history; with ?after=N&timeout=S, first wait for more than N bot outputs."""
        try:
            chat = self.chat(int(request.match_info["chat_id"]))
        except (KeyError, ValueError) as error:
            return web.json_response({"error": str(error)}, status=404)
        if "after" in request.query:
            after = int(request.query["after"])
            with contextlib.suppress(TimeoutError):
                await self._changes.wait_for(
                    lambda: len(chat.outputs) > after, float(request.query.get("timeout", 5))
                )
        return web.json_response(chat.to_history())

    async def _control_calls(self, request: web.Request) -> web.Response:
        calls = [vars(call) for call in self.calls]
        return web.json_response(text=json.dumps(calls, default=repr))

    async def _control_answer(self, request: web.Request) -> web.Response:
        answer = self.callback_answers.get(request.match_info["query_id"])
        return web.json_response(None if answer is None else vars(answer))


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.to_api(), status=error.status)


async def _read_params(request: web.Request) -> Params:
    """Query string plus a form, multipart or JSON body, with JSON-encoded values decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise bad_request(f"can't parse JSON body: {error}") from None
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            raw.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value.decode() if isinstance(value, bytes) else value
    return {key: _decode(key, value) for key, value in raw.items()}


def _decode(key: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    if key in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {key} JSON object") from None
    if key in _INT_PARAMS and _INTEGER.fullmatch(value):
        return int(value)
    if key in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    if key in ("latitude", "longitude"):
        return float(value)
    return value


@contextlib.asynccontextmanager
async def run_fake_bot_api(
    token: str = DEFAULT_TOKEN,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    rate_limit: RateLimit | None = None,
    bot_username: str = "kesimpta_test_bot",
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[FakeBotApi]:
    """Run a FakeBotApi on host:port for the duration of the block."""
    fake = FakeBotApi(token, bot_username=bot_username, rate_limit=rate_limit, clock=clock)
    await fake.start(host, port)
    try:
        yield fake
    finally:
        await fake.stop()


async def _serve(args: argparse.Namespace) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    rate_limit = RateLimit() if args.rate_limit else None
    async with run_fake_bot_api(
        args.token,
        host=args.host,
        port=args.port,
        rate_limit=rate_limit,
        bot_username=args.bot_username,
    ) as fake:
        # The parent process reads this line to learn the port the OS picked.
        print(f"FAKE_BOT_API_PORT={fake.port}", flush=True)
        await stopped.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a fake Bot API until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: let the OS pick (printed)")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="kesimpta_test_bot")
    parser.add_argument("--rate-limit", action="store_true", help="enforce Telegram's limits")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
