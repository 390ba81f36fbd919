"""Development tools: a fake Telegram Bot API server and a patient driver for end-to-end tests."""
