"""Telegram update handlers, one feature per module; each exposes `build_handlers()`."""
