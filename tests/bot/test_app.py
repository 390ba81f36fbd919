"""The real Application built by the project's factory, played through the fake Bot API."""

from __future__ import annotations

from bot import texts
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.harness import RunningBot
from bot.devtools.patient import Patient


async def test_start_is_answered_through_the_real_application(patient: Patient) -> None:
    """/start reaches the bot over HTTP long polling and the reply reaches the chat."""
    await patient.send("/start")
    reply = await patient.wait_for_message()
    assert reply.text == texts.WELCOME


async def test_commands_are_registered_at_start_up(fake: FakeBotApi, running: RunningBot) -> None:
    """Post-init registers the patient commands for the command menu."""
    commands = dict(fake.commands())
    assert {"start", "help"} <= commands.keys()


async def test_unknown_commands_get_a_hint(patient: Patient) -> None:
    """An unknown command is answered with a pointer to /help."""
    await patient.send("/frobnicate")
    assert (await patient.wait_for_message()).text == texts.UNKNOWN_COMMAND


async def test_in_a_group_the_bot_says_once_that_it_is_private_only(
    fake: FakeBotApi, running: RunningBot
) -> None:
    """In a group: one message that the bot works only in private chats, then silence."""
    group = fake.add_group("MS support group")
    member = fake.add_user("Bea")
    fake.send_text_in_group(group.id, member.id, "/start")
    await fake.wait_for(lambda: group.bot_messages)
    fake.send_text_in_group(group.id, member.id, "/help")
    fake.send_text(member.id, "/help")  # a private message after it proves the group one was read
    await fake.wait_for(lambda: fake.chat(member.id).bot_messages)
    assert [m.text for m in group.bot_messages] == [texts.PRIVATE_CHAT_ONLY]


async def test_services_are_typed_and_ready(running: RunningBot) -> None:
    """Post-init puts the typed services (settings, database, clock) into bot_data."""
    services = running.services
    assert services.settings.admin_ids == frozenset({4242})
    assert services.started_at == services.clock()
