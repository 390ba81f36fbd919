"""The fake Bot API server behaves like Telegram as far as python-telegram-bot 22 can tell."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
import warnings
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.devtools.fake_bot_api import (
    DEFAULT_TOKEN,
    FakeBotApi,
    Fault,
    RateLimit,
    run_fake_bot_api,
)

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Injected", callback_data="dose:done:4")],
        [InlineKeyboardButton("Leaflet", url="https://example.org/leaflet")],
    ]
)


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after as seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def raw_call(
    fake: FakeBotApi, method: str, token: str = DEFAULT_TOKEN, **form: Any
) -> tuple[int, Any]:
    """POST a form-encoded Bot API call without PTB, the way curl would."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{token}/{method}", data=form) as response,
    ):
        return response.status, await response.json(content_type=None)


# -- the basics --------------------------------------------------------------------------------


async def test_get_me_answers_a_bot_user(bot: Bot) -> None:
    """getMe is what PTB calls first; it must describe a bot."""
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "kesimpta_test_bot"
    assert me.id == 123456789  # taken from the token, like Telegram
    assert bot.bot.can_join_groups is True


async def test_wrong_token_is_401_and_ptb_says_invalid_token(fake: FakeBotApi) -> None:
    """A token other than the configured one is refused."""
    status, body = await raw_call(fake, "getMe", token="999:wrong")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    with pytest.raises(InvalidToken):
        await Bot("999:wrong", base_url=fake.base_url).get_me()


async def test_unknown_method_is_404(fake: FakeBotApi, bot: Bot) -> None:
    """PTB reads a 404 as a bad token, so a missing method is loud, not silent."""
    status, body = await raw_call(fake, "noSuchMethod")
    assert status == 404
    assert body["description"] == "Not Found"
    fake.add_user(user_id=42)
    with pytest.raises(InvalidToken):
        await bot.send_dice(42)  # the fake does not implement sendDice
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")


async def test_method_names_are_case_insensitive(fake: FakeBotApi) -> None:
    """Telegram accepts "getme" as well as "getMe"."""
    status, body = await raw_call(fake, "getme")
    assert status == 200
    assert body["result"]["is_bot"] is True
    assert fake.calls[-1].method == "getMe"


async def test_json_bodies_are_accepted(fake: FakeBotApi) -> None:
    """Clients other than PTB post JSON; values then arrive already typed."""
    fake.add_user(user_id=42)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake.base_url}{DEFAULT_TOKEN}/sendMessage",
            json={"chat_id": 42, "text": "JSON works", "reply_markup": KEYBOARD.to_dict()},
        ) as response,
    ):
        body = await response.json()
    assert body["ok"] is True
    shown = fake.chat(42).last_bot_message
    assert shown is not None
    assert shown.button_rows[0] == [("Injected", "dose:done:4")]


# -- getUpdates --------------------------------------------------------------------------------


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake: FakeBotApi, bot: Bot) -> None:
    """A waiting getUpdates answers when the patient writes, not when its timeout ends."""
    fake.add_user("Ann", user_id=42)
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for_call("getUpdates")
    fake.send_text(42, "hello")
    updates = await asyncio.wait_for(poll, 5)
    assert loop.time() - started < 3
    assert [u.message.text for u in updates if u.message] == ["hello"]


