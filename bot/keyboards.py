"""Turning the rendering's plain button rows into Telegram inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.reminder_messages import Keyboard


def inline_keyboard(rows: Keyboard) -> InlineKeyboardMarkup | None:
    """An inline keyboard, or None when there are no buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )
