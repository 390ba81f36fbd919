"""What the fake Bot API server remembers (users, chats, messages, files) and their JSON shapes."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal, NamedTuple

JSONDict = dict[str, Any]

# Telegram's own limits; the fake enforces them so over-long texts fail in tests, not in production.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and, for 429, retry_after."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_api(self) -> JSONDict:
        """The JSON body Telegram answers with."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: ..." wording."""
    return ApiError(400, f"Bad Request: {detail}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class FakeUser:
    """A Telegram account: a simulated patient, or the bot itself."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSONDict:
        """The Bot API `User` object."""
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


class InlineButton(NamedTuple):
    """One inline keyboard button as the chat shows it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[InlineButton, ...], ...]


@dataclass(frozen=True)
class StoredFile:
    """A file the bot uploaded, kept so getFile and the download URL can serve it back."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def to_api(self) -> JSONDict:
        """The Bot API `File` object (getFile's answer)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }

    def as_document(self) -> JSONDict:
        """The Bot API `Document` object."""
        data: JSONDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None:
            data["mime_type"] = self.mime_type
        return data

    def as_photo_sizes(self) -> list[JSONDict]:
        """A one-size `PhotoSize` list; the fake does not decode images, so sizes are 0."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.content),
                "width": 0,
                "height": 0,
            }
        ]


@dataclass
class ChatMessage:
    """One message as the chat shows it now; edits and deletion change it in place."""

    message_id: int
    chat_id: int
    sender: FakeUser
    date: int
    text: str | None = None
    caption: str | None = None
    entities: tuple[JSONDict, ...] = ()  # of the text, or of the caption when there is one
    inline_markup: JSONDict | None = None  # the inline keyboard JSON exactly as the bot sent it
    keyboard: Keyboard = ()
    reply_markup: JSONDict | None = None  # any other markup: reply keyboard, remove, force reply
    document: StoredFile | None = None
    photo: StoredFile | None = None
    location: tuple[float, float] | None = None
    disable_notification: bool = False
    edit_count: int = 0
    edit_date: int | None = None
    deleted: bool = False

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent this message."""
        return self.sender.is_bot

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline buttons, row by row."""
        return [button.text for row in self.keyboard for button in row]

    @property
    def button_rows(self) -> list[list[tuple[str, str | None]]]:
        """The inline keyboard as rows of (label, callback_data or url)."""
        return [[(b.text, b.callback_data or b.url) for b in row] for row in self.keyboard]

    def snapshot(self) -> ChatMessage:
        """A copy that later edits will not change (all fields are replaced, never mutated)."""
        return copy.copy(self)

    def to_api(self, chat: FakeChat) -> JSONDict:
        """The Bot API `Message` object."""
        data: JSONDict = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": chat.to_api(),
            "date": self.date,
        }
        entities_key = "entities"
        if self.text is not None:
            data["text"] = self.text
        if self.caption is not None:
            data["caption"] = self.caption
            entities_key = "caption_entities"
        if self.entities:
            data[entities_key] = list(self.entities)
        if self.document is not None:
            data["document"] = self.document.as_document()
        if self.photo is not None:
            data["photo"] = self.photo.as_photo_sizes()
        if self.location is not None:
            data["location"] = {"latitude": self.location[0], "longitude": self.location[1]}
        if self.inline_markup is not None:
            # Telegram shows only inline keyboards in Message objects, never reply keyboards.
            data["reply_markup"] = self.inline_markup
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        return data


@dataclass(frozen=True)
class BotOutput:
    """One visible change the bot made in a chat, with the message as it looked right after."""

    kind: Literal["sent", "edited", "deleted"]
    message: ChatMessage