async def test_long_poll_returns_nothing_after_its_timeout(fake: FakeBotApi) -> None:
    """With nothing to deliver, getUpdates waits `timeout` seconds and answers []."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, body = await raw_call(fake, "getUpdates", timeout="1")
    assert (status, body) == (200, {"ok": True, "result": []})
    assert loop.time() - started >= 0.9


async def test_offset_confirms_updates_and_unconfirmed_ones_come_again(
    fake: FakeBotApi, bot: Bot
) -> None:
    """Updates stay queued until a later offset confirms them."""
    fake.add_user(user_id=42)
    for text in ("one", "two", "three"):
        fake.send_text(42, text)
    first = await bot.get_updates(timeout=0)
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert len(first) == 3

    rest = await bot.get_updates(offset=first[1].update_id, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["two", "three"]

    _, body = await raw_call(fake, "getUpdates", offset=str(first[-1].update_id + 1))
    assert body["result"] == []
    assert fake.pending_updates == []


async def test_limit_caps_the_batch(fake: FakeBotApi, bot: Bot) -> None:
    """limit=N returns the N oldest pending updates."""
    fake.add_user(user_id=42)
    for text in ("one", "two", "three"):
        fake.send_text(42, text)
    updates = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in updates if u.message] == ["one", "two"]


async def test_allowed_updates_filters_update_kinds(fake: FakeBotApi, bot: Bot) -> None:
    """Only the update kinds asked for are delivered."""
    fake.add_user(user_id=42)
    sent = await bot.send_message(42, "Did you inject?", reply_markup=KEYBOARD)
    fake.send_text(42, "hello")
    fake.press_button(42, sent.message_id, "dose:done:4")
    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates if u.callback_query] == ["dose:done:4"]
    assert len(updates) == 1


async def test_a_second_poller_ends_the_first_with_409(fake: FakeBotApi, bot: Bot) -> None:
    """Two bot instances polling at once get Telegram's Conflict, as in production."""
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for_call("getUpdates")
    status, _ = await raw_call(fake, "getUpdates", timeout="0")
    assert status == 200
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 5)


async def test_webhook_blocks_get_updates_until_deleted(fake: FakeBotApi, bot: Bot) -> None:
    """getUpdates is a 409 while a webhook is set, as on Telegram."""
    await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


# -- simulated users ---------------------------------------------------------------------------


async def test_commands_carry_a_bot_command_entity(fake: FakeBotApi, bot: Bot) -> None:
    """CommandHandler needs a bot_command entity at offset 0; offsets count UTF-16 units."""
    fake.add_user(user_id=42)
    fake.send_text(42, "/start@kesimpta_test_bot")
    fake.send_text(42, "👋 /help now")
    fake.send_text(42, "no command here")
    first, second, third = await bot.get_updates(timeout=0)
    assert first.message and second.message and third.message
    (entity,) = first.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 24)
    (entity,) = second.message.entities
    assert (entity.offset, entity.length) == (3, 5)
    assert second.message.parse_entity(entity) == "/help"
    assert third.message.entities == ()


async def test_group_messages_come_from_a_group_chat(fake: FakeBotApi, bot: Bot) -> None:
    """Group chats have their own (negative) id and type "group"."""
    fake.add_user("Ann", user_id=42)
    group = fake.add_group("MS friends")
    fake.send_text_in_group(group.id, 42, "/start")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.chat.type == "group"
    assert update.message.chat.id == group.id < 0
    assert update.message.from_user is not None and update.message.from_user.id == 42
    await bot.send_message(group.id, "Hello group")
    assert [m.text for m in fake.chat(group.id).bot_messages] == ["Hello group"]


async def test_location_update(fake: FakeBotApi, bot: Bot) -> None:
    """A shared location arrives as a message with `location`."""
    fake.add_user(user_id=42)
    fake.send_location(42, 51.5, -0.12)
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.location is not None
    assert (update.message.location.latitude, update.message.location.longitude) == (51.5, -0.12)


async def test_button_press_needs_a_visible_button(fake: FakeBotApi, bot: Bot) -> None:
    """Patients can only press what the chat shows."""
    fake.add_user(user_id=42)
    sent = await bot.send_message(42, "Did you inject?", reply_markup=KEYBOARD)
    with pytest.raises(ValueError, match="no button with callback_data 'dose:skip'"):
        fake.press_button(42, sent.message_id, "dose:skip")
    query_id = fake.press_button(42, sent.message_id, "dose:done:4")
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query is not None and query.message is not None
    assert (query.id, query.data, query.chat_instance != "") == (query_id, "dose:done:4", True)
    assert query.message.message_id == sent.message_id


# -- what the chat shows -----------------------------------------------------------------------


async def test_sent_message_with_keyboard_appears_in_the_chat(fake: FakeBotApi, bot: Bot) -> None:
    """The history keeps the visible text and the inline keyboard."""
    fake.add_user(user_id=42)
    sent = await bot.send_message(
        42, "<b>Dose 4</b> is due &lt;today&gt;", parse_mode="HTML", reply_markup=KEYBOARD
    )
    shown = fake.chat(42).last_bot_message
    assert shown is not None
    assert shown.message_id == sent.message_id
    assert shown.text == sent.text == "Dose 4 is due <today>"
    assert shown.button_rows == [
        [("Injected", "dose:done:4")],
        [("Leaflet", "https://example.org/leaflet")],
    ]
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == KEYBOARD
    assert fake.calls_to("sendMessage")[0].params["chat_id"] == 42


