"""Plays a patient in a private chat with the bot: write, press buttons, read what the bot sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.devtools.fake_models import CallbackAnswer, ChatMessage, FakeChat, FakeUser, InlineButton

if TYPE_CHECKING:
    from bot.devtools.fake_bot_api import FakeBotApi


class Patient:
    """One user's side of a private chat, on a FakeBotApi running in the same event loop.

    `send`, `press` and `choose` return once the update is queued; `wait_for_message` waits
    for the bot's reply. Failures raise AssertionError saying what the chat shows.
    """

    def __init__(self, fake: FakeBotApi, user: FakeUser) -> None:
        self.fake = fake
        self.user = user
        self._seen = len(self.chat.outputs)  # bot outputs before this index are "old"

    @property
    def user_id(self) -> int:
        """The patient's Telegram id, also the id of their private chat."""
        return self.user.id

    @property
    def chat(self) -> FakeChat:
        """The private chat with the bot."""
        return self.fake.chat(self.user.id)

    @property
    def messages(self) -> list[ChatMessage]:
        """Every message the chat shows, both sides, oldest first."""
        return self.chat.visible_messages

    @property
    def bot_messages(self) -> list[ChatMessage]:
        """Messages from the bot the chat shows, oldest first."""
        return self.chat.bot_messages

    @property
    def last_message(self) -> ChatMessage | None:
        """The newest bot message the chat shows, as it looks now."""
        return self.chat.last_bot_message

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline keyboard on the newest bot message that has one."""
        message = self.chat.last_keyboard_message
        return message.buttons if message is not None else []

    async def send(self, text: str) -> ChatMessage:
        """Write `text` to the bot."""
        self._seen = len(self.chat.outputs)
        return self.fake.send_text(self.user.id, text)

    async def send_location(self, latitude: float, longitude: float) -> ChatMessage:
        """Share a location with the bot."""
        self._seen = len(self.chat.outputs)
        return self.fake.send_location(self.user.id, latitude, longitude)

    async def press(self, label: str, *, message_id: int | None = None) -> str:
        """Press the inline button labelled `label`; returns the callback query id.

        Looks at the newest bot message with a keyboard (or `message_id`); an exact label
        wins, else a unique case-insensitive substring.
        """
        if message_id is None:
            message = self.chat.last_keyboard_message
        else:
            message = self.chat.message(message_id)
        if message is None or message.deleted or not message.keyboard:
            raise AssertionError(
                f"no inline keyboard to press {label!r} on; "
                f"the last bot message is {_describe(self.last_message)}"
            )
        button = _pick(label, [b for row in message.keyboard for b in row], message)
        if button.callback_data is None:
            raise AssertionError(f"button {button.text!r} opens {button.url!r}; it has no data")
        self._seen = len(self.chat.outputs)
        return self.fake.press_button(self.user.id, message.message_id, button.callback_data)

    async def choose(self, label: str) -> ChatMessage:
        """Tap a button of the reply keyboard the chat shows (it sends the button's text)."""
        keyboard = self.chat.reply_keyboard or {}
        rows = keyboard.get("keyboard", [])
        labels = [b if isinstance(b, str) else str(b.get("text")) for row in rows for b in row]
        if not labels:
            raise AssertionError(f"no reply keyboard to choose {label!r} from")
        exact = [text for text in labels if text == label]
        matches = exact or [text for text in labels if label.casefold() in text.casefold()]
        if len(matches) != 1:
            raise AssertionError(
                f"{len(matches)} reply keyboard buttons match {label!r}; the keyboard shows "
                f"{labels}"
            )
        return await self.send(matches[0])

    async def wait_for_message(
        self,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ChatMessage:
        """The next message the bot sent or edited since the last action (with `contains`).

        Returns the message as it looked right after that send or edit; later calls return
        later ones.
        """
        outputs = self.chat.outputs

        def find() -> tuple[int, ChatMessage] | None:
            for index in range(self._seen, len(outputs)):
                output = outputs[index]
                if output.kind != "deleted" and (
                    contains is None or contains in _shown_text(output.message)
                ):
                    return index, output.message
            return None

        try:
            index, message = await self.fake.wait_for(find, timeout)
        except TimeoutError:
            since = [f"{o.kind}: {_describe(o.message)}" for o in outputs[self._seen :]]
            wanted = "a new bot message" + (f" containing {contains!r}" if contains else "")
            raise AssertionError(
                f"{wanted} did not arrive within {timeout}s; since the last action the bot "
                f"did: {since or 'nothing'}"
            ) from None
        self._seen = index + 1
        return message

    async def wait_for_answer(
        self,
        callback_query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """How the bot answered a button press (Telegram clients spin until it does)."""
        try:
            return await self.fake.wait_for(
                lambda: self.fake.callback_answer(callback_query_id), timeout
            )
        except TimeoutError:
            raise AssertionError(
                f"the bot did not answer callback query {callback_query_id} within {timeout}s"
            ) from None


def _pick(label: str, buttons: list[InlineButton], message: ChatMessage) -> InlineButton:
    exact = [b for b in buttons if b.text == label]
    matches = exact or [b for b in buttons if label.casefold() in b.text.casefold()]
    if len(matches) == 1:
        return matches[0]
    problem = "no button matches" if not matches else f"{len(matches)} buttons match"
    raise AssertionError(
        f"{problem} {label!r} on message {message.message_id} ({_shown_text(message)!r}); "
        f"visible buttons: {message.buttons}"
    )


def _shown_text(message: ChatMessage) -> str:
    return message.text or message.caption or ""


def _describe(message: ChatMessage | None) -> str:
    if message is None:
        return "none"
    buttons = f" buttons={message.buttons}" if message.keyboard else ""
    return f"#{message.message_id} {_shown_text(message)!r}{buttons}"