@dataclass
class FakeChat:
    """A private chat (id == the user's id) or a group, with everything the chat shows."""

    id: int
    type: Literal["private", "group"]
    title: str | None = None
    user: FakeUser | None = None  # the other party of a private chat
    messages: list[ChatMessage] = field(default_factory=list)
    outputs: list[BotOutput] = field(default_factory=list)
    reply_keyboard: JSONDict | None = None  # the reply keyboard the user currently sees
    chat_actions: list[str] = field(default_factory=list)
    next_message_id: int = 1

    def to_api(self) -> JSONDict:
        """The Bot API `Chat` object."""
        if self.type == "group":
            return {"id": self.id, "type": "group", "title": self.title or ""}
        assert self.user is not None
        data: JSONDict = {"id": self.id, "type": "private", "first_name": self.user.first_name}
        if self.user.last_name is not None:
            data["last_name"] = self.user.last_name
        if self.user.username is not None:
            data["username"] = self.user.username
        return data

    def add_message(self, sender: FakeUser, date: int, **fields: Any) -> ChatMessage:
        """Append a new message with the next message id."""
        message = ChatMessage(self.next_message_id, self.id, sender, date, **fields)
        self.next_message_id += 1
        self.messages.append(message)
        return message

    def message(self, message_id: int) -> ChatMessage | None:
        """The message with this id, deleted or not."""
        return next((m for m in self.messages if m.message_id == message_id), None)

    @property
    def visible_messages(self) -> list[ChatMessage]:
        """Messages not deleted, both sides, oldest first."""
        return [m for m in self.messages if not m.deleted]

    @property
    def bot_messages(self) -> list[ChatMessage]:
        """Visible messages the bot sent."""
        return [m for m in self.visible_messages if m.from_bot]

    @property
    def user_messages(self) -> list[ChatMessage]:
        """Visible messages the users sent."""
        return [m for m in self.visible_messages if not m.from_bot]

    @property
    def last_bot_message(self) -> ChatMessage | None:
        """The newest visible bot message."""
        bot_messages = self.bot_messages
        return bot_messages[-1] if bot_messages else None

    @property
    def last_keyboard_message(self) -> ChatMessage | None:
        """The newest visible bot message that carries an inline keyboard."""
        return next((m for m in reversed(self.bot_messages) if m.keyboard), None)

    def to_history(self) -> JSONDict:
        """Everything the chat shows, for the control API."""
        return {
            "chat": self.to_api(),
            "outputs": len(self.outputs),
            "reply_keyboard": self.reply_keyboard,
            "messages": [
                {
                    **m.to_api(self),
                    "from_bot": m.from_bot,
                    "buttons": m.button_rows,
                    "edit_count": m.edit_count,
                    "deleted": m.deleted,
                }
                for m in self.messages
            ],
        }


# -- text and markup, validated the way Telegram does ------------------------------------------

_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def command_entities(text: str) -> tuple[JSONDict, ...]:
    """The `bot_command` entities Telegram attaches to a user's text."""
    return tuple(
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    )


_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# A "<" that does not open or close a tag; Telegram wants it written as &lt;.
_STRAY_LT = re.compile(r"<(?!/?[A-Za-z])")


class _TelegramHtml(HTMLParser):
    """Telegram's HTML subset: visible text plus entities; anything else is a 400."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[JSONDict] = []
        self._open: list[tuple[str, int, JSONDict]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_ENTITY_TYPES:
            raise _cant_parse(f'Unsupported start tag "{tag}"')
        entity: JSONDict = {"type": _HTML_ENTITY_TYPES[tag]}
        if tag == "a":
            entity["url"] = dict(attrs).get("href") or ""
        self._open.append((tag, utf16_len(self.text), entity))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise _cant_parse(f'Unmatched end tag "{tag}"')
        _, start, entity = self._open.pop()
        length = utf16_len(self.text) - start
        if length:
            self.entities.append({**entity, "offset": start, "length": length})

    def handle_data(self, data: str) -> None:
        self.text += data

    def finish(self) -> None:
        self.close()
        if self._open:
            raise _cant_parse(
                f'Can\'t find end tag corresponding to start tag "{self._open[-1][0]}"'
            )


def _cant_parse(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def render_text(raw: str, parse_mode: str | None) -> tuple[str, tuple[JSONDict, ...]]:
    """Visible text and entities of a bot's text, trimmed like Telegram trims it.

    HTML is parsed and validated; Markdown modes are stored verbatim (not validated).
    """
    if parse_mode is not None and parse_mode.upper() == "HTML":
        if stray := _STRAY_LT.search(raw):
            raise _cant_parse(f'Unexpected "<" at byte offset {len(raw[: stray.start()].encode())}')
        parser = _TelegramHtml()
        parser.feed(raw)
        parser.finish()
        text, entities = parser.text, parser.entities
    else:
        text, entities = raw, []
    stripped = text.strip()
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    trimmed: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            trimmed.append({**entity, "offset": start, "length": stop - start})
    trimmed.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, tuple(trimmed)


_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


@dataclass(frozen=True)
class ParsedMarkup:
    """A `reply_markup` parameter split into what the chat shows."""

    inline_markup: JSONDict | None = None
    keyboard: Keyboard = ()
    other: JSONDict | None = None


def parse_reply_markup(markup: object) -> ParsedMarkup:
    """Validate a `reply_markup` like Telegram does and parse its inline keyboard."""
    if markup is None:
        return ParsedMarkup()
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return ParsedMarkup(markup, _parse_inline_keyboard(markup["inline_keyboard"]))
    if any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
        return ParsedMarkup(other=markup)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _parse_inline_keyboard(rows: object) -> Keyboard:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    parsed: list[tuple[InlineButton, ...]] = []
    for row in rows:
        buttons: list[InlineButton] = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            if sum(key in button for key in _BUTTON_ACTIONS) != 1:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
            buttons.append(InlineButton(button["text"], data, button.get("url")))
        parsed.append(tuple(buttons))
    return tuple(parsed)


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part of a request."""

    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class ApiCall:
    """One request the bot made: logged on arrival, `status` filled in when answered."""

    method: str
    params: JSONDict
    at: float
    status: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