async def test_invalid_html_is_refused_like_telegram_does(fake: FakeBotApi, bot: Bot) -> None:
    """Unsupported tags and unescaped "<" are a 400, so escaping bugs show up in tests."""
    fake.add_user(user_id=42)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(42, "Line<br>break", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(42, "a < b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(42, "<b>unclosed", parse_mode="HTML")
    assert fake.chat(42).messages == []


async def test_overlong_callback_data_is_refused(fake: FakeBotApi, bot: Bot) -> None:
    """callback_data is limited to 64 bytes."""
    fake.add_user(user_id=42)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(42, "Hi", reply_markup=markup)


async def test_edit_without_reply_markup_removes_the_keyboard(fake: FakeBotApi, bot: Bot) -> None:
    """editMessageText replaces the keyboard with whatever it is given, nothing included."""
    fake.add_user(user_id=42)
    sent = await bot.send_message(42, "Did you inject?", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Recorded.", chat_id=42, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.reply_markup is None
    shown = fake.chat(42).message(sent.message_id)
    assert shown is not None
    assert (shown.text, shown.keyboard, shown.edit_count) == ("Recorded.", (), 1)
    assert [o.kind for o in fake.chat(42).outputs] == ["sent", "edited"]
    assert fake.chat(42).outputs[0].message.buttons == ["Injected", "Leaflet"]  # a snapshot


async def test_edit_reply_markup_only(fake: FakeBotApi, bot: Bot) -> None:
    """editMessageReplyMarkup without markup drops the keyboard; twice is "not modified"."""
    fake.add_user(user_id=42)
    sent = await bot.send_message(42, "Did you inject?", reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(chat_id=42, message_id=sent.message_id)
    assert fake.chat(42).bot_messages[0].keyboard == ()
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=42, message_id=sent.message_id)


async def test_identical_edit_is_not_modified(fake: FakeBotApi, bot: Bot) -> None:
    """Editing to the same text and keyboard is Telegram's 400 "message is not modified"."""
    fake.add_user(user_id=42)
    sent = await bot.send_message(42, "Did you inject?", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)^message is not modified"):
        await bot.edit_message_text(
            "Did you inject?", chat_id=42, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    assert fake.calls_to("editMessageText")[-1].status == 400


async def test_editing_a_missing_message_fails(fake: FakeBotApi, bot: Bot) -> None:
    """Unknown and deleted messages cannot be edited."""
    fake.add_user(user_id=42)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=999)
    sent = await bot.send_message(42, "Soon gone")
    assert await bot.delete_message(42, sent.message_id)
    assert fake.chat(42).message(sent.message_id).deleted  # type: ignore[union-attr]
    assert fake.chat(42).visible_messages == []
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(42, sent.message_id)


async def test_answer_callback_query_once_per_known_id(fake: FakeBotApi, bot: Bot) -> None:
    """Unknown or already answered callback queries are a 400."""
    fake.add_user(user_id=42)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("123")
    sent = await bot.send_message(42, "Did you inject?", reply_markup=KEYBOARD)
    query_id = fake.press_button(42, sent.message_id, "dose:done:4")
    assert await bot.answer_callback_query(query_id, text="Saved", show_alert=True)
    answer = fake.callback_answer(query_id)
    assert answer is not None and (answer.text, answer.show_alert) == ("Saved", True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_reply_keyboard_state(fake: FakeBotApi, bot: Bot) -> None:
    """A reply keyboard stays visible until removed; it is not part of Message.reply_markup."""
    fake.add_user(user_id=42)
    sent = await bot.send_message(42, "When?", reply_markup=ReplyKeyboardMarkup([["09:00"]]))
    assert sent.reply_markup is None
    assert fake.chat(42).reply_keyboard == {"keyboard": [[{"text": "09:00"}]]}
    await bot.send_message(42, "Saved", reply_markup=ReplyKeyboardRemove())
    assert fake.chat(42).reply_keyboard is None


async def test_chat_actions_and_get_chat(fake: FakeBotApi, bot: Bot) -> None:
    """sendChatAction is recorded; getChat knows the chats the fake knows."""
    fake.add_user("Ann", user_id=42)
    await bot.send_chat_action(42, "typing")
    assert fake.chat(42).chat_actions == ["typing"]
    chat = await bot.get_chat(42)
    assert (chat.id, chat.type, chat.first_name) == (42, "private", "Ann")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat(7)


# -- commands, profile, files ------------------------------------------------------------------


async def test_set_my_commands_per_scope(fake: FakeBotApi, bot: Bot) -> None:
    """Commands are stored per scope and language, and the call is in the request log."""
    fake.add_user(user_id=42)
    commands = [BotCommand("start", "Begin"), BotCommand("next", "Next dose")]
    await bot.set_my_commands(commands, scope=BotCommandScopeChat(42), language_code="de")
    assert fake.commands({"type": "chat", "chat_id": 42}, "de") == [
        ("start", "Begin"),
        ("next", "Next dose"),
    ]
    assert fake.commands() == []
    (call,) = fake.calls_to("setMyCommands")
    assert call.params["scope"] == {"type": "chat", "chat_id": 42}
    got = await bot.get_my_commands(scope=BotCommandScopeChat(42), language_code="de")
    assert [c.command for c in got] == ["start", "next"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(42), language_code="de")
    assert fake.commands({"type": "chat", "chat_id": 42}, "de") == []
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Capital letters are refused")])


async def test_bot_descriptions(fake: FakeBotApi, bot: Bot) -> None:
    """setMyDescription and setMyShortDescription are stored per language."""
    await bot.set_my_description("Reminds you of Kesimpta doses.")
    await bot.set_my_short_description("Dose reminders", language_code="en")
    assert (await bot.get_my_description()).description == "Reminds you of Kesimpta doses."
    assert fake.bot_profile[("short_description", "en")] == "Dose reminders"


async def test_document_upload_get_file_and_download(fake: FakeBotApi, bot: Bot) -> None:
    """A multipart upload can be fetched back through getFile and the file URL."""
    fake.add_user(user_id=42)
    content = b"date,dose\n2024-01-01,1\n"
    sent = await bot.send_document(
        42, io.BytesIO(content), filename="doses.csv", caption="Your doses"
    )
    assert sent.document is not None and sent.document.file_name == "doses.csv"
    assert sent.caption == "Your doses"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None and file.file_path.startswith(fake.base_file_url)
    assert bytes(await file.download_as_bytearray()) == content
    shown = fake.chat(42).last_bot_message
    assert shown is not None and shown.document is not None
    assert shown.document.content == content
    again = await bot.send_document(42, sent.document.file_id)  # re-send by file_id
    assert again.document is not None and again.document.file_id == sent.document.file_id


async def test_photo_upload(fake: FakeBotApi, bot: Bot) -> None:
    """sendPhoto stores the bytes and answers PhotoSizes."""
    fake.add_user(user_id=42)
    sent = await bot.send_photo(42, io.BytesIO(b"\x89PNG fake"), filename="site.png")
    assert sent.photo and sent.photo[-1].file_id in fake.files


# -- failures ----------------------------------------------------------------------------------


# PTB's RetryAfter warns about its own retry_after type while constructing itself.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_429_raises_retry_after(fake: FakeBotApi, bot: Bot) -> None:
    """Flood control carries retry_after, which PTB turns into RetryAfter."""
    fake.add_user(user_id=42)
    fake.fail_next("sendMessage", Fault.too_many_requests(retry_after=7))
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(42, "Hi")
    assert retry_seconds(caught.value) == 7
    await bot.send_message(42, "Hi again")  # the rule was for one call only
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 200]


async def test_blocked_patient_raises_forbidden(fake: FakeBotApi, bot: Bot) -> None:
    """A patient who blocked the bot answers 403 until they unblock it."""
    fake.add_user(user_id=42)
    fake.add_user(user_id=43)
    fake.fail_next("sendMessage", Fault.blocked(), chat_id=43)
    await bot.send_message(42, "other chats are not affected")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(43, "Hi")
    fake.block(42)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "Hi")
    fake.unblock(42)
    await bot.send_message(42, "Welcome back")


async def test_chat_not_found(fake: FakeBotApi, bot: Bot) -> None:
    """Unknown chats, and injected "chat not found", are BadRequest."""
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "Hi")
    fake.add_user(user_id=42)
    fake.fail_next(None, Fault.chat_not_found())
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(42, "Hi")


@pytest.mark.parametrize("fault", [Fault.server_error(500), Fault.bad_gateway()])
async def test_server_errors_raise_network_error(fake: FakeBotApi, bot: Bot, fault: Fault) -> None:
    """5xx, JSON or nginx HTML, reach PTB as NetworkError."""
    fake.add_user(user_id=42)
    fake.fail_next("sendMessage", fault)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(42, "Hi")
    assert type(caught.value) is NetworkError


async def test_slow_answer_times_out(fake: FakeBotApi, bot: Bot) -> None:
    """A delayed answer trips PTB's read timeout; the server stays usable."""
    fake.add_user(user_id=42)
    fake.fail_next("sendMessage", Fault.slow(5))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimedOut):
        await bot.send_message(42, "Hi", read_timeout=0.2)
    assert loop.time() - started < 2
    await bot.send_message(42, "Hi", read_timeout=2)
    assert [m.text for m in fake.chat(42).bot_messages] == ["Hi"]


