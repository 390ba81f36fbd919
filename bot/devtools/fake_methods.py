"""The Bot API methods the fake server implements, each a function of (server, parameters)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from bot.devtools.fake_models import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ApiError,
    BotOutput,
    CallbackAnswer,
    ChatMessage,
    FakeChat,
    JSONDict,
    ParsedMarkup,
    StoredFile,
    UploadedFile,
    bad_request,
    parse_reply_markup,
    render_text,
    utf16_len,
)

if TYPE_CHECKING:
    from bot.devtools.fake_bot_api import FakeBotApi

Params = dict[str, Any]
Method = Callable[["FakeBotApi", Params], Awaitable[Any]]

_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)  # fmt: skip
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


def scope_key(scope: object) -> str:
    """A BotCommandScope as a dictionary key; no scope means the default one."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _commands_key(params: Params) -> tuple[str, str]:
    return scope_key(params.get("scope")), str(params.get("language_code") or "")


def _chat(fake: FakeBotApi, params: Params) -> FakeChat:
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise bad_request("chat_id is empty")
    chat = fake.chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is None:
        raise bad_request("chat not found")
    return chat


def _render(
    params: Params, key: str, max_length: int, too_long: str
) -> tuple[str, tuple[JSONDict, ...]]:
    """A text or caption parameter as the chat will show it, with Telegram's checks."""
    raw = params.get(key)
    if raw is None:
        return "", ()
    text, entities = render_text(str(raw), params.get("parse_mode"))
    explicit = params.get("caption_entities" if key == "caption" else "entities")
    if isinstance(explicit, list) and params.get("parse_mode") is None:
        entities = tuple(explicit)
    if utf16_len(text) > max_length:
        raise bad_request(too_long)
    return text, entities


# -- bot, webhook, updates ---------------------------------------------------------------------


async def get_me(fake: FakeBotApi, params: Params) -> JSONDict:
    return {
        **fake.bot_user.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def ok(fake: FakeBotApi, params: Params) -> bool:
    return True


async def set_webhook(fake: FakeBotApi, params: Params) -> bool:
    secret = params.get("secret_token")
    if params.get("drop_pending_updates"):
        fake.updates.drop_all()
    allowed = params.get("allowed_updates")
    fake.updates.set_allowed(list(allowed) if isinstance(allowed, list) else None)
    # An empty url removes the webhook, as on Telegram.
    await fake.webhook.set(str(params.get("url") or ""), None if secret is None else str(secret))
    return True


async def delete_webhook(fake: FakeBotApi, params: Params) -> bool:
    await fake.webhook.delete()
    if params.get("drop_pending_updates"):
        fake.updates.drop_all()
    return True


async def get_webhook_info(fake: FakeBotApi, params: Params) -> JSONDict:
    return fake.webhook.info()


async def get_updates(fake: FakeBotApi, params: Params) -> list[JSONDict]:
    if fake.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    allowed = params.get("allowed_updates")
    return await fake.updates.poll(
        offset=int(params.get("offset") or 0),
        limit=int(params.get("limit") or 100),
        seconds=max(float(params.get("timeout") or 0), 0.0),
        allowed_updates=list(allowed) if isinstance(allowed, list) else None,
    )


# -- sending -----------------------------------------------------------------------------------


async def send_message(fake: FakeBotApi, params: Params) -> JSONDict:
    chat = _chat(fake, params)
    text, entities = _render(params, "text", MAX_TEXT_LENGTH, "message is too long")
    if not text:
        raise bad_request("message text is empty")
    markup = parse_reply_markup(params.get("reply_markup"))
    return _post(fake, chat, markup, params, text=text, entities=entities)


async def send_document(fake: FakeBotApi, params: Params) -> JSONDict:
    return await _send_file(fake, params, "document", "documents")


async def send_photo(fake: FakeBotApi, params: Params) -> JSONDict:
    return await _send_file(fake, params, "photo", "photos")


async def _send_file(fake: FakeBotApi, params: Params, field: str, folder: str) -> JSONDict:
    chat = _chat(fake, params)
    stored = _file_param(fake, params, field, folder)
    caption, entities = _render(
        params, "caption", MAX_CAPTION_LENGTH, "message caption is too long"
    )
    markup = parse_reply_markup(params.get("reply_markup"))
    return _post(
        fake, chat, markup, params, caption=caption or None, entities=entities, **{field: stored}
    )


def _post(
    fake: FakeBotApi, chat: FakeChat, markup: ParsedMarkup, params: Params, **fields: Any
) -> JSONDict:
    message = chat.add_message(
        fake.bot_user,
        fake.now(),
        inline_markup=markup.inline_markup,
        keyboard=markup.keyboard,
        reply_markup=markup.other,
        disable_notification=bool(params.get("disable_notification")),
        **fields,
    )
    if markup.other is not None and "keyboard" in markup.other:
        chat.reply_keyboard = markup.other
    elif markup.other is not None and markup.other.get("remove_keyboard"):
        chat.reply_keyboard = None
    chat.outputs.append(BotOutput("sent", message.snapshot()))
    return message.to_api(chat)


def _file_param(fake: FakeBotApi, params: Params, field: str, folder: str) -> StoredFile:
    value = params.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value.removeprefix("attach://"))
    if isinstance(value, str):  # a file_id sent before; the fake never fetches URLs
        if value in fake.files:
            return fake.files[value]
        raise bad_request("wrong file identifier/HTTP URL specified")
    if not isinstance(value, UploadedFile):
        raise bad_request(f"there is no {field} in the request")
    if not value.content:
        raise bad_request("file must be non-empty")
    number = len(fake.files) + 1
    suffix = PurePosixPath(value.filename or "").suffix
    stored = StoredFile(
        file_id=f"BQACAgIAAxkBAAI{number:06d}fake",
        file_unique_id=f"AgAD{number:04d}",
        file_path=f"{folder}/file_{number}{suffix}",
        content=value.content,
        file_name=value.filename if field == "document" else None,
        mime_type=value.content_type if field == "document" else "image/jpeg",
    )
    fake.files[stored.file_id] = stored
    return stored