# PTB's RetryAfter warns about its own retry_after type while constructing itself.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limit_refuses_beyond_one_per_second_per_chat() -> None:
    """With rate limiting on, a second message to a chat within a second is a 429."""
    now = [1000.0]
    limit = RateLimit(per_second=3, per_chat_per_second=1, clock=lambda: now[0])
    async with run_fake_bot_api(rate_limit=limit) as fake:
        for user_id in (41, 42, 43, 44):
            fake.add_user(user_id=user_id)
        async with Bot(DEFAULT_TOKEN, base_url=fake.base_url) as bot:
            await bot.send_message(42, "first")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(42, "second")
            assert retry_seconds(caught.value) == 1
            await bot.send_message(41, "other chat")
            await bot.send_message(43, "third chat")
            with pytest.raises(RetryAfter):  # 3 per second overall
                await bot.send_message(44, "fourth")
            now[0] += 1.0
            await bot.send_message(42, "a second later")
    assert fake.rate_limiter is not None
    assert (fake.rate_limiter.refused, fake.rate_limiter.accepted) == (2, 4)
    assert fake.rate_limiter.refused_by_chat == {42: 1, 44: 1}


# -- waiting and control -----------------------------------------------------------------------


async def test_wait_for_times_out_with_a_useful_message(fake: FakeBotApi, bot: Bot) -> None:
    """wait_for names the recent calls when the condition never comes true."""
    await bot.get_me()
    with pytest.raises(TimeoutError, match="getMe→200"):
        await fake.wait_for(lambda: fake.calls_to("sendMessage"), timeout=0.1)


async def test_control_api_plays_the_patient_over_http(fake: FakeBotApi, bot: Bot) -> None:
    """A bot in another process can be driven through /_control."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{fake.control_url}/send_text", json={"user_id": 42, "text": "/start"}
        ) as response:
            assert response.status == 200
        (update,) = await bot.get_updates(timeout=0)
        assert update.message is not None and update.message.text == "/start"
        waiting = asyncio.create_task(session.get(f"{fake.control_url}/chat/42?after=0&timeout=5"))
        await bot.send_message(42, "Welcome", reply_markup=KEYBOARD)
        async with await waiting as response:
            history = await response.json()
    assert history["outputs"] == 1
    assert [(m["text"], m["from_bot"]) for m in history["messages"]] == [
        ("/start", False),
        ("Welcome", True),
    ]
    assert history["messages"][1]["buttons"][0] == [["Injected", "dose:done:4"]]


async def test_standalone_server_prints_its_port_and_stops_on_sigterm() -> None:
    """`python -m bot.devtools.fake_bot_api` serves on the printed port until SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.devtools.fake_bot_api",
        "--port",
        "0",
        "--token",
        "42:standalone",
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        name, _, port = line.strip().partition("=")
        assert name == "FAKE_BOT_API_PORT"
        base_url = f"http://127.0.0.1:{port}/bot"
        async with Bot("42:standalone", base_url=base_url) as bot:
            assert bot.bot.id == 42
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