async def send_chat_action(fake: FakeBotApi, params: Params) -> bool:
    chat = _chat(fake, params)
    action = params.get("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.chat_actions.append(str(action))
    return True


# -- editing and deleting ----------------------------------------------------------------------


def _editable(fake: FakeBotApi, params: Params) -> tuple[FakeChat, ChatMessage]:
    if params.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the fake Bot API")
    chat = _chat(fake, params)
    message_id = params.get("message_id")
    if not isinstance(message_id, int):
        raise bad_request("message identifier is not specified")
    message = chat.message(message_id)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _inline_markup(params: Params) -> ParsedMarkup:
    """An edit's markup; none given means the inline keyboard goes away."""
    markup = parse_reply_markup(params.get("reply_markup"))
    if markup.other is not None:
        raise bad_request("inline keyboard expected")
    return markup


def _edit(fake: FakeBotApi, chat: FakeChat, message: ChatMessage, **changes: Any) -> JSONDict:
    if all(getattr(message, key) == value for key, value in changes.items()):
        raise bad_request(_NOT_MODIFIED)
    for key, value in changes.items():
        setattr(message, key, value)
    message.edit_count += 1
    message.edit_date = fake.now()
    chat.outputs.append(BotOutput("edited", message.snapshot()))
    return message.to_api(chat)


async def edit_message_text(fake: FakeBotApi, params: Params) -> JSONDict:
    chat, message = _editable(fake, params)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = _render(params, "text", MAX_TEXT_LENGTH, "MESSAGE_TOO_LONG")
    if not text:
        raise bad_request("message text is empty")
    markup = _inline_markup(params)
    return _edit(
        fake,
        chat,
        message,
        text=text,
        entities=entities,
        inline_markup=markup.inline_markup,
        keyboard=markup.keyboard,
    )


async def edit_message_caption(fake: FakeBotApi, params: Params) -> JSONDict:
    chat, message = _editable(fake, params)
    if message.document is None and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = _render(params, "caption", MAX_CAPTION_LENGTH, "MESSAGE_TOO_LONG")
    markup = _inline_markup(params)
    return _edit(
        fake,
        chat,
        message,
        caption=caption or None,
        entities=entities,
        inline_markup=markup.inline_markup,
        keyboard=markup.keyboard,
    )


async def edit_message_reply_markup(fake: FakeBotApi, params: Params) -> JSONDict:
    chat, message = _editable(fake, params)
    markup = _inline_markup(params)
    return _edit(fake, chat, message, inline_markup=markup.inline_markup, keyboard=markup.keyboard)


async def delete_message(fake: FakeBotApi, params: Params) -> bool:
    chat = _chat(fake, params)
    message_id = params.get("message_id")
    message = chat.message(message_id) if isinstance(message_id, int) else None
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    chat.outputs.append(BotOutput("deleted", message.snapshot()))
    return True


async def answer_callback_query(fake: FakeBotApi, params: Params) -> bool:
    query_id = str(params.get("callback_query_id") or "")
    if query_id not in fake.open_callback_queries:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    fake.open_callback_queries.discard(query_id)
    fake.callback_answers[query_id] = CallbackAnswer(
        query_id,
        None if text is None else str(text),
        bool(params.get("show_alert")),
        params.get("url"),
        params.get("cache_time"),
    )
    return True


# -- the bot's profile -------------------------------------------------------------------------


async def set_my_commands(fake: FakeBotApi, params: Params) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH" if commands else "commands is empty")
    pairs: list[tuple[str, str]] = []
    for command in commands:
        fields = command if isinstance(command, dict) else {}
        name, description = str(fields.get("command", "")), str(fields.get("description", ""))
        if not _COMMAND_NAME.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        pairs.append((name, description))
    fake.command_lists[_commands_key(params)] = pairs
    return True


async def get_my_commands(fake: FakeBotApi, params: Params) -> list[JSONDict]:
    pairs = fake.command_lists.get(_commands_key(params), [])
    return [{"command": name, "description": text} for name, text in pairs]


async def delete_my_commands(fake: FakeBotApi, params: Params) -> bool:
    fake.command_lists.pop(_commands_key(params), None)
    return True


def _profile_setter(field: str) -> Method:
    async def set_text(fake: FakeBotApi, params: Params) -> bool:
        language = str(params.get("language_code") or "")
        fake.bot_profile[(field, language)] = str(params.get(field) or "")
        return True

    return set_text


def _profile_getter(field: str) -> Method:
    async def get_text(fake: FakeBotApi, params: Params) -> JSONDict:
        language = str(params.get("language_code") or "")
        return {field: fake.bot_profile.get((field, language), "")}

    return get_text


async def set_chat_menu_button(fake: FakeBotApi, params: Params) -> bool:
    chat_id = params.get("chat_id")
    key = chat_id if isinstance(chat_id, int) else None
    fake.menu_buttons[key] = params.get("menu_button") or {"type": "default"}
    return True


async def get_chat_menu_button(fake: FakeBotApi, params: Params) -> JSONDict:
    chat_id = params.get("chat_id")
    return fake.menu_buttons.get(chat_id if isinstance(chat_id, int) else None) or {
        "type": "commands"
    }


# -- files and chats ---------------------------------------------------------------------------


async def get_file(fake: FakeBotApi, params: Params) -> JSONDict:
    stored = fake.files.get(str(params.get("file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.to_api()


async def get_chat(fake: FakeBotApi, params: Params) -> JSONDict:
    return {
        **_chat(fake, params).to_api(),
        # ChatFullInfo fields PTB requires.
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


# Every method the fake answers, by its Bot API name (Telegram matches names case-insensitively).
METHODS: dict[str, Method] = {
    "getMe": get_me,
    "logOut": ok,
    "close": ok,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getUpdates": get_updates,
    "sendMessage": send_message,
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "sendChatAction": send_chat_action,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyDescription": _profile_setter("description"),
    "getMyDescription": _profile_getter("description"),
    "setMyShortDescription": _profile_setter("short_description"),
    "getMyShortDescription": _profile_getter("short_description"),
    "setMyName": _profile_setter("name"),
    "getMyName": _profile_getter("name"),
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "getFile": get_file,
    "getChat": get_chat,
}
